/**
 * The analysed flow (`FlowModel`, `StepModel`): what `analyze()` builds from the AST, `compile()`
 * turns into IR and the policy evaluator turns into facts. Internal to `dsl/`.
 */
import type { LocatedRef } from "../expr";
import type {
  CompiledExpr,
  CompiledObject,
  CompiledValue,
  ModelIR,
  OnError,
  TriggerIR,
} from "../ir";
import type { BlockDefinition, JsonSchema, ResilienceProfile, SlaTier, Span } from "../types";
import type { TrustBelow } from "./options";

/** A located expression occurrence, before reference checks. */
export interface ExprSite {
  compiled: CompiledExpr;
  refs: LocatedRef[];
  /** Maps an offset in the CEL source to an offset in the text (undefined: use `fallback`). */
  base?: number;
  fallback: Span;
  /** Owning step index, or -1 for flow outputs. */
  owner: number;
  /** Expected JSON Schema of the slot this value fills (type checks). */
  target?: JsonSchema;
  targetPath: string;
  /** True when the expression is the whole value (typed), false inside a template. */
  whole: boolean;
  allowItem: boolean;
}

/** A step after analysis. Internal to `dsl/`. */
export interface StepModel {
  index: number;
  id: string;
  idSpan: Span;
  usesSpan: Span;
  uses: string;
  block?: BlockDefinition;
  major: number;
  explicitNeeds: Array<{ id: string; span: Span }>;
  /** Implicit dependencies from data references: step id -> first reference span. */
  dataNeeds: Map<string, { span: Span; fields: Set<string> }>;
  /** All dependencies (explicit + data), resolved to indices, deduped. */
  deps: number[];
  inputs: CompiledObject;
  /** `with:` inputs as literals (expressions as their source text), for policy facts. */
  literalInputs: Record<string, unknown>;
  condition?: CompiledExpr;
  conditionFalseSpan?: Span;
  slaTier?: SlaTier;
  resilience: ResilienceProfile;
  compensate?: { uses: string; block: BlockDefinition };
  trustMin: number | null;
  ownTrustMin: number | null;
  /** The step's `trust.below`, else the flow's, else `halt`. */
  trustBelow: TrustBelow;
  trust: number;
  consent?: { purpose: string; require?: string; id?: CompiledValue };
  model?: ModelIR;
  onError: OnError;
  description?: string;
  /** Set when a step's structure is too broken to compile. */
  broken: boolean;
}

/** The analysed flow. Internal to `dsl/`. */
export interface FlowModel {
  name: string;
  version: string;
  description?: string;
  sla: SlaTier;
  slaSpan?: Span;
  trustMin: number | null;
  trustMinSpan?: Span;
  /** The flow's `trust.below` (default `halt`). */
  trustBelow: TrustBelow;
  /** The flow's `risk.max` (0..1), or null when it declares none. */
  riskMax: number | null;
  consentPurposes: string[];
  trigger: TriggerIR;
  inputsSchema: JsonSchema;
  outputs: Record<string, CompiledValue>;
  steps: StepModel[];
  byId: Map<string, StepModel>;
  /** Topological order of step indices, or undefined when the graph has a cycle. */
  order?: number[];
  policies: Array<{ ref: string; span: Span }>;
  sandboxOnly: boolean;
  rootSpan: Span;
}
