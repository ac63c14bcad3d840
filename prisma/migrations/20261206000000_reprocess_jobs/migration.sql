-- Issue 15 (dead letters): a dead letter's status (open until a reprocess job takes it,
-- reprocessed once its replay run succeeded, or discarded by a person with a reason), and the
-- durable reprocess jobs: a job freezes its dead letters as ordered items when it is requested;
-- a worker starts each item's resume replay run (one run per item: `replayRunId` is unique and
-- the run's idempotency key is `reprocess:<item id>`) and records its outcome.
ALTER TABLE "DeadLetter" ADD COLUMN "status" TEXT NOT NULL DEFAULT 'open';
ALTER TABLE "DeadLetter" ADD COLUMN "discardedAt" TIMESTAMPTZ(3);
ALTER TABLE "DeadLetter" ADD COLUMN "discardedBy" TEXT;
ALTER TABLE "DeadLetter" ADD COLUMN "discardReason" TEXT;
ALTER TABLE "DeadLetter" ADD COLUMN "reprocessedRunId" UUID;
ALTER TABLE "DeadLetter" ADD CONSTRAINT "DeadLetter_status_check"
    CHECK ("status" IN ('open', 'reprocessing', 'reprocessed', 'discarded'));
CREATE INDEX "DeadLetter_workspaceId_status_createdAt_idx"
    ON "DeadLetter"("workspaceId", "status", "createdAt");

CREATE TABLE "ReprocessJob" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "requesterId" UUID NOT NULL,
    "requesterLabel" TEXT NOT NULL,
    "approvalId" UUID,
    -- { "ids": [...] } or { "filter": {...} }: what was asked for (the items are the frozen list).
    "selection" JSONB NOT NULL DEFAULT '{}',
    "planHash" TEXT NOT NULL,
    "canary" INTEGER NOT NULL DEFAULT 1,
    "ratePerMinute" INTEGER NOT NULL,
    "stopOnFailure" BOOLEAN NOT NULL DEFAULT true,
    "state" TEXT NOT NULL DEFAULT 'pending-approval',
    "stopReason" TEXT,
    "total" INTEGER NOT NULL DEFAULT 0,
    "succeeded" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "skipped" INTEGER NOT NULL DEFAULT 0,
    -- The rate limit: no item starts before this time.
    "nextStartAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "finishedAt" TIMESTAMPTZ(3),
    CONSTRAINT "ReprocessJob_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ReprocessJob_state_check" CHECK ("state" IN
        ('pending-approval', 'canary', 'running', 'paused', 'stopped', 'completed', 'rejected')),
    CONSTRAINT "ReprocessJob_canary_check" CHECK ("canary" >= 0),
    CONSTRAINT "ReprocessJob_ratePerMinute_check" CHECK ("ratePerMinute" BETWEEN 1 AND 600)
);
CREATE UNIQUE INDEX "ReprocessJob_approvalId_key" ON "ReprocessJob"("approvalId");
CREATE INDEX "ReprocessJob_workspaceId_createdAt_idx" ON "ReprocessJob"("workspaceId", "createdAt");
CREATE INDEX "ReprocessJob_state_idx" ON "ReprocessJob"("state");
ALTER TABLE "ReprocessJob" ADD CONSTRAINT "ReprocessJob_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "ReprocessItem" (
    "id" UUID NOT NULL,
    "jobId" UUID NOT NULL,
    "deadLetterId" UUID NOT NULL,
    -- The dead letter's run (the replay's source).
    "runId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    -- The hash of the item's resume replay plan, as approved.
    "planHash" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "replayRunId" UUID,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "error" TEXT,
    CONSTRAINT "ReprocessItem_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ReprocessItem_state_check"
        CHECK ("state" IN ('pending', 'running', 'succeeded', 'failed', 'skipped'))
);
CREATE UNIQUE INDEX "ReprocessItem_replayRunId_key" ON "ReprocessItem"("replayRunId");
CREATE UNIQUE INDEX "ReprocessItem_jobId_position_key" ON "ReprocessItem"("jobId", "position");
CREATE UNIQUE INDEX "ReprocessItem_jobId_deadLetterId_key" ON "ReprocessItem"("jobId", "deadLetterId");
CREATE INDEX "ReprocessItem_jobId_state_position_idx" ON "ReprocessItem"("jobId", "state", "position");
CREATE INDEX "ReprocessItem_deadLetterId_idx" ON "ReprocessItem"("deadLetterId");
ALTER TABLE "ReprocessItem" ADD CONSTRAINT "ReprocessItem_jobId_fkey"
    FOREIGN KEY ("jobId") REFERENCES "ReprocessJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ReprocessItem" ADD CONSTRAINT "ReprocessItem_deadLetterId_fkey"
    FOREIGN KEY ("deadLetterId") REFERENCES "DeadLetter"("id") ON DELETE CASCADE ON UPDATE CASCADE;
