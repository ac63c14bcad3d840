-- Issue 17 items 3 and 6: anomaly detection and alerts (server/domain/anomaly).
-- Metrics per entity (flow, block version, connector endpoint, model) per 5-minute bucket, folded
-- in from reconciled runs by the anomaly consumer (its own cursor row in "TrustCursor", id
-- 'anomaly', and its own set of recently folded runs). "latency" is a fixed log-bucket histogram
-- of attempt durations (mergeable: p95 of any window of buckets).
CREATE TABLE "AnomalyBucket" (
    "workspaceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "runs" INTEGER NOT NULL DEFAULT 0,
    "calls" INTEGER NOT NULL DEFAULT 0,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "writes" INTEGER NOT NULL DEFAULT 0,
    "latency" INTEGER[],
    "tokens" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "cost" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "outBytes" DOUBLE PRECISION NOT NULL DEFAULT 0,
    CONSTRAINT "AnomalyBucket_pkey" PRIMARY KEY ("workspaceId", "kind", "key", "bucket")
);
CREATE INDEX "AnomalyBucket_bucket_idx" ON "AnomalyBucket"("bucket");
ALTER TABLE "AnomalyBucket" ADD CONSTRAINT "AnomalyBucket_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- What the detector keeps per entity: when it was first seen, its known output fields, its
-- baselines (median and MAD per metric, recomputed at most hourly from the buckets) and the
-- threshold factors people's feedback set.
CREATE TABLE "AnomalyEntity" (
    "workspaceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "peer" TEXT NOT NULL DEFAULT '',
    "write" BOOLEAN NOT NULL DEFAULT false,
    "firstSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "fields" JSONB NOT NULL DEFAULT '[]',
    "baseline" JSONB NOT NULL DEFAULT '{}',
    "baselineAt" TIMESTAMPTZ(3),
    "thresholds" JSONB NOT NULL DEFAULT '{}',
    CONSTRAINT "AnomalyEntity_pkey" PRIMARY KEY ("workspaceId", "kind", "key")
);
ALTER TABLE "AnomalyEntity" ADD CONSTRAINT "AnomalyEntity_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A detected anomaly: the entity, the metric, the rule, the baseline, the observed value and n.
-- A repeat within the cooldown updates "lastSeenAt" and "repeats" instead of a new row.
CREATE TABLE "Anomaly" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "metric" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "baseline" DOUBLE PRECISION,
    "observed" DOUBLE PRECISION NOT NULL,
    "n" INTEGER NOT NULL,
    "score" DOUBLE PRECISION,
    "threshold" DOUBLE PRECISION,
    "explanation" TEXT NOT NULL DEFAULT '',
    "windowStart" TIMESTAMPTZ(3) NOT NULL,
    "detectedAt" TIMESTAMPTZ(3) NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "repeats" INTEGER NOT NULL DEFAULT 0,
    "feedback" TEXT,
    "feedbackBy" TEXT,
    "feedbackAt" TIMESTAMPTZ(3),
    CONSTRAINT "Anomaly_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Anomaly_feedback_check" CHECK ("feedback" IS NULL OR "feedback" IN ('expected', 'real'))
);
CREATE INDEX "Anomaly_workspaceId_detectedAt_idx" ON "Anomaly"("workspaceId", "detectedAt" DESC);
CREATE INDEX "Anomaly_workspaceId_kind_key_metric_rule_lastSeenAt_idx" ON "Anomaly"("workspaceId", "kind", "key", "metric", "rule", "lastSeenAt");
ALTER TABLE "Anomaly" ADD CONSTRAINT "Anomaly_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Runs folded into the anomaly buckets recently (pruned behind the cursor): a run is folded once.
CREATE TABLE "AnomalyFoldedRun" (
    "runId" UUID NOT NULL,
    "reconciledAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "AnomalyFoldedRun_pkey" PRIMARY KEY ("runId")
);
CREATE INDEX "AnomalyFoldedRun_reconciledAt_idx" ON "AnomalyFoldedRun"("reconciledAt");

-- Alert rules of a workspace (item 6): a kind, an optional entity, a threshold, a cooldown and
-- where to deliver (in-app to the workspace's members; a webhook endpoint of its own, whose
-- secret the credential vault seals).
CREATE TABLE "AlertRule" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "entityKind" TEXT,
    "entityKey" TEXT,
    "threshold" DOUBLE PRECISION NOT NULL,
    "cooldownMs" INTEGER NOT NULL,
    "inApp" BOOLEAN NOT NULL DEFAULT true,
    "webhookEndpointId" UUID,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "checkedAt" TIMESTAMPTZ(3),
    CONSTRAINT "AlertRule_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "AlertRule_kind_check" CHECK ("kind" IN ('error_rate', 'p95', 'trust_floor', 'anomaly', 'prediction'))
);
CREATE INDEX "AlertRule_workspaceId_idx" ON "AlertRule"("workspaceId");
ALTER TABLE "AlertRule" ADD CONSTRAINT "AlertRule_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A fired alert: what crossed which rule, when; acknowledged by a member.
CREATE TABLE "AlertEvent" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "ruleId" UUID NOT NULL,
    "subject" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "observed" DOUBLE PRECISION,
    "threshold" DOUBLE PRECISION,
    "firedAt" TIMESTAMPTZ(3) NOT NULL,
    "ackBy" TEXT,
    "ackAt" TIMESTAMPTZ(3),
    CONSTRAINT "AlertEvent_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AlertEvent_workspaceId_firedAt_idx" ON "AlertEvent"("workspaceId", "firedAt" DESC);
CREATE INDEX "AlertEvent_ruleId_subject_firedAt_idx" ON "AlertEvent"("ruleId", "subject", "firedAt" DESC);
ALTER TABLE "AlertEvent" ADD CONSTRAINT "AlertEvent_ruleId_fkey"
    FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;
