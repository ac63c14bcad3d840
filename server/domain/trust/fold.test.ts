import { describe, expect, it } from "vitest";
import { compileFlow } from "../workflow/compile-flow";
import { foldRuns, foldSteps, LATENCY_BUDGET_MS, type FoldAttempt, type FoldRun } from "./fold";
import { DEFAULT_TRUST_CONFIG } from "./score";

const H = DEFAULT_TRUST_CONFIG.halfLifeMs;

const r = compileFlow(`flow: fold
version: 1.0.0
sla: T0
steps:
  - id: look
    uses: crm.contact.get@1
    with: { id: CON-1 }
  - id: ask
    uses: human.approval@1
    needs: [look]
    with: { message: "Go?", approvers: { role: approver } }
`);
const steps = foldSteps(r.ir!, () => 0.9);

function run(over: Partial<FoldRun> = {}): FoldRun {
  return {
    id: "r1",
    workspaceId: "w1",
    workflowId: "wf",
    version: "1.0.0",
    flowName: "fold",
    status: "failed",
    finishedAt: 1_000,
    steps,
    ...over,
  };
}

function attempt(over: Partial<FoldAttempt>): FoldAttempt {
  return {
    runId: "r1",
    stepId: "look",
    attempt: 1,
    status: "succeeded",
    durationMs: 10,
    errorName: null,
    category: null,
    finishedAt: 1_000,
    ...over,
  };
}

describe("foldRuns", () => {
  it("reads each step's block version, endpoint, baseline and its tier's latency budget", () => {
    const look = steps.get("look")!;
    expect(look.blockKey).toMatch(/^crm\.contact\.get@1\./);
    expect(look).toMatchObject({ endpoint: "crm:crm.contact.get", baseline: 0.9, scored: true });
    expect(look.budgetMs).toBe(LATENCY_BUDGET_MS.T0);
    expect(steps.get("ask")!.scored).toBe(false);
  });

  it("counts outcomes and signals per block, endpoint, model and flow", () => {
    const deltas = foldRuns(
      {
        runs: [run()],
        attempts: [
          attempt({ status: "failed", errorName: "BreakerOpenError", category: "integration" }),
          attempt({ attempt: 2, status: "failed", category: "authz", errorName: "ConsentError" }),
          attempt({ attempt: 3, durationMs: 5_000 }),
          attempt({ stepId: "ask", status: "failed" }),
          attempt({ status: "waiting", attempt: 4 }),
        ],
        deadLetters: [{ runId: "r1", stepId: "look" }],
        findings: [
          { runId: "r1", stepId: "look" },
          { runId: "r1", stepId: null },
        ],
        usage: [{ runId: "r1", stepId: "look", attempt: 3, model: "demo" }],
      },
      H,
    );
    const byKind = Object.fromEntries(deltas.map((d) => [d.kind, d]));
    expect(Object.keys(byKind).sort()).toEqual(["block", "endpoint", "flow", "model"]);
    expect(byKind.block!.counts).toMatchObject({
      successes: 1,
      failures: 2,
      slaMisses: 1,
      retries: 2,
      breakerTrips: 1,
      policyViolations: 1,
      deadLetters: 1,
      findings: 1,
    });
    expect(byKind.block!.observations).toBe(3);
    expect(byKind.endpoint!.counts).toEqual(byKind.block!.counts);
    // The model saw its one attempt.
    expect(byKind.model!.counts).toMatchObject({ successes: 1, failures: 0, slaMisses: 1 });
    expect(byKind.flow!).toMatchObject({
      key: "wf@1.0.0",
      label: "fold@1.0.0",
      observations: 1,
      meta: { blocks: [steps.get("look")!.blockKey] },
    });
    expect(byKind.flow!.counts).toMatchObject({
      successes: 0,
      failures: 1,
      deadLetters: 1,
      findings: 2,
    });
  });

  it("decays a batch's observations to its latest and skips runs without a version", () => {
    const day = 24 * 3600_000;
    const deltas = foldRuns(
      {
        runs: [run({ version: null })],
        attempts: [attempt({ finishedAt: 0 }), attempt({ attempt: 2, finishedAt: 14 * day })],
        deadLetters: [],
        findings: [],
        usage: [],
      },
      H,
    );
    expect(deltas.map((d) => d.kind).sort()).toEqual(["block", "endpoint"]);
    const block = deltas.find((d) => d.kind === "block")!;
    expect(block.counts.at).toBe(14 * day);
    expect(block.counts.successes).toBeCloseTo(1.5, 9);
  });
});
