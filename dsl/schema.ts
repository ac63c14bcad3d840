/**
 * The shape of a flow document, in zod 4. It is the single source of the published JSON Schema
 * (`public/schemas/flow.schema.json`, written by `dsl/scripts/write-schema.ts`, used by Monaco for
 * completion and hover) and of the structural checks of `validate()`. Semantic checks (blocks,
 * references, the graph) live in `dsl/validate/`.
 */
// A namespace import, so bundlers keep only the parts of zod used (not its locales and the rest).
import * as z from "zod";

/** SemVer 2.0.0. */
export const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
/** Durations: `500ms`, `30s`, `5m`, `1h`. */
export const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
/** `kind.name@major`. */
export const BLOCK_REF_RE = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_-]*)+@(0|[1-9]\d*)$/;
/** `name@major` for policies. */
export const POLICY_REF_RE = /^[a-z0-9][a-z0-9._-]*@(0|[1-9]\d*)$/;
/** Step ids: letters, digits, `_`, `-`; start with a letter. */
export const STEP_ID_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** Flow input names are CEL identifiers. */
export const INPUT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Five (or six, with seconds) cron fields. */
export const CRON_RE = /^\s*(\S+\s+){4,5}\S+\s*$/;

const meta = <T extends z.ZodType>(schema: T, title: string, description: string): T =>
  schema.meta({ title, description });

export const ZSlaTier = meta(
  z.enum(["T0", "T1", "T2"]),
  "SLA tier",
  "Resilience tier. T0: critical (most retries, circuit breaker, dead letter). T1: standard. T2: best effort (few retries, no dead letter).",
);

export const ZDuration = meta(
  z.string().regex(DURATION_RE),
  "Duration",
  "A duration: a number followed by ms, s, m or h, e.g. `500ms`, `30s`, `5m`.",
);

export const ZBlockRef = meta(
  z.string().regex(BLOCK_REF_RE),
  "Block reference",
  "A block and its pinned major version: `kind.name@major`, e.g. `billing.account.upsert@2`.",
);

export const ZTrust = meta(
  z.strictObject({
    min: meta(
      z.number().min(0).max(1),
      "Minimum trust",
      "The lowest trust score (0..1) at which this may run. A step's minimum defaults to the flow's.",
    ),
    below: meta(
      z.enum(["halt", "approval"]),
      "Below the minimum",
      "What happens when the trust score is under `min`: `halt` (default; a compile error, and a run halts before any side effect) or `approval` (a compile warning; each run waits at its start for a workspace approver).",
    ).optional(),
  }),
  "Trust",
  "Trust gate: the lowest trust score at which this may run, and what happens below it.",
);

export const ZRisk = meta(
  z.strictObject({
    max: meta(
      z.number().min(0).max(1),
      "Maximum risk",
      "The highest predicted failure risk (0..1) at which a T0 run starts without asking: above it, the run waits for a workspace approver. Applies only while the workspace's failure model passes its backtest (AUC ≥ 0.70 and ≥ 0.05 above the baseline); otherwise the risk is shown, not gated.",
    ),
  }),
  "Risk gate",
  "Failure-risk gate of a T0 flow: runs predicted to fail more likely than `max` ask for an approval first.",
);

export const ZRetry = meta(
  z
    .strictObject({
      max: meta(
        z.number().int().min(0).max(100),
        "Max retries",
        "Retries after the first attempt (0 = one attempt only).",
      ),
      backoff: meta(
        z.enum(["exponential", "linear", "fixed"]),
        "Backoff",
        "How the delay grows between retries.",
      ).optional(),
      jitter: meta(
        z.enum(["full", "equal", "none"]),
        "Jitter",
        "Randomisation of each delay.",
      ).optional(),
      initial_delay: meta(
        ZDuration,
        "Initial delay",
        "Delay before the first retry, e.g. `1s`.",
      ).optional(),
      max_delay: meta(ZDuration, "Max delay", "Cap on any single delay, e.g. `1m`.").optional(),
      factor: meta(
        z.number().min(1).max(10),
        "Factor",
        "Multiplier of exponential backoff.",
      ).optional(),
    })
    .partial({ max: true }),
  "Retry",
  "Overrides the SLA tier's retry policy for this step.",
);

export const ZConsent = meta(
  z.strictObject({
    purpose: meta(
      z.string().min(1),
      "Purpose",
      "The consent purpose this step processes data for; must be declared in the flow's `consent.purposes`.",
    ),
    id: meta(
      z.string().min(1),
      "Consent id",
      "Where the consent id comes from: an expression such as `${{ inputs.consentId }}` (a declared input, or a step's output). Without a value at run time the step fails closed; the consent id is logged.",
    ).optional(),
    require: meta(
      z.string().min(1),
      "Consent field",
      "Shorthand for `id`: the name of a declared flow input (or of a `with` input) that carries the consent id.",
    ).optional(),
  }),
  "Consent",
  "Consent this step needs, and how its consent id is given.",
);

export const ZModel = meta(
  z.strictObject({
    route: meta(
      z.string().min(1),
      "Route",
      "Task type the model router picks a model for, e.g. `summarization`.",
    ).optional(),
    fallback: meta(
      z.array(z.string().min(1)),
      "Fallback",
      "Models or routes tried in order when the first fails.",
    ).optional(),
    budget_usd: meta(
      z.number().min(0),
      "Budget (USD)",
      "Maximum spend for one run of this step, in US dollars.",
    ).optional(),
    preference: meta(
      z.enum(["cost", "latency", "quality"]),
      "Preference",
      "What the router optimises for.",
    ).optional(),
  }),
  "Model",
  "Model routing for agent blocks.",
);

const ZValue = meta(
  z.unknown(),
  "Value",
  "A literal, a `${{ expression }}` (CEL), or a template with text around `${{ }}`.",
);

export const ZStep = meta(
  z.strictObject({
    id: meta(
      z.string().regex(STEP_ID_RE),
      "Step id",
      "Unique id of the step; `steps.<id>.output` reads its output.",
    ),
    uses: meta(
      ZBlockRef,
      "Uses",
      "The block this step runs, pinned to a major version: `kind.name@major`.",
    ),
    description: meta(z.string(), "Description", "What this step does, for people.").optional(),
    with: meta(
      z.record(z.string(), ZValue),
      "Inputs",
      "The block's inputs. Values may be `${{ }}` CEL expressions or templates.",
    ).optional(),
    needs: meta(
      z.array(z.string()),
      "Needs",
      "Steps that must complete first. Data references (`${{ steps.x.output }}`) add to these implicitly.",
    ).optional(),
    if: meta(
      z.union([z.string(), z.boolean()]),
      "Condition",
      "Run the step only when this CEL condition is true, e.g. `${{ inputs.amount > 100 }}`.",
    ).optional(),
    sla: ZSlaTier.optional(),
    retry: ZRetry.optional(),
    timeout: meta(
      ZDuration,
      "Timeout",
      "Per-attempt timeout, overriding the SLA tier's, e.g. `30s`.",
    ).optional(),
    compensate: meta(
      ZBlockRef,
      "Compensate",
      "Block that undoes this step's write when a later step fails (saga).",
    ).optional(),
    trust: ZTrust.optional(),
    consent: ZConsent.optional(),
    model: ZModel.optional(),
    on_error: meta(
      z.enum(["fail", "continue", "compensate"]),
      "On error",
      "When the step fails after its retries: fail the run (default), continue, or compensate completed writes and fail.",
    ).optional(),
  }),
  "Step",
  "One step: runs one block with inputs.",
);

export const ZInputSpec = meta(
  z.looseObject({
    type: meta(
      z.enum(["string", "number", "integer", "boolean", "object", "array"]),
      "Type",
      "JSON Schema type of the input.",
    ),
    description: meta(z.string(), "Description", "What the input means.").optional(),
    pattern: meta(
      z.string(),
      "Pattern",
      "Regular expression a string input must match.",
    ).optional(),
    enum: meta(z.array(z.unknown()), "Enum", "The allowed values.").optional(),
    default: meta(
      z.unknown(),
      "Default",
      "Value used when the input is not given (applied before any expression runs).",
    ).optional(),
    examples: meta(
      z.array(z.unknown()),
      "Examples",
      "Sample values; a run form proposes the first one.",
    ).optional(),
    required: meta(
      z.boolean(),
      "Required",
      "Whether the input must be given (default: true unless it has a default).",
    ).optional(),
    minimum: meta(z.number(), "Minimum", "Lowest allowed number.").optional(),
    maximum: meta(z.number(), "Maximum", "Highest allowed number.").optional(),
    format: meta(z.string(), "Format", "JSON Schema format, e.g. `email`.").optional(),
    items: meta(
      z.record(z.string(), z.unknown()),
      "Items",
      "JSON Schema of array items.",
    ).optional(),
    properties: meta(
      z.record(z.string(), z.unknown()),
      "Properties",
      "JSON Schemas of object properties.",
    ).optional(),
  }),
  "Input",
  "A flow input, typed with JSON Schema.",
);

export const ZTrigger = meta(
  z.strictObject({
    manual: meta(
      z.union([z.null(), z.strictObject({})]),
      "Manual",
      "Started by a person or the API.",
    ).optional(),
    webhook: meta(
      z.union([
        z.null(),
        z.strictObject({
          event: meta(
            z.string().min(1),
            "Event",
            "The event that starts the flow, e.g. `clm.contract.signed`.",
          ).optional(),
          respond: meta(
            z.enum(["sync", "async"]),
            "Respond",
            "Answer the webhook when the run ends (sync) or at once (async).",
          ).optional(),
        }),
      ]),
      "Webhook",
      "Started by an incoming webhook.",
    ).optional(),
    schedule: meta(
      z.strictObject({
        cron: meta(
          z.string().regex(CRON_RE),
          "Cron",
          "Cron expression: minute hour day-of-month month day-of-week.",
        ),
      }),
      "Schedule",
      "Started on a schedule.",
    ).optional(),
  }),
  "Trigger",
  "What starts the flow: exactly one of manual, webhook, schedule.",
);

/** The flow document. */
export const ZFlowDocument = meta(
  z.strictObject({
    flow: meta(z.string().min(1), "Flow", "The flow's name."),
    version: meta(
      z.string().regex(SEMVER_RE),
      "Version",
      "SemVer version; saving a changed flow suggests the next one.",
    ),
    description: meta(z.string(), "Description", "What the flow does.").optional(),
    sla: ZSlaTier.optional(),
    trust: ZTrust.optional(),
    risk: ZRisk.optional(),
    consent: meta(
      z.strictObject({
        purposes: meta(
          z.array(z.string().min(1)),
          "Purposes",
          "Consent purposes this flow may process data for.",
        ),
      }),
      "Consent",
      "Consent purposes of the flow.",
    ).optional(),
    trigger: ZTrigger.optional(),
    inputs: meta(
      z.record(z.string(), ZInputSpec),
      "Inputs",
      "Typed flow inputs, by name; read them as `${{ inputs.name }}`.",
    ).optional(),
    outputs: meta(
      z.record(z.string(), ZValue),
      "Outputs",
      "Flow outputs, by name: expressions over inputs and steps.",
    ).optional(),
    steps: meta(
      z.array(ZStep),
      "Steps",
      "The steps; `needs` and data references order them as a DAG.",
    ),
    policies: meta(
      z.array(z.string().regex(POLICY_REF_RE)),
      "Policies",
      "Governance policies (`name@major`) checked at compile time, in addition to the workspace's.",
    ).optional(),
    sandbox: meta(
      z.boolean(),
      "Sandbox",
      "When true the flow may only run in sandbox sessions.",
    ).optional(),
    ui: meta(
      z.strictObject({
        positions: meta(
          z.record(z.string(), z.tuple([z.number(), z.number()])),
          "Positions",
          "Canvas positions by step id: `[x, y]`.",
        ).optional(),
      }),
      "UI",
      "Canvas layout, kept so the canvas looks the same after a round trip.",
    ).optional(),
  }),
  "Trustflow flow",
  "A Trustflow flow document.",
);

/** A parsed flow document (structurally valid). */
export type FlowDocument = z.infer<typeof ZFlowDocument>;
export type StepDocument = z.infer<typeof ZStep>;

/** The JSON Schema of a flow document, for editors. */
export function flowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ZFlowDocument, { io: "input", target: "draft-2020-12" }) as Record<
    string,
    unknown
  >;
  return { ...schema, $id: "https://trustflow.dev/schemas/flow.schema.json" };
}
