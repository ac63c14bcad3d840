/**
 * The public API of the flow compiler. Pure TypeScript: runs in the browser (editor, canvas),
 * the server (engine) and the CLI alike.
 */
export { compile, validate, hashIr, type CompileResult, type CompileOptions } from "./compile";
export {
  parseFlow,
  astToJs,
  getPair,
  getValue,
  spanAtPath,
  MAX_ALIAS_NODES,
  MAX_NESTING_DEPTH,
} from "./parse";
export type { AstNode, AstMap, AstSeq, AstScalar, AstPair, ParseResult } from "./parse";
export { diffFlows, bumpVersion, type FlowChange, type FlowDiff } from "./diff";
export {
  evaluate,
  evaluateCel,
  compileCel,
  analyzeCel,
  scanString,
  ExpressionError,
  CEL_LIMITS,
  type EvalContext,
} from "./expr";
export { offsetToPosition, lineStarts, type Position } from "./positions";
export { diagnosticCatalogue, diagnosticCodes, diag, type DiagnosticCode } from "./diagnostics";
export { SLA_PROFILES, DEFAULT_TIER, parseDuration, resolveResilience } from "./sla";
export {
  ZFlowDocument,
  ZStep,
  flowJsonSchema,
  type FlowDocument,
  type StepDocument,
} from "./schema";
export { sha256Hex, canonicalJson } from "./hash";
export { defaultPolicies } from "./policies/defaults";
export { evaluatePolicies, policyRef } from "./policies/evaluate";
export type { BlockResolver, FlowDirectory, TrustBelow } from "./validate";
export { ADDRESSING_INPUTS } from "./validate";
export type * from "./ir";
export type * from "./types";
export { BlockRegistry, type ResolveResult } from "./registry/registry";
export { primitiveBlocks } from "./registry/primitives/index";
export { policyLibrary } from "./policies/library";
export { applyEdit } from "./edit/apply-edit";
