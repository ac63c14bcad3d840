/**
 * The children of fan-out steps in a compiled flow, for the folds that score and measure attempts
 * by step (trust, anomalies, rollups, failure prediction). The engine runs a `control.parallel`
 * branch as the attempt `contacts[1]` and a `control.foreach` item as `each[3]`, with the
 * branch's (or `do`'s) own block — not a step of the IR, so without this their connector calls
 * counted for no block and no endpoint. A parallel branch is entered as `contacts[1]`, a foreach
 * item as `each[*]`; {@link stepAt} finds either. Only literal `uses` of the shipped registry
 * resolve (as the engine's do); nested fan-outs count for their outer child's entry, not deeper.
 */
import { blockRef, type BlockRef, type CompiledValue, type FlowIR, type StepIR } from "@/dsl";
import { serverRegistry } from "./workflow/compile-flow";

/** A fan-out child's entry: its id (`p[1]` or `each[*]`), its parent step and its block. */
export interface FanOutChild {
  id: string;
  parent: StepIR;
  block: BlockRef;
}

function entry(v: CompiledValue | undefined, key: string): CompiledValue | undefined {
  return v?.kind === "object" ? v.entries[key] : undefined;
}

function literalUses(v: CompiledValue | undefined): string | undefined {
  const uses = entry(v, "uses");
  return uses?.kind === "literal" && typeof uses.value === "string" ? uses.value : undefined;
}

function blockOf(uses: string | undefined): BlockRef | undefined {
  if (!uses) return undefined;
  const r = serverRegistry().resolve(uses);
  return r.ok ? blockRef(r.block) : undefined;
}

/**
 * The fan-out children of `ir`'s steps whose block resolves.
 *
 * @example
 * fanOutChildren(ir); // [{ id: "contacts[0]", parent, block: { id: "crm.contact.get", ... } }, ...]
 */
export function fanOutChildren(ir: FlowIR): FanOutChild[] {
  const out: FanOutChild[] = [];
  for (const parent of ir.steps) {
    if (parent.block.id === "control.foreach") {
      const block = blockOf(literalUses(entry(parent.inputs, "do")));
      if (block) out.push({ id: `${parent.id}[*]`, parent, block });
    } else if (parent.block.id === "control.parallel") {
      const branches = entry(parent.inputs, "branches");
      if (branches?.kind !== "array") continue;
      branches.items.forEach((b, i) => {
        const block = blockOf(literalUses(b));
        if (block) out.push({ id: `${parent.id}[${i}]`, parent, block });
      });
    }
  }
  return out;
}

/**
 * The entry of `stepId` in a fold's step table: the step itself, else a fan-out child's
 * (`p[1]`, then `each[*]` for `each[3]`; a nested child `each[3][0]` as its outer child).
 */
export function stepAt<T>(steps: ReadonlyMap<string, T>, stepId: string): T | undefined {
  const own = steps.get(stepId);
  if (own !== undefined || !stepId.endsWith("]")) return own;
  const m = /^(.*?)\[(\d+)\]/.exec(stepId);
  if (!m) return undefined;
  return steps.get(`${m[1]}[${m[2]}]`) ?? steps.get(`${m[1]}[*]`);
}
