/**
 * Default policies: always enforced, whatever the flow lists. Rules that are governance rather
 * than language (e.g. "T0 writes need a compensation") live here as CEL documents instead of
 * being hard-coded in the compiler, so they read, version and evolve like any other policy.
 */
import type { PolicyDocument } from "../types";

/** Always-enforced policies. */
export const defaultPolicies: PolicyDocument[] = [
  {
    name: "t0-writes-need-compensation",
    version: "1.0.0",
    title: "T0 writes need a compensation",
    description:
      "In a T0 flow (or a step raised to T0), every step that writes must name a `compensate` block (or use a block that declares one), so a failure later in the run can undo it (saga).",
    scope: "step",
    when: "(flow.sla == 'T0' || step.sla == 'T0') && step.sideEffect == 'write'",
    rule: "step.hasCompensate",
    message: "Step {step} writes in a T0 flow but has no `compensate` block to undo it",
    severity: "error",
  },
];
