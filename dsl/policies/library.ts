/**
 * The built-in governance policies: named, versioned CEL documents evaluated over the compiled
 * flow's facts (`PolicyFlowFacts`, `PolicyStepFacts` in `dsl/types.ts`). A flow opts in with
 * `policies: [name@major]`; a workspace may override `params`.
 *
 * Writing rules: `rule` is `true` when the subject complies; `when` narrows the subjects. Numbers
 * in facts may arrive as CEL `int` or `double`, so rules convert with `double(...)` before
 * comparing with a fractional parameter, and inputs are type-checked before use because an input
 * holding an expression arrives as its source text (a string).
 */
import type { PolicyDocument } from "../types";

/** CEL snippet: true when some step whose id is in the list `ids` satisfies `test` (over `s`). */
const anyUpstreamBlock = (ids: string, test: string) =>
  `${ids}.exists(u, flow.steps.exists(s, s.id == u && ${test}))`;

/** Every built-in policy, version 1.x. `LIBRARY.md` lists them. */
export const policyLibrary: PolicyDocument[] = [
  {
    name: "no-low-trust-billing-writes",
    version: "1.0.0",
    title: "No low-trust writes to billing",
    description:
      "A step that writes to the billing system must have a trust score of at least `params.floor`, and so must every agent step upstream of it (an agent's output must not reach a billing write unless the agent is trusted). The edge-level companion is `no-low-trust-agent-data-into-billing@1`.",
    scope: "step",
    when: "step.system == 'billing' && step.sideEffect == 'write'",
    rule:
      "double(step.trust) >= double(params.floor) && !" +
      anyUpstreamBlock(
        "step.upstream",
        "s.kind == 'agent' && double(s.trust) < double(params.floor)",
      ),
    message:
      "Step {step} writes to billing but it, or an agent step upstream of it, has a trust score below the floor",
    severity: "error",
    params: { floor: 0.9 },
  },
  {
    name: "no-low-trust-agent-data-into-billing",
    version: "1.0.0",
    title: "No low-trust agent data into billing writes",
    description:
      "On a data edge (a `${{ steps.x.output... }}` reference) from an agent step to a billing write, the agent's trust score must be at least `params.floor`.",
    scope: "edge",
    when: "edge.kind == 'data' && from.kind == 'agent' && to.system == 'billing' && to.sideEffect == 'write'",
    rule: "double(from.trust) >= double(params.floor)",
    message: "Agent step {from} feeds billing write {to} but its trust score is below the floor",
    severity: "error",
    params: { floor: 0.9 },
  },
  {
    name: "t1-requires-dead-letter",
    version: "1.0.0",
    title: "T1 and T0 writes need a dead letter",
    description:
      "In a T0 or T1 flow (or a step raised to T0/T1), every step that writes must write a dead-letter record when its retries run out, so no failed write is silently lost.",
    scope: "step",
    when: "(flow.sla in ['T0', 'T1'] || step.sla in ['T0', 'T1']) && step.sideEffect == 'write'",
    rule: "step.deadLetter",
    message: "Step {step} writes in a T0/T1 flow but has no dead letter",
    severity: "error",
  },
  {
    name: "t0-requires-resilience",
    version: "1.0.0",
    title: "T0 steps need full resilience",
    description:
      "In a T0 flow, every step that reaches an external system (a side effect, or a `system` such as `llm`) needs at least `params.minRetries` retries, a circuit breaker and a dead letter.",
    scope: "step",
    when: "(flow.sla == 'T0' || step.sla == 'T0') && (step.sideEffect != 'none' || step.system != '')",
    rule: "int(step.retries) >= int(params.minRetries) && int(step.breakerThreshold) > 0 && step.deadLetter",
    message:
      "Step {step} runs in a T0 flow without retries >= 3, a circuit breaker and a dead letter",
    severity: "error",
    params: { minRetries: 3 },
  },
  {
    name: "consent-purpose-declared",
    version: "1.0.0",
    title: "Consent purposes are declared by the flow",
    description:
      "A step that needs consent (its own `consent.purpose` or its block's) may only run in a flow that declares that purpose under `consent.purposes`.",
    scope: "step",
    when: "step.consentPurpose != ''",
    rule: "step.consentPurpose in flow.consentPurposes",
    message:
      "Step {step} needs a consent purpose that the flow does not declare under consent.purposes",
    severity: "error",
  },
  {
    name: "agent-budget-required",
    version: "1.0.0",
    title: "Agent steps have a budget",
    description:
      "Every agent step sets `model.budget_usd` greater than zero and at most `params.maxUsd`, so a run cannot spend without bound.",
    scope: "step",
    when: "step.kind == 'agent'",
    rule: "double(step.budgetUsd) > 0.0 && double(step.budgetUsd) <= double(params.maxUsd)",
    message:
      "Agent step {step} needs model.budget_usd greater than 0 (and within the workspace cap)",
    severity: "error",
    params: { maxUsd: 5 },
  },
  {
    name: "refund-needs-approval",
    version: "1.0.0",
    title: "Large or computed refunds need approval",
    description:
      "A `billing.refund.create` step whose `amount` exceeds `params.threshold`, is an expression, or is omitted (a full refund) must have a `human.approval` step upstream.",
    scope: "step",
    when: "step.block == 'billing.refund.create'",
    rule:
      "('amount' in step.inputs && (type(step.inputs.amount) == int || type(step.inputs.amount) == uint || type(step.inputs.amount) == double) && double(step.inputs.amount) <= double(params.threshold)) || " +
      anyUpstreamBlock("step.upstream", "s.block == 'human.approval'"),
    message:
      "Refund step {step} can exceed the approval threshold: add a human.approval step before it",
    severity: "error",
    params: { threshold: 500 },
  },
  {
    name: "no-external-http-in-sandbox",
    version: "1.0.0",
    title: "No external HTTP in sandbox-only flows",
    description:
      "A flow marked `sandbox: true` may not call arbitrary external endpoints: no `http.request` step (typed connectors are routed to their sandbox tenants instead).",
    scope: "step",
    when: "flow.sandboxOnly",
    rule: "step.system != 'http' && step.block != 'http.request'",
    message: "Step {step} calls an external HTTP endpoint from a sandbox-only flow",
    severity: "error",
  },
  {
    name: "writes-need-compensation",
    version: "1.0.0",
    title: "Writes followed by other steps have a compensation",
    description:
      "A connector write that other steps depend on must declare `compensate:` so the saga can undo it when a later step fails. A write no step depends on (a sink) is exempt: nothing after it can fail.",
    scope: "step",
    when: "step.sideEffect == 'write' && step.kind == 'connector'",
    rule: "step.hasCompensate || !flow.steps.exists(s, step.id in s.upstream)",
    message: "Step {step} writes and later steps depend on it, but it has no compensate: block",
    severity: "warning",
  },
  {
    name: "code-steps-timeout",
    version: "1.0.0",
    title: "Sandboxed code has a bounded timeout",
    description:
      "Every `code.*` step has a per-attempt timeout greater than zero and at most `params.maxMs`.",
    scope: "step",
    when: "step.kind == 'code'",
    rule: "int(step.timeoutMs) > 0 && int(step.timeoutMs) <= int(params.maxMs)",
    message: "Code step {step} needs a timeout of at most 30 s",
    severity: "error",
    params: { maxMs: 30000 },
  },
  {
    name: "no-agent-direct-crm-delete",
    version: "1.0.0",
    title: "Agents cannot drive CRM deletes unreviewed",
    description:
      "An agent's output may not reach a CRM delete (`crm.*.delete`) unless a human step (approval or form) sits upstream of the delete.",
    scope: "edge",
    when: "from.kind == 'agent' && to.system == 'crm' && to.block.endsWith('.delete')",
    rule: anyUpstreamBlock("to.upstream", "s.kind == 'human'"),
    message: "Agent step {from} drives CRM delete {to} without a human review in between",
    severity: "error",
  },
  {
    name: "t0-flow-trust-min",
    version: "1.0.0",
    title: "T0 flows declare a trust floor",
    description:
      "A T0 flow sets `trust.min` to at least `params.min`, so it refuses to run when its blocks' trust degrades.",
    scope: "flow",
    when: "flow.sla == 'T0'",
    rule: "flow.trustMin != null && double(flow.trustMin) >= double(params.min)",
    message: "This T0 flow needs trust.min of at least 0.9",
    severity: "warning",
    params: { min: 0.9 },
  },
];
