-- Issue 17: failure prediction. One row per training of a workspace's failure model
-- (server/domain/prediction/train.ts): its version, the fitted model (feature names, means,
-- standard deviations, intercept, weights; null when the history had nothing to learn from),
-- the rolling-origin backtest's figures (ROC-AUC, PR-AUC, Brier of the model and of the
-- baseline) and protocol (windows, sizes, features), and whether the figures allow gating runs.
-- The latest version scores runs; older ones are pruned to the last few.
CREATE TABLE "PredictionModel" (
    "workspaceId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "trainedAt" TIMESTAMPTZ(3) NOT NULL,
    "model" JSONB,
    "figures" JSONB NOT NULL,
    "protocol" JSONB NOT NULL,
    "gateEnabled" BOOLEAN NOT NULL DEFAULT false,
    "trainRows" INTEGER NOT NULL DEFAULT 0,
    "durationMs" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "PredictionModel_pkey" PRIMARY KEY ("workspaceId", "version")
);
ALTER TABLE "PredictionModel" ADD CONSTRAINT "PredictionModel_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
