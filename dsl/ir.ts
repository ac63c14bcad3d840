/**
 * The compiled form of a flow: a typed DAG the engine executes. Produced by `compile()` in
 * `dsl/compile.ts`; everything here is plain, serialisable data (no functions, no classes), so the
 * IR can be stored, hashed and sent over the wire.
 */
import type {
  BlockDefinition,
  BlockKind,
  JsonSchema,
  ResilienceProfile,
  SideEffect,
  SlaTier,
  Span,
} from "./types";

/** One reference found in an expression: `steps.<id>.output.<path>`, `inputs.<name>`, ... */
export interface ExprRef {
  /** The root variable. */
  root: "inputs" | "steps" | "secrets" | "run" | "item" | "index";
  /** For `steps`: the step id referenced. */
  stepId?: string;
  /**
   * Field path after the root (for steps: after `output`), e.g. `["customer", "name"]` for
   * `steps.contract.output.customer.name`. Stops at the first non-static access (index, call).
   */
  path: string[];
}

/** A CEL expression, precompiled: the engine passes it to `evaluate()` from `dsl/expr/evaluate.ts`. */
export interface CompiledExpr {
  kind: "expr";
  /** CEL source, without the `${{ }}` delimiters. */
  source: string;
  refs: ExprRef[];
  /** Where the CEL source sits in the flow text (for run-time error reporting). */
  span?: Span;
}

/** A string with `${{ }}` parts inside text: evaluates to a string. */
export interface CompiledTemplate {
  kind: "template";
  parts: Array<{ kind: "text"; value: string } | CompiledExpr>;
}

export interface CompiledLiteral {
  kind: "literal";
  value: string | number | boolean | null;
}

export interface CompiledObject {
  kind: "object";
  entries: Record<string, CompiledValue>;
}

export interface CompiledArray {
  kind: "array";
  items: CompiledValue[];
}

/** A step input or flow output after compilation. */
export type CompiledValue =
  CompiledLiteral | CompiledExpr | CompiledTemplate | CompiledObject | CompiledArray;

/** The resolved block a step runs. */
export interface BlockRef {
  id: string;
  /** Full SemVer of the registry version the step resolved to. */
  version: string;
  major: number;
  kind: BlockKind;
  sideEffect: SideEffect;
  /** Connector system (`crm`, `billing`, ...) or `""` when none. */
  system: string;
}

/** The {@link BlockRef} of a registry block definition. */
export function blockRef(b: BlockDefinition): BlockRef {
  return {
    id: b.id,
    version: b.version,
    major: Number(b.version.split(".")[0]),
    kind: b.kind,
    sideEffect: b.sideEffect,
    system: b.system ?? "",
  };
}

export type TriggerIR =
  | { type: "manual" }
  | { type: "webhook"; event?: string; respond?: "sync" | "async" }
  | { type: "schedule"; cron: string };

export type OnError = "fail" | "continue" | "compensate";

export interface ModelIR {
  route?: string;
  fallback: string[];
  budgetUsd?: number;
  preference?: "cost" | "latency" | "quality";
}

export interface StepIR {
  /** The user's step id (stable across edits). */
  id: string;
  /** As written, e.g. `billing.account.upsert@2`. */
  uses: string;
  block: BlockRef;
  /** Explicit `needs` plus implicit dependencies from data references; deduped, sorted. */
  needs: string[];
  /** Compiled `with:` inputs. Always an object value. */
  inputs: CompiledObject;
  /** Compiled `if:`; the step is skipped when it evaluates to false. */
  condition?: CompiledExpr;
  resilience: ResilienceProfile;
  /** The block that undoes this step's write when a later step fails (saga). */
  compensate?: { uses: string; block: BlockRef };
  /** Lowest trust score at which the step may run (step value, else the flow's), or null. */
  trustMin: number | null;
  /**
   * Present (`approval`) when a score under `trustMin` asks for an approval instead of halting
   * (`trust.below`, the step's else the flow's). The approval is the flow's {@link FlowIR.trustGate}.
   */
  trustBelow?: "approval";
  /** The current trust score the compiler saw (trust provider, default: block baseline). */
  trust: number;
  /**
   * Consent the step needs. The consent id is `id` evaluated (an expression over the step's
   * context), else the input named `require` (the step's `with`, then the run's inputs), else
   * `consentId` / `consent_id`; without one the step fails closed.
   */
  consent?: { purpose: string; require?: string; id?: CompiledValue };
  model?: ModelIR;
  onError: OnError;
  description?: string;
  /** Span of the step's `id` value in the source (for run-time error reporting). */
  span?: Span;
}

/** The compiled flow. `steps` are in a deterministic topological order (ties by source order). */
export interface FlowIR {
  name: string;
  version: string;
  description?: string;
  sla: SlaTier;
  trustMin: number | null;
  /** Present (`approval`) when the flow's `trust.below` is `approval`; absent means `halt`. */
  trustBelow?: "approval";
  /** Flow trust score: the minimum of its steps' scores (1 for an empty flow; gate excluded). */
  trust: number;
  /**
   * The id of the trust gate step, when the flow declares a gate with `below: approval`: the
   * compiler adds a `human.approval` step (addressed to the workspace's approvers) that every
   * other step waits for. The engine decides at the run's start, on the scores earned from run
   * history (the IR's where there are too few), whether it waits (a score under its minimum: the
   * run asks before any side effect) or passes. See `dsl/README.md`, "Trust".
   */
  trustGate?: string;
  /**
   * The flow's `risk.max`, present only when declared: a T0 run whose predicted failure risk is
   * above it waits for an approval (when the workspace's model may gate; see `dsl/README.md`,
   * "Risk"). Absent otherwise, so flows without it keep their IR hash.
   */
  riskMax?: number;
  consentPurposes: string[];
  trigger: TriggerIR;
  /** JSON Schema (draft 2020-12) object for the flow's inputs. */
  inputsSchema: JsonSchema;
  outputs: Record<string, CompiledValue>;
  steps: StepIR[];
  /** Policies applied at compile time, `name@major`, sorted. */
  policies: string[];
  /** True when the flow declares `sandbox: true`. */
  sandboxOnly: boolean;
  /** SHA-256 hex of the canonical JSON of this IR without `hash` (spans excluded). */
  hash: string;
}
