/**
 * Shared contracts of the flow language. Everything the canvas, editor, server, engine and CLI
 * exchange with `dsl/` is typed here. This file is pure data types: no runtime imports.
 */

/** A half-open range of UTF-16 offsets into the source text: `[start, end)`. */
export interface Span {
  start: number;
  end: number;
}

export type Severity = "error" | "warning" | "info";

/**
 * A diagnostic is data. `code` is a stable string from the catalogue in `dsl/diagnostics.ts`
 * (documented in `dsl/README.md`); `message` is a function of the diagnostic's data.
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  span: Span;
  hint?: string;
  /** The step the diagnostic belongs to, when there is one (canvas badges use it). */
  stepId?: string;
  /** For policy violations: `name@major` of the policy. */
  policy?: string;
}

export type BlockKind =
  "connector" | "control" | "agent" | "policy" | "data" | "code" | "human" | "trigger";

export type SideEffect = "none" | "read" | "write";

export type SlaTier = "T0" | "T1" | "T2";

/** A JSON Schema (draft 2020-12) as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** Plain data, the engine's retry policy. Documented defaults per tier live in `dsl/sla.ts`. */
export interface ResilienceProfile {
  tier: SlaTier;
  /** Retries after the first attempt (0 = one attempt only). */
  retries: number;
  backoff: "exponential" | "linear" | "fixed";
  /** Delay before the first retry, milliseconds. */
  initialDelayMs: number;
  /** Multiplier for exponential backoff. */
  factor: number;
  /** Cap on any single delay, milliseconds. */
  maxDelayMs: number;
  jitter: "full" | "equal" | "none";
  /** Per-attempt timeout, milliseconds. */
  timeoutMs: number;
  breaker: {
    /** Consecutive failures that open the breaker. */
    failureThreshold: number;
    /** How long the breaker stays open before one half-open probe, milliseconds. */
    halfOpenAfterMs: number;
  };
  /** When retries run out: write a dead-letter record. */
  deadLetter: boolean;
}

/** A block definition: data, never code. Runtimes live in the server behind a port. */
export interface BlockDefinition {
  /** Dotted id without version, e.g. `billing.invoice.create`. */
  id: string;
  /** Full SemVer, e.g. `2.1.0`; flows pin the major: `uses: billing.invoice.create@2`. */
  version: string;
  kind: BlockKind;
  title: string;
  /** Markdown documentation shown in the palette, inspector and hover. */
  docs: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  sideEffect: SideEffect;
  /** Tier used when neither step nor flow sets one, and per-field overrides of that tier. */
  sla?: { tier?: SlaTier } & Partial<Omit<ResilienceProfile, "tier" | "breaker">>;
  /** A consent purpose the block always needs (e.g. `marketing` for outbound email). */
  consent?: { purpose: string };
  /** Baseline trust score in 0..1, used until live scores exist. */
  baselineTrust: number;
  /** The block (`id@major`) that undoes this one's write, when one exists. */
  compensation?: string;
  /** Connector system (`crm`, `billing`, `clm`, `http`), used for breakers and policies. */
  system?: string;
  /** Valid example `with:` inputs; the palette uses it for a new step's defaults. */
  example: Record<string, unknown>;
  deprecated?: { message: string; replacement?: string };
  tags?: string[];
}

/**
 * A governance policy: a named, versioned CEL document. `rule` must evaluate to `true` for the
 * subject to comply; `when` (optional) selects the subjects the rule applies to.
 *
 * CEL variables by scope:
 * - `flow`: `flow` ({@link PolicyFlowFacts})
 * - `step`: `flow`, `step` ({@link PolicyStepFacts})
 * - `edge`: `flow`, `from`, `to` (both {@link PolicyStepFacts}), `edge` ({ kind: "needs" | "data", fields: string[] })
 * Every scope also has `params` (the policy's parameters, overridable by a workspace).
 */
export interface PolicyDocument {
  name: string;
  /** SemVer; flows reference `name@major`. */
  version: string;
  title: string;
  description: string;
  scope: "flow" | "step" | "edge";
  when?: string;
  rule: string;
  /** Message shown on violation; `{step}`, `{from}`, `{to}` are replaced. */
  message: string;
  severity: Severity;
  params?: Record<string, unknown>;
}

export interface PolicyFlowFacts {
  name: string;
  version: string;
  sla: SlaTier;
  trustMin: number | null;
  consentPurposes: string[];
  triggers: string[];
  /** True when the flow declares `sandbox: true` (may only run in sandbox sessions). */
  sandboxOnly: boolean;
  steps: PolicyStepFacts[];
}

export interface PolicyStepFacts {
  id: string;
  uses: string;
  block: string;
  major: number;
  kind: BlockKind;
  system: string;
  sideEffect: SideEffect;
  sla: SlaTier;
  retries: number;
  breakerThreshold: number;
  deadLetter: boolean;
  timeoutMs: number;
  trustMin: number | null;
  /** The block's current trust score from the trust provider. */
  trust: number;
  consentPurpose: string;
  hasCompensate: boolean;
  /** `model.budget_usd`, or -1 when none is set. */
  budgetUsd: number;
  /** Literal input values (expressions appear as their source text). */
  inputs: Record<string, unknown>;
  /** Every step this one depends on, directly or transitively. */
  upstream: string[];
}

/** Supplies the current trust score of a block (`id`) or step; default: registry baselines. */
export interface TrustProvider {
  blockScore(blockId: string): number | undefined;
  stepScore?(flow: string, stepId: string): number | undefined;
}
