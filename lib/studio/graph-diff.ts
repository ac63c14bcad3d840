import { parseFlow, type BlockRegistry } from "@/dsl";
import { buildGraph, type FlowGraph, type GraphEdge, type StepNodeData } from "./flow-graph";

/** Both versions' steps in one graph, each marked added, removed or changed (or unchanged). */
export function graphDiff(before: string, after: string, registry: BlockRegistry): FlowGraph {
  const a = buildGraph(parseFlow(before).ast, registry, []);
  const b = buildGraph(parseFlow(after).ast, registry, []);
  const steps: StepNodeData[] = b.steps.map((s) => {
    const old = a.docs[s.stepId];
    if (!old) return { ...s, change: "added" };
    const { ui: _a, ...x } = old;
    const { ui: _b, ...y } = b.docs[s.stepId]!;
    return JSON.stringify(x) === JSON.stringify(y) ? s : { ...s, change: "changed" };
  });
  for (const s of a.steps) if (!b.docs[s.stepId]) steps.push({ ...s, change: "removed" });
  const seen = new Set<string>();
  const edges: GraphEdge[] = [];
  for (const e of [...b.edges, ...a.edges]) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    edges.push(e);
  }
  return {
    ...b,
    steps,
    edges,
    positions: { ...a.positions, ...b.positions },
    docs: { ...a.docs, ...b.docs },
  };
}
