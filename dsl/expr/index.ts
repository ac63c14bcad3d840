/**
 * Expressions: `${{ ... }}` holds CEL over `inputs`, `steps.<id>.output`, `secrets`, `run` (and
 * `item`, `index` inside foreach). A string that is exactly one `${{ }}` is a typed expression;
 * text around `${{ }}` makes a template (a string). Compile time parses every expression with
 * @bufbuild/cel and extracts its references; run time evaluates precompiled programs from a cache.
 *
 * One file per responsibility: `strings.ts` (`${{ }}` in strings), `cel-parse.ts` (the parse
 * cache), `analysis.ts` (references, unknown names), `cost.ts` (static cost), `schema-types.ts`
 * (schemas at paths, type checks), `limits.ts` (the bounds), `meter.ts`, `regex.ts` and
 * `instrument.ts` (run-time bounds), `evaluate.ts` (programs and evaluation).
 */
export { EXPR_ROOTS, analyzeCel, type CelAnalysis, type LocatedRef } from "./analysis";
export type { CelSyntaxError } from "./cel-parse";
export { staticCost } from "./cost";
export {
  ExpressionError,
  compileCel,
  evaluate,
  evaluateCel,
  fromCel,
  program,
  toCelInput,
  type CelBudget,
  type EvalContext,
} from "./evaluate";
export { CEL_LIMITS } from "./limits";
export { regexSize } from "./regex";
export { schemaAtPath, schemaTypes, typesCompatible, type SchemaLookup } from "./schema-types";
export { hasExpression, scanString, type ScannedString, type StringSegment } from "./strings";
