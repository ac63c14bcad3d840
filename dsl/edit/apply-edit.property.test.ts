import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { applyEdit, type FlowEdit, type NewStep } from "./apply-edit";

/**
 * Reference model: the same edits on plain objects. Parsing the edited YAML must give exactly
 * what the model gives, and every comment of the original must survive (except the trailing
 * comment on the `uses:` line of a step that was removed).
 */
type Step = {
  id: string;
  uses: string;
  needs?: string[];
  with?: Record<string, unknown>;
  [k: string]: unknown;
};
type Model = { flow: string; steps: Step[]; ui?: { positions?: Record<string, number[]> } };

const POOL = ["a", "b", "c", "d", "e", "x-1", "y_2"];
const USES = "data.transform@1";

function clone<T>(v: T): T {
  return structuredClone(v);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Set or remove `path` in `root`, removing maps emptied by a removal (never `root` itself). */
function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  if (value === undefined || value === null) {
    const chain: Record<string, unknown>[] = [root];
    for (const k of path.slice(0, -1)) {
      const next = chain.at(-1)![k];
      if (!isObj(next)) return;
      chain.push(next);
    }
    const last = path.at(-1)!;
    if (!(last in chain.at(-1)!)) return;
    delete chain.at(-1)![last];
    for (let i = chain.length - 1; i > 0; i--) {
      if (Object.keys(chain[i]!).length > 0) break;
      delete chain[i - 1]![path[i - 1]!];
    }
    return;
  }
  let cur = root;
  for (const k of path.slice(0, -1)) {
    if (!isObj(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path.at(-1)!] = value;
}

function needsOf(m: Model, id: string): string[] {
  return m.steps.find((s) => s.id === id)?.needs ?? [];
}

function dependsOn(m: Model, a: string, b: string): boolean {
  const seen = new Set<string>();
  const stack = [a];
  while (stack.length) {
    const cur = stack.pop()!;
    if (cur === b) return true;
    if (seen.has(cur)) continue;
    seen.add(cur);
    stack.push(...needsOf(m, cur));
  }
  return false;
}

function setNeeds(step: Step, needs: string[]): void {
  if (needs.length) step.needs = needs;
  else delete step.needs;
}

function addStep(m: Model, s: NewStep, afterIndex?: number): boolean {
  if (m.steps.some((x) => x.id === s.id)) return false;
  if ((s.needs ?? []).some((n) => !m.steps.some((x) => x.id === n))) return false;
  const step: Step = { id: s.id, uses: s.uses };
  if (s.needs?.length) step.needs = [...new Set(s.needs)];
  if (s.with && Object.keys(s.with).length) step.with = clone(s.with);
  m.steps.splice(afterIndex === undefined ? m.steps.length : afterIndex + 1, 0, step);
  return true;
}

function setPosition(m: Model, id: string, p: number[] | undefined): void {
  m.ui ??= {};
  setPath(m as unknown as Record<string, unknown>, ["ui", "positions", id], p);
}

/** Applies an edit to the model; false when the edit is invalid. */
function applyModel(m: Model, e: FlowEdit, alive: Map<string, string>): boolean {
  const has = (id: string) => m.steps.some((s) => s.id === id);
  const get = (id: string) => m.steps.find((s) => s.id === id)!;
  const index = (id: string) => m.steps.findIndex((s) => s.id === id);
  switch (e.type) {
    case "add-step": {
      if (e.after !== undefined && !has(e.after)) return false;
      if (!addStep(m, e.step, e.after === undefined ? undefined : index(e.after))) return false;
      if (e.position) setPosition(m, e.step.id, e.position);
      return true;
    }
    case "remove-step": {
      if (!has(e.id)) return false;
      m.steps.splice(index(e.id), 1);
      for (const s of m.steps)
        if (s.needs?.includes(e.id))
          setNeeds(
            s,
            s.needs.filter((n) => n !== e.id),
          );
      if (m.ui?.positions && e.id in m.ui.positions) setPosition(m, e.id, undefined);
      alive.delete(e.id);
      return true;
    }
    case "rename-step": {
      if (!has(e.from)) return false;
      if (e.from === e.to) return true;
      if (has(e.to)) return false;
      get(e.from).id = e.to;
      for (const s of m.steps) if (s.needs) s.needs = s.needs.map((n) => (n === e.from ? e.to : n));
      const pos = m.ui?.positions;
      if (pos && e.from in pos) {
        pos[e.to] = pos[e.from]!;
        delete pos[e.from];
      }
      const ref = new RegExp(`\\bsteps\\.${e.from.replace(/[-_]/g, "\\$&")}(?![A-Za-z0-9_-])`, "g");
      const walk = (v: unknown): unknown =>
        typeof v === "string"
          ? v.replace(/\$\{\{[\s\S]*?\}\}/g, (x) => x.replace(ref, `steps.${e.to}`))
          : isObj(v)
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
            : v;
      // Every `${{ }}` of the flow names the new id: in `with` and in any other field of a
      // step (`sla`, `retry`, … set by `set-field`), as `rewriteReferences` does.
      for (const s of m.steps)
        for (const [k, v] of Object.entries(s))
          if (k !== "id" && k !== "uses" && k !== "needs")
            (s as Record<string, unknown>)[k] = walk(v);
      const orig = alive.get(e.from);
      alive.delete(e.from);
      if (orig !== undefined) alive.set(e.to, orig);
      return true;
    }
    case "connect": {
      if (!has(e.from) || !has(e.to) || e.from === e.to) return false;
      if (needsOf(m, e.to).includes(e.from)) return true;
      if (dependsOn(m, e.from, e.to)) return false;
      setNeeds(get(e.to), [...needsOf(m, e.to), e.from]);
      return true;
    }
    case "disconnect": {
      if (!has(e.from) || !has(e.to) || !needsOf(m, e.to).includes(e.from)) return false;
      setNeeds(
        get(e.to),
        needsOf(m, e.to).filter((n) => n !== e.from),
      );
      return true;
    }
    case "move":
      if (!has(e.id)) return false;
      setPosition(m, e.id, e.position);
      return true;
    case "set-input":
      if (!has(e.id)) return false;
      setPath(get(e.id) as Record<string, unknown>, ["with", ...e.key.split(".")], e.value);
      return true;
    case "set-field":
      if (!has(e.id)) return false;
      setPath(get(e.id) as Record<string, unknown>, e.path, e.value);
      return true;
    case "insert-between": {
      if (!has(e.from) || !has(e.to) || !needsOf(m, e.to).includes(e.from)) return false;
      const step = {
        ...e.step,
        needs: [e.from, ...(e.step.needs ?? []).filter((n) => n !== e.from)],
      };
      if (!addStep(m, step, index(e.from))) return false;
      setNeeds(
        get(e.to),
        needsOf(m, e.to).map((n) => (n === e.from ? e.step.id : n)),
      );
      return true;
    }
    case "set-flow-input":
      // Not generated (the generated flows declare no inputs): apply-edit.test.ts covers it.
      return false;
  }
}

/** Renders the generated flow by hand, with comments everywhere a person would put them. */
function render(m: Model): string {
  const lines = ["# generated flow", "flow: gen # the name", "", "steps:"];
  for (const s of m.steps) {
    lines.push(
      `  # step ${s.id} starts here`,
      `  - id: ${s.id}`,
      `    uses: ${s.uses} # uses-of-${s.id}`,
    );
    if (s.needs) lines.push(`    needs: [${s.needs.join(", ")}]`);
    if (s.with) {
      lines.push("    with:");
      for (const [k, v] of Object.entries(s.with)) lines.push(`      ${k}: ${String(v)}`);
    }
    lines.push("");
  }
  lines.push("# layout", "ui:", "  positions:");
  for (const [id, [x, y]] of Object.entries(m.ui!.positions!))
    lines.push(`    ${id}: [${x}, ${y}]`);
  return lines.join("\n") + "\n";
}

const arbModel: fc.Arbitrary<Model> = fc
  .uniqueArray(fc.constantFrom(...POOL), { minLength: 1, maxLength: 5 })
  .chain((ids) =>
    fc
      .tuple(
        ...ids.map((id, i) =>
          fc
            .record({
              needs: fc.subarray(ids.slice(0, i)),
              ref:
                i === 0
                  ? fc.constant(undefined)
                  : fc.option(fc.constantFrom(...ids.slice(0, i)), { nil: undefined }),
              n: fc.integer({ min: 0, max: 99 }),
              pos: fc.tuple(fc.integer({ min: -500, max: 500 }), fc.integer({ min: 0, max: 900 })),
            })
            .map(({ needs, ref, n, pos }) => ({ id, needs, ref, n, pos })),
        ),
      )
      .map((rows) => ({
        flow: "gen",
        steps: rows.map(({ id, needs, ref, n }) => {
          const s: Step = { id, uses: USES, with: { n } };
          if (needs.length) s.needs = needs;
          if (ref) s.with!.ref = `\${{ steps.${ref}.output.value }}`;
          return s;
        }),
        ui: { positions: Object.fromEntries(rows.map((r) => [r.id, r.pos])) },
      })),
  );

const id = fc.constantFrom(...POOL);
const position = fc.tuple(fc.integer({ min: -999, max: 999 }), fc.integer({ min: -999, max: 999 }));
const value = fc.oneof(
  fc.integer({ min: -5, max: 500 }),
  fc.constantFrom("T0", "text with: colon", "${{ steps.a.output.x }}", "yes", "", null),
);
const newStep: fc.Arbitrary<NewStep> = fc.record(
  {
    id,
    uses: fc.constant(USES),
    needs: fc.uniqueArray(id, { maxLength: 2 }),
    with: fc.dictionary(
      fc.constantFrom("k", "ref"),
      fc.oneof(fc.integer(), fc.constant("${{ steps.b.output.v }}")),
      {
        maxKeys: 2,
      },
    ),
  },
  { requiredKeys: ["id", "uses"] },
);
const arbEdit: fc.Arbitrary<FlowEdit> = fc.oneof(
  fc.record({
    type: fc.constant("add-step" as const),
    step: newStep,
    after: fc.option(id, { nil: undefined }),
    position: fc.option(position, { nil: undefined }),
  }),
  fc.record({ type: fc.constant("remove-step" as const), id }),
  fc.record({ type: fc.constant("rename-step" as const), from: id, to: id }),
  fc.record({ type: fc.constant("connect" as const), from: id, to: id }),
  fc.record({ type: fc.constant("disconnect" as const), from: id, to: id }),
  fc.record({ type: fc.constant("move" as const), id, position }),
  fc.record({
    type: fc.constant("set-input" as const),
    id,
    key: fc.constantFrom("n", "ref", "k", "deep.x", "deep.y"),
    value,
  }),
  fc.record({
    type: fc.constant("set-field" as const),
    id,
    path: fc.constantFrom(
      ["sla"],
      ["retry", "max"],
      ["trust", "min"],
      ["model", "budget_usd"],
      ["retry"],
    ),
    value,
  }),
  fc.record({ type: fc.constant("insert-between" as const), step: newStep, from: id, to: id }),
);

function comments(text: string): string[] {
  return text.split("\n").flatMap((l) => /(?:^|\s)(#.*)$/.exec(l)?.[1] ?? []);
}

describe("applyEdit (property)", () => {
  it("matches the reference model and keeps every comment", () => {
    fc.assert(
      fc.property(arbModel, fc.array(arbEdit, { maxLength: 15 }), (initial, edits) => {
        const original = render(initial);
        expect(parse(original)).toEqual(initial);
        const model = clone(initial);
        const alive = new Map(initial.steps.map((s) => [s.id, s.id]));
        let text = original;
        for (const edit of edits) {
          const before = text;
          const r = applyEdit(text, edit);
          const valid = applyModel(model, edit, alive);
          expect(r.ok, `${JSON.stringify(edit)}: ${r.ok ? "" : r.error}`).toBe(valid);
          if (!r.ok) expect(r.text).toBe(before);
          text = r.text;
          const parsed = parse(text) as Model;
          expect(parsed, JSON.stringify(edit)).toEqual(normalise(model));
        }
        const kept = new Set(comments(text));
        const survivors = new Set([...alive.values()].map((o) => `# uses-of-${o}`));
        for (const c of comments(original)) {
          if (c.startsWith("# uses-of-") && !survivors.has(c)) continue;
          expect(kept.has(c), c).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/** The model with empty `ui` containers dropped, as the editor drops them. */
function normalise(m: Model): Model {
  const out = clone(m);
  if (out.ui && out.ui.positions && Object.keys(out.ui.positions).length === 0)
    delete out.ui.positions;
  if (out.ui && Object.keys(out.ui).length === 0) delete out.ui;
  return out;
}
