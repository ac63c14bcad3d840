/**
 * The rolling-origin backtest (pure): for each origin t (the last `folds` windows of `horizonMs`
 * before the end of the history), fit on the runs that had *finished* before t (their label was
 * known then), sampled down to `trainCap`, and score the runs that started in [t, t + horizon);
 * slide t by the horizon. The model's predictions and the baseline's (the flow's recent failure
 * rate, a feature) are pooled over the windows and scored by ROC-AUC, PR-AUC and Brier.
 *
 * Every run's features are computed once, as of its own start (`featuresAt`), from history that
 * had finished before it: no feature depends on the origin, and none on the future.
 */
import type { QualityFigures } from "./types";
import {
  BASELINE_FEATURE,
  DAY_MS,
  featureNames,
  featuresAt,
  indexHistory,
  type FeatureName,
  type FeatureOptions,
  type HistAttempt,
  type HistRun,
} from "./features";
import { brier, prAuc, rocAuc } from "./metrics";
import { FIT_STEPS, fitModel, scoreModel, type FittedModel } from "./model";

/** The backtest's settings (stored with its figures). */
export interface BacktestSettings {
  /** Runs need this much history before them to be used (their features' longest window). */
  lookbackMs: number;
  /** Test window length (the slide). */
  horizonMs: number;
  /** Test windows, at most. */
  folds: number;
  /** Training runs are those that finished in this span before the origin (recent behaviour). */
  trainSpanMs: number;
  /** Training rows per fit, at most (a seeded uniform sample of the eligible runs). */
  trainCap: number;
  fitSteps: number;
  seed: number;
}

export const DEFAULT_BACKTEST: BacktestSettings = {
  lookbackMs: DAY_MS,
  horizonMs: DAY_MS,
  folds: 7,
  trainSpanMs: 7 * DAY_MS,
  trainCap: 2_000,
  fitSteps: FIT_STEPS,
  seed: 17,
};

/** Gate only with at least this many test runs and failures among them. */
export const MIN_TEST_RUNS = 200;
export const MIN_TEST_FAILURES = 20;
/** Gate only when the model's AUC is at least this and this much above the baseline's. */
export const GATE_MIN_AUC = 0.7;
export const GATE_MIN_LIFT = 0.05;

export interface BacktestWindow {
  trainFrom: string;
  origin: string;
  testTo: string;
  trainRows: number;
  /** Eligible training runs before sampling. */
  trainEligible: number;
  testRows: number;
  testFailures: number;
  /** False when the window's training runs were all of one class (not scored). */
  fitted: boolean;
  auc: number | null;
  baselineAuc: number | null;
}

/** What the backtest did, stored and printed next to its figures. */
export interface BacktestProtocol extends BacktestSettings {
  kind: "rolling-origin";
  features: FeatureName[];
  baseline: string;
  labels: string;
  gateRule: string;
  windows: BacktestWindow[];
  historyRuns: number;
  historyFrom: string | null;
  historyTo: string | null;
  /** The history read was cut to the most recent runs (`MAX_HISTORY_RUNS`). */
  historyTruncated?: boolean;
}

export interface BacktestResult {
  figures: QualityFigures;
  protocol: BacktestProtocol;
}

/** A labelled run: finished, and not cancelled. */
export function labelled(r: HistRun): r is HistRun & { finishedAt: number; failed: boolean } {
  return r.finishedAt !== null && r.failed !== null;
}

/** A seeded uniform sample of `k` items (Floyd's algorithm on a linear congruential stream). */
export function sample<T>(items: readonly T[], k: number, seed: number): T[] {
  if (items.length <= k) return [...items];
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const chosen = new Set<number>();
  for (let j = items.length - k; j < items.length; j++) {
    const t = Math.floor(next() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b).map((i) => items[i]!);
}

export function figuresOf(
  model: readonly number[],
  base: readonly number[],
  labels: readonly boolean[],
): QualityFigures {
  return {
    auc: rocAuc(model, labels),
    prAuc: prAuc(model, labels),
    brier: brier(model, labels),
    baselineAuc: rocAuc(base, labels),
    baselinePrAuc: prAuc(base, labels),
    baselineBrier: brier(base, labels),
    n: labels.length,
    positives: labels.filter(Boolean).length,
  };
}

/** Whether the figures are good enough to gate runs on the risk, and why (not). */
export function gateRule(f: QualityFigures | null): { enabled: boolean; why: string } {
  const pct = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
  if (!f) return { enabled: false, why: "no model yet: not enough finished runs to backtest" };
  if (f.n < MIN_TEST_RUNS || f.positives < MIN_TEST_FAILURES)
    return {
      enabled: false,
      why: `not reliable enough to gate: the backtest scored ${f.n} runs with ${f.positives} failures (needs ${MIN_TEST_RUNS} and ${MIN_TEST_FAILURES})`,
    };
  const lift = f.auc !== null && f.baselineAuc !== null ? f.auc - f.baselineAuc : null;
  // A hair of tolerance: 0.70 − 0.65 is 0.04999… in floating point, and is meant as 0.05.
  const EPS = 1e-9;
  if (f.auc === null || f.auc < GATE_MIN_AUC - EPS || lift === null || lift < GATE_MIN_LIFT - EPS)
    return {
      enabled: false,
      why: `not reliable enough to gate: backtest AUC ${pct(f.auc)} vs baseline ${pct(f.baselineAuc)} (needs ≥ ${GATE_MIN_AUC} and ≥ ${GATE_MIN_LIFT} above the baseline)`,
    };
  return {
    enabled: true,
    why: `reliable enough to gate: backtest AUC ${pct(f.auc)} vs baseline ${pct(f.baselineAuc)}`,
  };
}

/** The feature vectors of labelled runs, each as of its start, in start order. */
export function featureRows(
  runs: readonly HistRun[],
  attempts: readonly HistAttempt[],
  opts: FeatureOptions = {},
): Array<{ run: HistRun & { finishedAt: number; failed: boolean }; x: number[] }> {
  const index = indexHistory(runs, attempts);
  return runs
    .filter(labelled)
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((run) => ({ run, x: featuresAt(index, run, run.startedAt, opts) }));
}

/** A labelled run's feature vector (as of its start). */
export type FeatureRow = ReturnType<typeof featureRows>[number];

/**
 * Runs the backtest on a history (runs and their finished attempts).
 *
 * @example
 * const { figures, protocol } = backtest(runs, attempts); // figures.auc vs figures.baselineAuc
 */
export function backtest(
  runs: readonly HistRun[],
  attempts: readonly HistAttempt[],
  settings: BacktestSettings = DEFAULT_BACKTEST,
  opts: FeatureOptions = {},
): BacktestResult {
  const steps = backtestSteps(featureRows(runs, attempts, opts), featureNames(opts), settings);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The backtest over precomputed feature rows, one window per step of the generator (each costs
 * at most one fit; a training drains it in its worker thread, `train-work.ts`).
 */
export function* backtestSteps(
  rows: readonly FeatureRow[],
  features: FeatureName[],
  settings: BacktestSettings,
): Generator<void, BacktestResult> {
  const b = features.indexOf(BASELINE_FEATURE);
  const first = rows[0]?.run.startedAt ?? 0;
  const end = rows.length ? rows[rows.length - 1]!.run.startedAt + 1 : 0;
  const usableFrom = first + settings.lookbackMs;
  const windows: BacktestWindow[] = [];
  const model: number[] = [];
  const base: number[] = [];
  const labels: boolean[] = [];
  for (let k = settings.folds; k >= 1; k--) {
    const origin = end - k * settings.horizonMs;
    // At least one horizon of training history after the warm-up.
    if (origin - usableFrom < settings.horizonMs) continue;
    const eligible = rows.filter(
      (r) =>
        r.run.startedAt >= Math.max(usableFrom, origin - settings.trainSpanMs) &&
        r.run.finishedAt < origin,
    );
    const train = sample(eligible, settings.trainCap, settings.seed + k);
    const test = rows.filter(
      (r) => r.run.startedAt >= origin && r.run.startedAt < origin + settings.horizonMs,
    );
    const fit: FittedModel | null = fitModel(
      features,
      train.map((r) => r.x),
      train.map((r) => r.run.failed),
      settings.fitSteps,
    );
    const testLabels = test.map((r) => r.run.failed);
    const testBase = test.map((r) => r.x[b]!);
    const testModel = fit ? test.map((r) => scoreModel(fit, r.x)) : [];
    if (fit) {
      model.push(...testModel);
      base.push(...testBase);
      labels.push(...testLabels);
    }
    windows.push({
      trainFrom: new Date(usableFrom).toISOString(),
      origin: new Date(origin).toISOString(),
      testTo: new Date(origin + settings.horizonMs).toISOString(),
      trainRows: train.length,
      trainEligible: eligible.length,
      testRows: test.length,
      testFailures: testLabels.filter(Boolean).length,
      fitted: fit !== null,
      auc: fit ? rocAuc(testModel, testLabels) : null,
      baselineAuc: rocAuc(testBase, testLabels),
    });
    yield;
  }
  return {
    figures: figuresOf(model, base, labels),
    protocol: {
      kind: "rolling-origin",
      ...settings,
      features,
      baseline: `${BASELINE_FEATURE}: the flow's failed share of its runs finished in the 24 h before the run (smoothed)`,
      labels:
        "failed or compensated = failure, succeeded = success; cancelled and unfinished runs left out; a training run counts only when it finished before the window's origin",
      gateRule: `gate only when AUC ≥ ${GATE_MIN_AUC} and ≥ ${GATE_MIN_LIFT} above the baseline, over ≥ ${MIN_TEST_RUNS} test runs with ≥ ${MIN_TEST_FAILURES} failures`,
      windows,
      historyRuns: rows.length,
      historyFrom: rows.length ? new Date(first).toISOString() : null,
      historyTo: rows.length ? new Date(end - 1).toISOString() : null,
    },
  };
}
