import { describe, expect, it } from "vitest";
import type { AttemptRecord } from "@/server/engine/types";
import { pickConnectorAnswer, type ConnectorAnswer } from "../sandbox/from-run";
import { requestHash } from "../sandbox/recorded-answers";
import { compileFlow } from "../workflow/compile-flow";
import {
  failingOutcome,
  failingStepOf,
  PROOF_FAILING_RUNS,
  proofSteps,
  uncovered,
  verdict,
  type ProofRun,
} from "./proof-evaluate";

const FLOW = `flow: proof-eval
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: account
    uses: billing.account.get@1
    with: { accountId: ACC-1 }
  - id: shape
    uses: data.transform@1
    needs: [account]
    with:
      fields: { id: steps.account.output.accountId }
`;
const ir = compileFlow(FLOW).ir!;

function attempt(
  stepId: string,
  n: number,
  status: AttemptRecord["status"],
  output: unknown = null,
) {
  return {
    runId: "r",
    stepId,
    attempt: n,
    status,
    blockId: stepId === "account" ? "billing.account.get" : "data.transform",
    inputs: stepId === "account" ? { accountId: "ACC-1" } : {},
    output,
    error: status === "failed" ? { name: "E", message: "HTTP 429", retryable: true } : null,
    startedAt: n,
  } as unknown as AttemptRecord;
}

const hash = requestHash("billing.account.get", { accountId: "ACC-1" });
const recorded429 = (then?: "mock"): ConnectorAnswer => ({
  blockId: "billing.account.get",
  requestHash: hash,
  repetition: 1,
  ok: false,
  error: {
    name: "RetryAfterError",
    message: "HTTP 429",
    retryable: true,
    classification: { severity: "medium", category: "rate_limit" },
  },
  ...(then ? { then } : {}),
});

const run = (kind: ProofRun["kind"], outcome: ProofRun["outcome"]): ProofRun => ({
  kind,
  outcome,
  sourceRunId: "s",
  proofRunId: "p",
  sessionId: "x",
  runStatus: "succeeded",
  failingStep: null,
  steps: [],
  note: null,
});

describe("proof evaluation", () => {
  it("replays a recorded answer, then sends later calls to the mock only when asked to", () => {
    expect(pickConnectorAnswer([recorded429()], "billing.account.get", hash, 3)?.ok).toBe(false);
    expect(pickConnectorAnswer([recorded429("mock")], "billing.account.get", hash, 1)?.ok).toBe(
      false,
    );
    expect(
      pickConnectorAnswer([recorded429("mock")], "billing.account.get", hash, 2),
    ).toBeUndefined();
  });

  it("says which attempts ran against the recording and which against the mock", () => {
    const attempts = [
      attempt("account", 1, "failed"),
      attempt("account", 2, "succeeded", { accountId: "ACC-1" }),
      attempt("shape", 1, "succeeded", { id: "ACC-1" }),
    ];
    const steps = proofSteps(ir, attempts, [recorded429("mock")], false);
    expect(steps).toEqual([
      expect.objectContaining({
        stepId: "account",
        attempts: 2,
        recorded: 1,
        mocked: 1,
        source: "recording",
        status: "succeeded",
      }),
      expect.objectContaining({ stepId: "shape", source: "computed", recorded: 0, mocked: 0 }),
    ]);
    // A request no recording answers went to the mock.
    expect(proofSteps(ir, attempts, [], false)[0]).toMatchObject({ source: "mock", mocked: 2 });
  });

  it("counts a failure fixed only when the failing step succeeds within its contract", () => {
    const ok = failingStepOf(ir, "account", [
      attempt("account", 1, "failed"),
      attempt("account", 2, "succeeded", { accountId: "ACC-1", name: "Ada", currency: "EUR" }),
    ]);
    expect(ok.status).toBe("succeeded");
    expect(failingOutcome({ ...ok, contract: "valid" })).toBe("fixed");
    expect(failingOutcome({ ...ok, contract: "invalid" })).toBe("not-fixed");
    expect(failingOutcome(failingStepOf(ir, "account", [attempt("account", 1, "failed")]))).toBe(
      "not-fixed",
    );
    expect(failingStepOf(ir, "account", [])).toMatchObject({
      status: "not-reached",
      contract: "not-reached",
    });
  });

  it("passes with at least 90% fixed and no regression", () => {
    const fixed = Array.from({ length: 9 }, () => run("failing", "fixed"));
    expect(
      verdict([...fixed, run("failing", "not-fixed"), run("regression", "passed")]),
    ).toMatchObject({
      status: "passed",
      fixed: 9,
      of: 10,
      regressions: 0,
      regressionOf: 1,
    });
    expect(verdict([...fixed, run("regression", "regressed")]).status).toBe("failed");
    expect(verdict([run("failing", "fixed"), run("failing", "error")]).status).toBe("failed");
    expect(verdict([run("regression", "passed")]).status).toBe("failed"); // nothing to fix
    // A stricter input schema refuses the failing inputs at the start: fixed, if good runs pass.
    expect(
      verdict([run("failing", "refused"), run("failing", "refused"), run("regression", "passed")]),
    ).toMatchObject({ status: "passed", fixed: 2, of: 2, regressions: 0 });
  });
});

describe("uncovered: the recorded failures a proof has not run", () => {
  const ran = (...ids: string[]) => ({
    runs: ids.map((sourceRunId) => ({ ...run("failing", "fixed"), sourceRunId })),
  });
  it("names the failures recorded since, newest first, none when the proof ran them all", () => {
    expect(uncovered(null, ["r3", "r2", "r1"])).toEqual(["r3", "r2", "r1"]);
    expect(uncovered(ran("r1", "r2"), ["r3", "r2", "r1"])).toEqual(["r3"]);
    expect(uncovered(ran("r1", "r2", "r3"), ["r3", "r2", "r1"])).toEqual([]);
  });
  it("counts only failing runs as covered, and stops at the proof's size", () => {
    const regression = { runs: [{ ...run("regression", "passed"), sourceRunId: "r1" }] };
    expect(uncovered(regression, ["r1"])).toEqual(["r1"]);
    const ids = Array.from({ length: PROOF_FAILING_RUNS + 3 }, (_, i) => `r${i}`);
    expect(uncovered(ran(...ids.slice(0, PROOF_FAILING_RUNS - 2)), ids)).toEqual(
      ids.slice(PROOF_FAILING_RUNS - 2, PROOF_FAILING_RUNS),
    );
    expect(uncovered(ran(...ids.slice(0, PROOF_FAILING_RUNS)), ids)).toEqual([]);
  });
});
