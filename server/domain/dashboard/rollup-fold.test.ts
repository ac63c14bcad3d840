import { describe, expect, it } from "vitest";
import type { FoldStep } from "../trust/fold";
import { latencyBin, latencyQuantile, LATENCY_BINS } from "./latency";
import { foldRollups, HOUR_MS, NIL_UUID, type RollupRun } from "./rollup-fold";

const step = (over: Partial<FoldStep>): FoldStep => ({
  blockId: "crm.contact.get",
  blockKey: "crm.contact.get@1.0.0",
  baseline: 0.9,
  endpoint: "crm:crm.contact.get",
  budgetMs: 1_000,
  tier: "T0",
  blockKind: "connector",
  scored: true,
  ...over,
});

const T = Date.UTC(2026, 11, 1, 10, 30);
const run = (id: string, status: string, over: Partial<RollupRun> = {}): RollupRun => ({
  id,
  workspaceId: "ws",
  workflowId: "wf",
  version: "1.0.0",
  flowName: "look",
  status,
  startedAt: T - 2_000,
  finishedAt: T,
  steps: new Map([
    ["look", step({})],
    ["ask", step({ blockKey: "human.approval@1", endpoint: null, scored: false })],
  ]),
  ...over,
});
const attempt = (runId: string, n: number, status: string, durationMs: number) => ({
  runId,
  stepId: "look",
  attempt: n,
  status,
  durationMs,
  errorName: status === "failed" ? "BreakerOpenError" : null,
  category: null,
  finishedAt: T,
});

describe("foldRollups", () => {
  const deltas = foldRollups({
    runs: [run("a", "succeeded"), run("b", "failed"), run("c", "cancelled", { workflowId: null })],
    attempts: [
      attempt("a", 1, "succeeded", 200),
      attempt("b", 1, "failed", 1_500),
      attempt("b", 2, "failed", 10),
      { ...attempt("a", 1, "succeeded", 5), stepId: "ask" },
      attempt("c", 1, "skipped", 1),
    ],
    deadLetters: [{ runId: "b", stepId: "look" }],
    findings: [{ runId: "b", stepId: null }],
    usage: [
      {
        runId: "a",
        stepId: "look",
        attempt: 1,
        model: "m1",
        tokensIn: 10,
        tokensOut: 2,
        costUsd: 0.5,
      },
    ],
  });
  const find = (grain: string, kind: string, wf = "wf") =>
    deltas.find((d) => d.grain === grain && d.kind === kind && d.workflowId === wf)!;

  it("counts runs, attempts, retries, trips, SLA misses by tier and dead letters per entity", () => {
    expect(find("h", "flow")).toMatchObject({
      key: "wf@1.0.0",
      label: "look@1.0.0",
      bucket: Math.floor(T / HOUR_MS) * HOUR_MS,
      runs: 2,
      runsSucceeded: 1,
      runsFailed: 1,
      attempts: 3,
      failures: 2,
      retries: 1,
      breakerTrips: 2,
      tierAttempts: [3, 0, 0],
      tierMisses: [1, 0, 0],
      deadLetters: 1,
      findings: 1,
      costUsd: 0.5,
      agentCalls: 1,
    });
    expect(find("d", "block")).toMatchObject({
      attempts: 3,
      successes: 1,
      deadLetters: 1,
      runs: 0,
    });
    expect(find("h", "endpoint")).toMatchObject({ key: "crm:crm.contact.get", attempts: 3 });
    expect(find("h", "model")).toMatchObject({ attempts: 1, tokensIn: 10, agentCalls: 1 });
    // A cancelled run counts as a run, neither success nor failure; without a flow: the nil uuid.
    expect(find("m", "flow", NIL_UUID)).toMatchObject({ runs: 1, runsSucceeded: 0, runsFailed: 0 });
  });

  it("keeps minute rows for flows only and leaves human steps out", () => {
    expect(new Set(deltas.filter((d) => d.grain === "m").map((d) => d.kind))).toEqual(
      new Set(["flow"]),
    );
    expect(deltas.some((d) => d.key.startsWith("human."))).toBe(false);
  });

  it("puts durations in the histogram: the flow's runs, the block's attempts", () => {
    const flow = find("h", "flow").latency;
    expect(flow[latencyBin(2_000)]).toBe(2); // runs a and b, 2 s each
    const block = find("h", "block").latency;
    expect(block.reduce((s, v) => s + (v ?? 0), 0)).toBe(3);
    expect(block[latencyBin(1_500)]).toBe(1);
  });
});

describe("latency histogram", () => {
  it("reads a quantile within one bin", () => {
    const h: number[] = [];
    for (let ms = 1; ms <= 1000; ms++) {
      while (h.length < LATENCY_BINS) h.push(0);
      h[latencyBin(ms)]! += 1;
    }
    const p95 = latencyQuantile(h, 0.95)!;
    expect(p95 / 950).toBeGreaterThan(0.875);
    expect(p95 / 950).toBeLessThan(1.125);
    expect(latencyQuantile([], 0.95)).toBeNull();
    expect(latencyBin(0)).toBe(0);
    expect(latencyBin(1e12)).toBe(LATENCY_BINS - 1);
  });
});
