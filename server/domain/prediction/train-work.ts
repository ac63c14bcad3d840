/**
 * A training's computation (pure, plain data in and out, so it runs in a worker thread): every
 * run's features once, the rolling-origin backtest, and the final fit on the runs that finished
 * in the last `trainSpanMs` (sampled to `trainCap`). What goes in is the history read from the
 * database and the anomalies open at its hours; what comes out is the model as plain
 * coefficients with its figures and protocol.
 */
import { anomalyCounter, type OpenAnomalyHours } from "./anomaly-hours";
import {
  backtestSteps,
  featureRows,
  sample,
  type BacktestProtocol,
  type BacktestSettings,
} from "./backtest";
import { featureNames, type HistAttempt, type HistRun } from "./features";
import { fitModel, type FittedModel } from "./model";
import type { QualityFigures } from "./types";

export interface TrainingInput {
  runs: readonly HistRun[];
  attempts: readonly HistAttempt[];
  openAnomalies: OpenAnomalyHours;
  settings: BacktestSettings;
  /** The training's time: only runs finished before it are fitted. */
  now: number;
}

export interface TrainingOutput {
  /** Null when the fitted runs were all of one class. */
  model: FittedModel | null;
  figures: QualityFigures;
  protocol: BacktestProtocol;
  trainRows: number;
}

/**
 * Features, backtest and final fit of one training.
 *
 * @example
 * const out = trainOnHistory({ runs, attempts, openAnomalies: [], settings: DEFAULT_BACKTEST, now });
 */
export function trainOnHistory(input: TrainingInput): TrainingOutput {
  const { settings, now } = input;
  const anomalies = anomalyCounter(input.openAnomalies);
  const features = featureNames({ anomalies });
  const rows = featureRows(input.runs, input.attempts, { anomalies });
  const steps = backtestSteps(rows, features, settings);
  let step = steps.next();
  while (!step.done) step = steps.next();
  const { figures, protocol } = step.value;
  const first = rows[0]?.run.startedAt ?? now;
  const eligible = rows.filter(
    (r) =>
      r.run.startedAt >= Math.max(first + settings.lookbackMs, now - settings.trainSpanMs) &&
      r.run.finishedAt < now,
  );
  const train = sample(eligible, settings.trainCap, settings.seed);
  const model = fitModel(
    features,
    train.map((r) => r.x),
    train.map((r) => r.run.failed),
    settings.fitSteps,
  );
  return { model, figures, protocol, trainRows: train.length };
}
