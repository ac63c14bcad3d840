import { describe, expect, it } from "vitest";
import {
  approvalTitle,
  approversText,
  commentProblem,
  outcomeText,
  planCounts,
  quorumText,
  REJECT_NEEDS_COMMENT,
  replayPlanOf,
  showJson,
  subjectOf,
  type ReplayPlanStep,
} from "./approval-view";

const step = (
  id: string,
  action: ReplayPlanStep["action"],
  sideEffect = "none",
): ReplayPlanStep => ({
  id,
  block: "data.transform@1",
  action,
  sideEffect,
  idempotencyKey: null,
  reason: "",
});

describe("approval view", () => {
  it("says who decides: every way a person qualifies, roles admitting those above", () => {
    expect(approversText({ role: "approver" })).toBe("members with the approver role or above");
    expect(approversText({ role: "admin" })).toBe("admins");
    expect(approversText({ group: "finance", users: ["a@x.dev", "b@x.dev"] })).toBe(
      "the finance group or a@x.dev, b@x.dev",
    );
    expect(approversText({})).toBeNull();
    expect(approversText(null)).toBeNull();
  });

  it("counts the quorum in distinct approvals", () => {
    expect(quorumText({ minApprovals: 1, approvals: 0 })).toBe("1 approval needed");
    expect(quorumText({ minApprovals: 2, approvals: 1 })).toBe("2 approvals needed, 1 so far");
  });

  it("refuses a rejection without a comment before sending, and nothing else", () => {
    expect(commentProblem("reject", "  ")).toBe(REJECT_NEEDS_COMMENT);
    expect(commentProblem("reject", "amount too high")).toBeNull();
    expect(commentProblem("approve", "")).toBeNull();
    expect(commentProblem("submit", "")).toBeNull();
  });

  it("summarises a plan: reused, re-executed, skipped, and the re-executed writes", () => {
    expect(
      planCounts({
        steps: [
          step("a", "reuse", "write"),
          step("b", "execute", "write"),
          step("c", "execute", "read"),
          step("d", "skip"),
          step("e", "execute"),
        ],
      }),
    ).toEqual({ reuse: 1, execute: 3, skip: 1, sideEffects: 1 });
  });

  it("names what is decided and what a decision changed", () => {
    const runId = "1a2b3c4d-0000-4000-8000-000000000000";
    const base = { runId, stepId: "approve", form: null, minApprovals: 2 };
    expect(approvalTitle({ ...base, kind: "step" })).toBe("Approve step approve");
    expect(subjectOf({ ...base, kind: "step" })).toBe("step approve of run 1a2b3c4d");
    expect(
      approvalTitle({
        ...base,
        kind: "form",
        form: { title: "Billing contact", schema: {}, prefill: null },
      }),
    ).toBe("Fill in: Billing contact");
    expect(subjectOf({ ...base, kind: "replay" })).toBe("replay of run 1a2b3c4d");
    expect(outcomeText({ ...base, kind: "step", status: "pending", approvals: 1 })).toBe(
      "Approved step approve of run 1a2b3c4d: 1 more approval needed.",
    );
    expect(outcomeText({ ...base, kind: "step", status: "approved", approvals: 2 })).toBe(
      "Approved step approve of run 1a2b3c4d: the run continues.",
    );
    expect(outcomeText({ ...base, kind: "step", status: "rejected", approvals: 0 })).toBe(
      "Rejected step approve of run 1a2b3c4d: the step fails.",
    );
  });

  it("reads a replay plan only when it has the plan's shape", () => {
    const plan = {
      mode: "resume",
      sourceRunId: "r1",
      version: "1.0.0",
      irHash: "h",
      inputsPatch: [{ op: "replace", path: "/amount", value: 2 }],
      steps: [step("a", "reuse", "write"), step("b", "execute")],
      warnings: [],
      hash: "abc",
    };
    expect(replayPlanOf(plan)).toEqual(plan);
    expect(replayPlanOf({ ...plan, inputsPatch: undefined, warnings: undefined })).toMatchObject({
      inputsPatch: [],
      warnings: [],
    });
    expect(replayPlanOf({ ...plan, steps: [{ id: "a", action: "redo" }] })).toBeNull();
    expect(replayPlanOf(null)).toBeNull();
    expect(replayPlanOf("plan")).toBeNull();
  });

  it("prints JSON indented, and nothing for an empty value", () => {
    expect(showJson({ amount: 2 })).toBe('{\n  "amount": 2\n}');
    expect(showJson({})).toBeNull();
    expect(showJson(null)).toBeNull();
    expect(showJson(0)).toBe("0");
  });
});
