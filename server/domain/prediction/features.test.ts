import { describe, expect, it } from "vitest";
import {
  BREAKER_FAILURES,
  DAY_MS,
  HOUR_MS,
  PRIOR_RATE,
  PRIOR_WEIGHT,
  featureNames,
  featuresAt,
  indexHistory,
  smoothedRate,
  windowCounts,
  type HistAttempt,
  type HistRun,
  type Subject,
} from "./features";

const T = Date.UTC(2026, 10, 10, 12); // noon UTC
const F = "00000000-0000-4000-8000-000000000001";
const subject: Subject = {
  workflowId: F,
  inputBytes: 99,
  versionCreatedAt: T - 10 * HOUR_MS,
  blocks: ["crm.deal.update@1"],
  endpoints: ["crm:crm.deal.update"],
};
const run = (
  id: string,
  startedAt: number,
  finishedAt: number | null,
  failed: boolean | null,
): HistRun => ({
  id,
  workflowId: F,
  startedAt,
  finishedAt,
  failed,
  inputBytes: 10,
  versionCreatedAt: 0,
  blocks: subject.blocks,
  endpoints: subject.endpoints,
});
const attempt = (
  finishedAt: number,
  failed: boolean,
  extra: Partial<HistAttempt> = {},
): HistAttempt => ({
  block: "crm.deal.update@1",
  endpoint: "crm:crm.deal.update",
  finishedAt,
  failed,
  retry: false,
  breakerRefused: false,
  ...extra,
});
const at = (x: number[], name: string) => x[featureNames().indexOf(name as never)]!;

describe("windowCounts", () => {
  it("counts the events finished in [t - window, t), never at or after t", () => {
    const idx = indexHistory(
      [],
      [
        attempt(T - DAY_MS - 1, true), // before the window
        attempt(T - DAY_MS, true), // first instant of the window
        attempt(T - 1, false, { retry: true }),
        attempt(T, true), // at t: not yet known
        attempt(T + 1, true),
      ],
    );
    expect(windowCounts(idx, "b:crm.deal.update@1", T, DAY_MS)).toEqual({
      n: 2,
      fail: 1,
      retry: 1,
      refused: 0,
    });
    expect(windowCounts(idx, "b:other@1", T, DAY_MS).n).toBe(0);
  });
});

describe("smoothedRate", () => {
  it("shrinks towards the prior and tends to the observed share", () => {
    expect(smoothedRate(0, 0)).toBe(PRIOR_RATE);
    expect(smoothedRate(3, 10)).toBeCloseTo(
      (3 + PRIOR_RATE * PRIOR_WEIGHT) / (10 + PRIOR_WEIGHT),
      12,
    );
    expect(smoothedRate(500, 1000)).toBeCloseTo(0.5, 2);
  });
});

describe("featuresAt", () => {
  it("reads the flow's failure rate from runs finished before t only", () => {
    const runs = [
      run("a", T - 5 * HOUR_MS, T - 5 * HOUR_MS + 1000, true),
      run("b", T - 4 * HOUR_MS, T - 4 * HOUR_MS + 1000, false),
      run("c", T - 3 * HOUR_MS, T - 3 * HOUR_MS + 1000, false),
      run("d", T - 60_000, T + 60_000, true), // started before t, finished after: unknown at t
      run("e", T - 2 * HOUR_MS, null, null), // still running
      run("f", T - 2 * DAY_MS, T - 2 * DAY_MS + 1000, true), // outside the 24 h window
    ];
    const x = featuresAt(indexHistory(runs, []), subject, T);
    expect(at(x, "flow_fail_24h")).toBeCloseTo(smoothedRate(1, 3), 12);
  });

  it("takes the worst block and endpoint, and the 1 h window apart from the 24 h one", () => {
    const attempts = [
      ...Array.from({ length: 8 }, (_, i) => attempt(T - 20 * HOUR_MS + i, i < 2)),
      attempt(T - 30 * 60_000, true),
      attempt(T - 20 * 60_000, true, { retry: true }),
      attempt(T - 10 * 60_000, false),
      attempt(T - 5 * 60_000, true, { block: "other.block@1", endpoint: "x:other" }),
    ];
    const x = featuresAt(indexHistory([], attempts), subject, T);
    expect(at(x, "block_fail_24h")).toBeCloseTo(smoothedRate(4, 11), 12);
    expect(at(x, "block_retry_24h")).toBeCloseTo(smoothedRate(1, 11), 12);
    expect(at(x, "endpoint_fail_1h")).toBeCloseTo(smoothedRate(2, 3), 12);
    expect(at(x, "endpoint_fail_24h")).toBeCloseTo(smoothedRate(4, 11), 12);
    // Without blocks or endpoints, the prior stands in.
    const none = featuresAt(
      indexHistory([], attempts),
      { ...subject, blocks: [], endpoints: [] },
      T,
    );
    expect(at(none, "block_fail_24h")).toBe(PRIOR_RATE);
    expect(at(none, "endpoint_fail_1h")).toBe(PRIOR_RATE);
  });

  it("reads a breaker as open after consecutive failures or a recent refusal", () => {
    const fails = Array.from({ length: BREAKER_FAILURES }, (_, i) =>
      attempt(T - 100_000 + i, true),
    );
    expect(at(featuresAt(indexHistory([], fails), subject, T), "breaker_open")).toBe(1);
    const healed = [...fails, attempt(T - 1000, false)];
    expect(at(featuresAt(indexHistory([], healed), subject, T), "breaker_open")).toBe(0);
    const refused = [attempt(T - 30_000, true, { breakerRefused: true }), attempt(T - 1000, false)];
    expect(at(featuresAt(indexHistory([], refused), subject, T), "breaker_open")).toBe(1);
    expect(at(featuresAt(indexHistory([], refused), subject, T + 120_000), "breaker_open")).toBe(0);
  });

  it("encodes the time of day, the input size and the version age", () => {
    const x = featuresAt(indexHistory([], []), subject, T);
    expect(at(x, "hour_sin")).toBeCloseTo(0, 12); // noon: half way round
    expect(at(x, "hour_cos")).toBeCloseTo(-1, 12);
    expect(at(x, "log_input_bytes")).toBeCloseTo(Math.log(100), 12);
    expect(at(x, "log_version_age_h")).toBeCloseTo(Math.log(11), 12);
  });

  it("adds the anomaly count only when asked", () => {
    const anomalies = (s: Subject, t: number) => (t === T && s.workflowId === F ? 2 : 0);
    expect(featureNames({ anomalies })).toHaveLength(featureNames().length + 1);
    const x = featuresAt(indexHistory([], []), subject, T, { anomalies });
    expect(x[x.length - 1]).toBe(2);
  });
});
