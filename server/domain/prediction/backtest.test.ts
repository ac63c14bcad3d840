import { describe, expect, it } from "vitest";
import { syntheticHistory } from "@/server/testing/prediction-history";
import { backtest, gateRule, sample, type BacktestSettings } from "./backtest";
import { DAY_MS } from "./features";

const SETTINGS: BacktestSettings = {
  lookbackMs: DAY_MS,
  horizonMs: DAY_MS,
  folds: 3,
  trainSpanMs: 7 * DAY_MS,
  trainCap: 500,
  fitSteps: 100,
  seed: 1,
};
const figures = (auc: number | null, baselineAuc: number | null, n = 500, positives = 50) => ({
  auc,
  prAuc: null,
  brier: null,
  baselineAuc,
  baselinePrAuc: null,
  baselineBrier: null,
  n,
  positives,
});

describe("gateRule", () => {
  it("gates only at AUC ≥ 0.70 and ≥ 0.05 above the baseline, with enough test runs", () => {
    expect(gateRule(figures(0.8, 0.7)).enabled).toBe(true);
    expect(gateRule(figures(0.7, 0.65)).enabled).toBe(true);
    expect(gateRule(figures(0.69, 0.5)).why).toMatch(
      /^not reliable enough to gate: backtest AUC 0.690/,
    );
    expect(gateRule(figures(0.8, 0.76)).enabled).toBe(false);
    expect(gateRule(figures(0.9, 0.5, 150, 40)).why).toMatch(/scored 150 runs with 40 failures/);
    expect(gateRule(figures(0.9, 0.5, 500, 10)).enabled).toBe(false);
    expect(gateRule(figures(null, null)).enabled).toBe(false);
    expect(gateRule(null).why).toMatch(/no model yet/);
  });
});

describe("sample", () => {
  it("takes k distinct items in order, the same for the same seed", () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const a = sample(items, 10, 7);
    expect(a).toHaveLength(10);
    expect(new Set(a).size).toBe(10);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(sample(items, 10, 7)).toEqual(a);
    expect(sample(items, 10, 8)).not.toEqual(a);
    expect(sample(items, 200, 7)).toEqual(items);
  });
});

describe("backtest", () => {
  const h = syntheticHistory({ seed: 2, days: 6, everyMinutes: 8 });
  const r = backtest(h.runs, h.attempts, SETTINGS);

  it("slides its windows a horizon apart, training only on runs finished before each origin", () => {
    const w = r.protocol.windows;
    expect(w).toHaveLength(3);
    for (let i = 1; i < w.length; i++)
      expect(Date.parse(w[i]!.origin) - Date.parse(w[i - 1]!.origin)).toBe(DAY_MS);
    for (const x of w) {
      expect(Date.parse(x.testTo) - Date.parse(x.origin)).toBe(DAY_MS);
      expect(x.trainRows).toBe(Math.min(x.trainEligible, SETTINGS.trainCap));
    }
    expect(r.protocol.features[0]).toBe("flow_fail_24h");
    expect(r.protocol.historyRuns).toBe(h.runs.length);
  });

  it("pools the windows' test runs into the figures", () => {
    const scored = r.protocol.windows.filter((w) => w.fitted);
    expect(r.figures.n).toBe(scored.reduce((a, w) => a + w.testRows, 0));
    expect(r.figures.positives).toBe(scored.reduce((a, w) => a + w.testFailures, 0));
    expect(r.figures.auc).toBeGreaterThan(0.5);
    expect(r.figures.brier).toBeLessThan(0.25);
  });

  it("skips windows without a horizon of training history after the warm-up", () => {
    const short = syntheticHistory({ seed: 2, days: 2, everyMinutes: 8 });
    expect(backtest(short.runs, short.attempts, SETTINGS).protocol.windows).toHaveLength(0);
  });
});
