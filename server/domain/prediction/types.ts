/**
 * What failure prediction answers (the public shapes of `server/domain/prediction`).
 */

/** How a risk was obtained: the stored model, or (no usable model yet) the flow's recent failure rate. */
export type RiskSource = "model" | "baseline";

/** The backtest's figures of a model and of the baseline, pooled over every test window. */
export interface QualityFigures {
  auc: number | null;
  prAuc: number | null;
  brier: number | null;
  baselineAuc: number | null;
  baselinePrAuc: number | null;
  baselineBrier: number | null;
  /** Test runs scored, and how many of them failed. */
  n: number;
  positives: number;
}

/** The risk of a run before it starts. */
export interface RunRisk {
  /** Probability that the run fails, 0..1. */
  risk: number;
  source: RiskSource;
  /** True when the backtest is good enough to gate runs on this risk (see `gateRule`). */
  gateEnabled: boolean;
  /** Why: the features that push the risk most, and why gating is (not) enabled, in words. */
  reasons: string[];
  /** The stored model's version (per workspace), or null without one. */
  modelVersion: number | null;
  /** The backtest figures behind `gateEnabled`, or null without a model. */
  quality: QualityFigures | null;
}

/** A flow whose next run is predicted to fail more often than a threshold. */
export interface HighRiskFlow {
  workflowId: string;
  workflowName: string;
  version: string;
  risk: number;
  source: RiskSource;
  gateEnabled: boolean;
  reasons: string[];
  modelVersion: number | null;
}
