-- Issue 17, item 5: the dashboards' rollups. Counts per entity (flow version, block version,
-- connector endpoint, model) per time bucket, folded in by the rollup consumer as runs are
-- reconciled (server/domain/dashboard/rollup-consumer.ts), so the Trust and Operations pages
-- read a few hundred rows, never the history. "grain": m (minute: flows only),
-- h (hour), d (day); "bucket" its start (UTC). "workflowId": the flow the entity ran in (the
-- nil uuid for a run without one), so block rows drill down to their flows. "latency": a
-- histogram of durations (bin i: [1.25^i, 1.25^(i+1)) ms; a flow's runs, else its attempts);
-- "tierAttempts"/"tierMisses": attempts and SLA misses of tiers T0, T1, T2. Counts add, so a
-- batch's delta is added by one upsert.
CREATE TABLE "Rollup" (
    "workspaceId" UUID NOT NULL,
    "grain" TEXT NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "workflowId" UUID NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "runs" INTEGER NOT NULL DEFAULT 0,
    "runsSucceeded" INTEGER NOT NULL DEFAULT 0,
    "runsFailed" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "successes" INTEGER NOT NULL DEFAULT 0,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "deadLetters" INTEGER NOT NULL DEFAULT 0,
    "breakerTrips" INTEGER NOT NULL DEFAULT 0,
    "policyViolations" INTEGER NOT NULL DEFAULT 0,
    "findings" INTEGER NOT NULL DEFAULT 0,
    "tierAttempts" INTEGER[] NOT NULL DEFAULT '{0,0,0}',
    "tierMisses" INTEGER[] NOT NULL DEFAULT '{0,0,0}',
    "latency" INTEGER[] NOT NULL DEFAULT '{}',
    "costUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "tokensIn" BIGINT NOT NULL DEFAULT 0,
    "tokensOut" BIGINT NOT NULL DEFAULT 0,
    "agentCalls" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "Rollup_pkey" PRIMARY KEY ("workspaceId", "grain", "kind", "bucket", "key", "workflowId")
);
ALTER TABLE "Rollup" ADD CONSTRAINT "Rollup_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
-- No other index: every page query names the workspace, grain and kind and a bucket range
-- (the key's prefix), and each index costs every upsert.

-- The rollup consumer's cursor over reconciled runs and its claims (server/domain/finished-runs.ts).
CREATE TABLE "RollupCursor" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "runId" UUID,
    CONSTRAINT "RollupCursor_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "RollupFoldedRun" (
    "runId" UUID NOT NULL,
    "reconciledAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "RollupFoldedRun_pkey" PRIMARY KEY ("runId")
);
CREATE INDEX "RollupFoldedRun_reconciledAt_idx" ON "RollupFoldedRun"("reconciledAt");
