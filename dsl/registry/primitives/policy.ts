/** Run-time governance blocks. Design-time policies live in `dsl/policies/library.ts`. */
import type { BlockDefinition } from "../../types";
import { assignees } from "./human";
import { obj, oneOfValues, str, timestamp } from "./json-schema";

/** Policy blocks. */
export const policyBlocks: BlockDefinition[] = [
  {
    id: "policy.check",
    version: "1.3.0",
    kind: "policy",
    title: "Policy check",
    docs: "Evaluates a CEL `rule` at run time over `inputs`, `steps.<id>.output` and `run`.\n\nWhen the rule is false:\n- `otherwise: fail` fails the run (compensations run),\n- `otherwise: approval` parks the run until a person decides (`approvers`: a `role`, `group` or `users`; default the workspace's approvers, `role: approver`),\n- `otherwise: continue` records the violation and goes on.\n\n```yaml\nwith:\n  rule: steps.account.output.creditLimit <= 50000.0\n  otherwise: approval\n```",
    inputSchema: obj(
      {
        rule: str("CEL expression evaluating to a bool", { minLength: 1 }),
        otherwise: oneOfValues(["fail", "approval", "continue"]),
        message: str("Shown to approvers and in the run log", { maxLength: 1000 }),
        approvers: assignees,
      },
      ["rule", "otherwise"],
    ),
    outputSchema: obj(
      {
        passed: { type: "boolean" },
        decision: oneOfValues(["pass", "approved", "rejected", "continued"]),
      },
      ["passed", "decision"],
    ),
    sideEffect: "none",
    baselineTrust: 0.99,
    example: { rule: "steps.account.output.creditLimit <= 50000.0", otherwise: "approval" },
    tags: ["governance"],
  },
  {
    id: "policy.consent",
    version: "1.0.0",
    kind: "policy",
    system: "consent",
    title: "Consent check",
    docs: "Looks up the data subject's consent for a `purpose`. With `require: true` (the default) a missing consent fails closed; the consent id is logged either way.",
    inputSchema: obj(
      {
        subjectId: str("Customer or contact id", { minLength: 1 }),
        purpose: str("Processing purpose, e.g. `marketing`", { pattern: "^[a-z][a-z0-9_-]*$" }),
        require: { type: "boolean", default: true },
      },
      ["subjectId", "purpose"],
    ),
    outputSchema: obj(
      {
        granted: { type: "boolean" },
        consentId: { type: ["string", "null"] },
        purpose: str(),
        grantedAt: { ...timestamp, type: ["string", "null"] },
      },
      ["granted", "consentId", "purpose"],
    ),
    sideEffect: "read",
    baselineTrust: 0.99,
    example: { subjectId: "CON-1042", purpose: "marketing" },
    tags: ["governance", "consent"],
  },
];
