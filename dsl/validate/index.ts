/**
 * Phase 2 of the compiler, validation: `analyze()` (structure and semantics, never throws) and
 * what other parts of `dsl/` share with it. One file per responsibility:
 *
 * - `analyze.ts`: the entry point and the flow's own keys (trigger, inputs, outputs);
 * - `structural.ts`: zod issues mapped to diagnostics;
 * - `steps.ts`: one step's model; `expressions.ts`: values and CEL; `inputs.ts`: block inputs;
 * - `references.ts`: reference checks; `graph.ts`: dependencies, cycles, order;
 * - `trust.ts`: trust gates, consent, addressing; `suggest.ts`: "did you mean" hints;
 * - `bare-cel.ts`: inputs that hold bare CEL; `read.ts`: typed readers of AST values;
 * - `context.ts`: the state of one analysis; `model.ts`, `options.ts`: types.
 */
export { analyze } from "./analyze";
export { BARE_CEL_IN_LISTS, isBareCel } from "./bare-cel";
export { findCycles, topoOrder } from "./graph";
export type { ExprSite, FlowModel, StepModel } from "./model";
export {
  ADDRESSING_INPUTS,
  type BlockResolver,
  type CompileOptions,
  type FlowDirectory,
  type TrustBelow,
} from "./options";
export { structuralDiagnostics } from "./structural";
export { editDistance, suggest } from "./suggest";
