/**
 * The REST shapes of failure prediction (`GET /predictions/quality`, issue 17): the latest
 * model's backtest figures (model and baseline) and the protocol that produced them.
 */
import { z } from "zod";

const ZMetric = z.number().nullable();

export const ZPredictionFigures = z
  .object({
    auc: ZMetric.describe("ROC-AUC of the model, pooled over the test windows (null: undefined)."),
    prAuc: ZMetric.describe("PR-AUC (average precision) of the model."),
    brier: ZMetric.describe("Brier score of the model (lower is better)."),
    baselineAuc: ZMetric.describe("ROC-AUC of the baseline: the flow's recent failure rate."),
    baselinePrAuc: ZMetric,
    baselineBrier: ZMetric,
    n: z.number().int().describe("Test runs scored."),
    positives: z.number().int().describe("Failed runs among them."),
  })
  .meta({ id: "PredictionFigures" });

const ZBacktestWindow = z.object({
  trainFrom: z.string(),
  origin: z
    .string()
    .describe("Training uses runs finished before it; testing, runs started from it."),
  testTo: z.string(),
  trainRows: z.number().int(),
  trainEligible: z.number().int(),
  testRows: z.number().int(),
  testFailures: z.number().int(),
  fitted: z.boolean(),
  auc: ZMetric,
  baselineAuc: ZMetric,
});

export const ZBacktestProtocol = z
  .object({
    kind: z.literal("rolling-origin"),
    lookbackMs: z.number(),
    horizonMs: z.number(),
    folds: z.number().int(),
    trainSpanMs: z.number(),
    trainCap: z.number().int(),
    fitSteps: z.number().int(),
    seed: z.number().int(),
    features: z.array(z.string()),
    baseline: z.string(),
    labels: z.string(),
    gateRule: z.string(),
    windows: z.array(ZBacktestWindow),
    historyRuns: z.number().int(),
    historyFrom: z.string().nullable(),
    historyTo: z.string().nullable(),
    historyTruncated: z.boolean().optional(),
  })
  .meta({ id: "BacktestProtocol" });

export const ZPredictionQuality = z
  .object({
    modelVersion: z.number().int().nullable().describe("Null: no model trained yet."),
    trainedAt: z.string().nullable(),
    figures: ZPredictionFigures.nullable(),
    protocol: ZBacktestProtocol.nullable(),
    gateEnabled: z
      .boolean()
      .describe("Runs may be gated on risk: AUC ≥ 0.70 and ≥ 0.05 above the baseline."),
    gate: z.string().describe("The gate verdict in words."),
    trainRows: z.number().int(),
    durationMs: z.number(),
    weights: z
      .array(z.object({ feature: z.string(), weight: z.number() }))
      .nullable()
      .describe("The fitted weight of each standardised feature."),
  })
  .meta({ id: "PredictionQuality" });
