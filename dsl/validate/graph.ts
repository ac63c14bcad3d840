/**
 * The step graph: explicit `needs` and data dependencies resolved to indices; unknown needs
 * (`TF3021`), reads of a step that runs later (`TF2005`), cycles (`TF3022`, Tarjan) and
 * unreachable steps (`TF3023`) reported; the deterministic topological order (Kahn, ties by
 * source order) the IR lists its steps in.
 */
import type { Analysis } from "./context";
import type { FlowModel } from "./model";
import { suggest } from "./suggest";

/** Builds dependencies, reports unknown needs, cycles and unreachable steps. */
export function buildGraph(a: Analysis, flow: FlowModel): void {
  const steps = flow.steps;
  const idx = new Map<string, number>();
  steps.forEach((s, i) => idx.set(s.id, i));
  const explicit: number[][] = steps.map(() => []);
  for (const s of steps) {
    for (const n of s.explicitNeeds) {
      const j = idx.get(n.id);
      if (j === undefined) {
        a.report(
          "TF3021",
          n.span,
          { id: n.id, suggestion: suggest(n.id, idx.keys()) },
          { stepId: s.id },
        );
        continue;
      }
      explicit[s.index]!.push(j);
    }
  }
  // "Used before it can have run": a data reference to a step that (explicitly) depends on the
  // reader. Checked per referenced pair with a topological index to prune (linear in practice).
  const topo = topoOrder(explicit);
  const deps: number[][] = explicit.map((e) => [...e]);
  for (const s of steps) {
    for (const [id, ref] of s.dataNeeds) {
      const j = idx.get(id)!;
      if (topo && dependsOn(j, s.index, explicit, topo.position)) {
        a.report("TF2005", ref.span, { from: s.id, step: id }, { stepId: s.id });
        s.dataNeeds.delete(id);
        continue;
      }
      deps[s.index]!.push(j);
    }
  }
  for (const s of steps) s.deps = [...new Set(deps[s.index]!)].sort((a, b) => a - b);
  const full = topoOrder(steps.map((s) => s.deps));
  if (!full) {
    for (const cycle of findCycles(steps.map((s) => s.deps))) {
      const first = steps[cycle[0]!]!;
      const next = cycle[1] ?? cycle[0]!;
      const nextId = steps[next]!.id;
      const need = first.explicitNeeds.find((n) => n.id === nextId);
      const span = need?.span ?? first.dataNeeds.get(nextId)?.span ?? first.idSpan;
      a.report(
        "TF3022",
        span,
        { cycle: [...cycle, cycle[0]!].map((i) => steps[i]!.id).join(" -> ") },
        { stepId: first.id },
      );
    }
    return;
  }
  flow.order = full.order;
  // Unreachable: `if` literally false, or depending on a step that never runs.
  const never = new Array<string | null>(steps.length).fill(null);
  for (const i of full.order) {
    const s = steps[i]!;
    if (s.conditionFalseSpan) {
      never[i] = s.id;
      a.report("TF3023", s.conditionFalseSpan, { id: s.id }, { stepId: s.id });
      continue;
    }
    const via = s.deps.find((d) => never[d] !== null);
    if (via !== undefined) {
      never[i] = s.id;
      a.report("TF3023", s.idSpan, { id: s.id, via: steps[via]!.id }, { stepId: s.id });
    }
  }
}

/**
 * Kahn's algorithm with ties broken by source order (a binary heap): deterministic. `deps[i]`
 * lists what `i` needs. Returns undefined on a cycle.
 */
export function topoOrder(deps: number[][]): { order: number[]; position: Int32Array } | undefined {
  const n = deps.length;
  const indegree = new Int32Array(n);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (const d of deps[i]!) {
      indegree[i]!++;
      dependents[d]!.push(i);
    }
  }
  const heap: number[] = [];
  const push = (x: number) => {
    heap.push(x);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]! <= x) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = x;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const c = r < heap.length && heap[r]! < heap[l]! ? r : l;
        if (heap[c]! >= last) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  for (let i = 0; i < n; i++) if (indegree[i] === 0) push(i);
  const order: number[] = [];
  const position = new Int32Array(n);
  while (heap.length > 0) {
    const x = pop();
    position[x] = order.length;
    order.push(x);
    for (const y of dependents[x]!) if (--indegree[y]! === 0) push(y);
  }
  return order.length === n ? { order, position } : undefined;
}

/** Whether `a` depends (transitively) on `b`; prunes by topological position. */
function dependsOn(a: number, b: number, deps: number[][], position: Int32Array): boolean {
  if (position[a]! < position[b]!) return false;
  const stack = [a];
  const seen = new Set<number>([a]);
  while (stack.length > 0) {
    const x = stack.pop()!;
    for (const d of deps[x]!) {
      if (d === b) return true;
      if (seen.has(d) || position[d]! < position[b]!) continue;
      seen.add(d);
      stack.push(d);
    }
  }
  return false;
}

/** One representative cycle per strongly connected component (Tarjan, iterative). */
export function findCycles(deps: number[][]): number[][] {
  const n = deps.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const cycles: number[][] = [];
  let counter = 0;
  for (let s = 0; s < n; s++) {
    if (index[s] !== -1) continue;
    const work: Array<[number, number]> = [[s, 0]];
    index[s] = low[s] = counter++;
    stack.push(s);
    onStack[s] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const [v, i] = top;
      const edges = deps[v]!;
      if (i < edges.length) {
        top[1]++;
        const w = edges[i]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1 || deps[v]!.includes(v)) cycles.push(cycleIn(comp, deps));
      }
    }
  }
  return cycles.sort((a, b) => a[0]! - b[0]!);
}

/** A simple cycle inside one strongly connected component, starting at its first step. */
function cycleIn(comp: number[], deps: number[][]): number[] {
  const members = new Set(comp);
  const start = Math.min(...comp);
  const parent = new Map<number, number>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const x = queue.shift()!;
    for (const d of deps[x]!) {
      if (!members.has(d)) continue;
      if (d === start) {
        const path = [x];
        let p = x;
        while (p !== start) {
          p = parent.get(p)!;
          path.push(p);
        }
        return path.reverse();
      }
      if (!seen.has(d)) {
        seen.add(d);
        parent.set(d, x);
        queue.push(d);
      }
    }
  }
  return [start];
}
