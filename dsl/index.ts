/**
 * The public API of the flow compiler: everything code outside `dsl/` may use, and the only
 * module it imports (`@/dsl`; the layer rules check it). Pure TypeScript with no node builtins:
 * runs in the browser (editor, canvas), the server (engine) and the CLI alike.
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
  MAX_SCANNED_NESTING,
  scanNesting,
} from "./parse";
export type { ParseResult } from "./parse";
export type { AstNode, AstMap, AstSeq, AstScalar, AstPair, ScalarValue } from "./ast";
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
export { sha256Hex, canonicalJson, type CanonicalForm } from "./hash";
export {
  parseCron,
  cronProblem,
  nextCronFires,
  CronError,
  CRON_HORIZON_MS,
  type Cron,
} from "./cron";
export {
  ajv,
  validatorFor,
  usePrecompiledValidator,
  AJV_OPTIONS,
  strictSchemaErrors,
  SCHEMA_FORMATS,
  MAX_CACHED_SCHEMAS,
} from "./json-schema-validator";
export { defaultPolicies } from "./policies/defaults";
export { evaluatePolicies, policyRef } from "./policies/evaluate";
export type { BlockResolver, FlowDirectory, TrustBelow } from "./validate";
export { ADDRESSING_INPUTS } from "./validate";
export type * from "./ir";
export { blockRef } from "./ir";
export type * from "./types";
export {
  BlockRegistry,
  BLOCK_KIND_ORDER,
  compareSemver,
  editDistance,
  parseBlockRef,
  validateBlockDefinition,
  type ResolveResult,
} from "./registry/registry";
export { primitiveBlocks } from "./registry/primitives/index";
export { agentBlocks, isAgentToolBlock, stepOutputSchemaOf } from "./registry/primitives/agent";
export { policyLibrary } from "./policies/library";
export { applyEdit, renamePosition, type FlowEdit } from "./edit/apply-edit";
export {
  flowTemplates,
  getTemplate,
  TEMPLATE_IDS,
  type FlowTemplate,
  type TemplateId,
} from "./templates/index";
export {
  completionsAt,
  hoverAt,
  definitionAt,
  quickFixes,
  type CompletionItem,
  type CompletionKind,
  type CompletionResult,
  type Hover,
  type Definition,
  type QuickFix,
  type TextEdit,
  type LanguageEnv,
} from "./language/index";
