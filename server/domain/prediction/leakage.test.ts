/**
 * The leakage test: no feature uses the future.
 * 1. Features of a run computed from the whole history equal those computed from the history
 *    as it stood at the run's start (later runs and attempts deleted, runs still going then
 *    unfinished).
 * 2. A planted future-only signal (an attempt 1 ms after each run starts that fails exactly when
 *    the run fails) leaves the backtest's figures exactly as they were — while a pipeline that
 *    looks 1 ms ahead scores almost perfectly on it, so the test would see a leak.
 * 3. On history whose failures are pure noise, the backtest's AUC stays near 0.5.
 */
import { describe, expect, it } from "vitest";
import { syntheticHistory } from "@/server/testing/prediction-history";
import { backtest, sample, type BacktestSettings } from "./backtest";
import { DAY_MS, featuresAt, indexHistory, type HistRun } from "./features";
import { rocAuc } from "./metrics";

const SMALL: BacktestSettings = {
  lookbackMs: DAY_MS,
  horizonMs: DAY_MS,
  folds: 3,
  trainSpanMs: 7 * DAY_MS,
  trainCap: 1_000,
  fitSteps: 150,
  seed: 5,
};

describe("features use only history before the run's start", () => {
  it("gives identical features with every later event deleted", () => {
    const h = syntheticHistory({ seed: 3, days: 3, everyMinutes: 10 });
    const full = indexHistory(h.runs, h.attempts);
    const subjects = sample(h.runs.slice(200), 60, 9);
    for (const r of subjects) {
      const t = r.startedAt;
      const known: HistRun[] = h.runs
        .filter((x) => x.startedAt < t)
        .map((x) =>
          x.finishedAt !== null && x.finishedAt < t ? x : { ...x, finishedAt: null, failed: null },
        );
      const past = indexHistory(
        known,
        h.attempts.filter((a) => a.finishedAt < t),
      );
      expect(featuresAt(past, r, t)).toEqual(featuresAt(full, r, t));
    }
  });
});

describe("a planted future-only signal", () => {
  const plain = syntheticHistory({ seed: 4, days: 5, everyMinutes: 6 });
  const leaky = syntheticHistory({ seed: 4, days: 5, everyMinutes: 6, futureSignal: true });

  it("does not change the backtest's figures", () => {
    const a = backtest(plain.runs, plain.attempts, SMALL).figures;
    const b = backtest(leaky.runs, leaky.attempts, SMALL).figures;
    expect(a.n).toBeGreaterThan(1000);
    expect(a.positives).toBeGreaterThan(20);
    expect(b).toEqual(a);
  });

  it("would be found by a pipeline that looked 1 ms ahead (the test has teeth)", () => {
    const idx = indexHistory(leaky.runs, leaky.attempts);
    const done = leaky.runs.filter((r) => r.failed !== null);
    const ahead = done.map((r) => featuresAt(idx, r, r.startedAt + 2)[3]!); // endpoint_fail_1h
    const labels = done.map((r) => r.failed!);
    expect(rocAuc(ahead, labels)!).toBeGreaterThan(0.95);
  });
});

describe("noise only", () => {
  it("gives an AUC near 0.5", () => {
    const h = syntheticHistory({ seed: 6, days: 6, everyMinutes: 4, clean: true });
    const f = backtest(h.runs, h.attempts, { ...SMALL, folds: 4 }).figures;
    expect(f.positives).toBeGreaterThan(20);
    expect(Math.abs(f.auc! - 0.5)).toBeLessThan(0.12);
  });
});
