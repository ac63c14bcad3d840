/**
 * The prediction quality a person or an API client reads: the latest model's backtest figures
 * (model and baseline), its protocol (windows, sizes, features), its weights, and the gate
 * verdict in words.
 */
import type { Db } from "../types";
import { gateRule, type BacktestProtocol } from "./backtest";
import { latestModel } from "./store";
import type { QualityFigures } from "./types";

export interface PredictionQuality {
  /** Null: no model trained yet (the figures and protocol are null too). */
  modelVersion: number | null;
  trainedAt: string | null;
  figures: QualityFigures | null;
  protocol: BacktestProtocol | null;
  gateEnabled: boolean;
  /** The gate verdict in words (why gating is, or is not, allowed). */
  gate: string;
  trainRows: number;
  durationMs: number;
  /** The fitted weights per standardised feature (null when nothing could be fitted). */
  weights: Array<{ feature: string; weight: number }> | null;
}

/**
 * The workspace's prediction quality (one indexed read, cached 10 s).
 *
 * @example
 * const q = await predictionQuality(db, ws); // q.figures?.auc vs q.figures?.baselineAuc
 */
export async function predictionQuality(db: Db, workspaceId: string): Promise<PredictionQuality> {
  const m = await latestModel(db, workspaceId);
  if (!m)
    return {
      modelVersion: null,
      trainedAt: null,
      figures: null,
      protocol: null,
      gateEnabled: false,
      gate: gateRule(null).why,
      trainRows: 0,
      durationMs: 0,
      weights: null,
    };
  return {
    modelVersion: m.version,
    trainedAt: new Date(m.trainedAt).toISOString(),
    figures: m.figures,
    protocol: m.protocol,
    gateEnabled: m.gateEnabled,
    gate: m.model
      ? gateRule(m.figures).why
      : "no model yet: after the features' first day of warm-up, the history has no finished runs of both outcomes to learn from",
    trainRows: m.trainRows,
    durationMs: m.durationMs,
    weights: m.model
      ? m.model.features.map((feature, j) => ({ feature, weight: m.model!.weights[j]! }))
      : null,
  };
}
