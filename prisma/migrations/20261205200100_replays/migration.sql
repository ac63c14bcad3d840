-- Issue 15 (replay with a plan): a replay run names the run it replays and the hash of the
-- approved plan it executes (lineage, shown on both runs), and carries the idempotency keys the
-- plan gave its steps (step id -> key: a step executed again keeps the failed run's key, so a
-- write whose answer was lost is deduplicated by the remote system). Like "parentRunId", no
-- foreign key: runs are never deleted one by one, and a workspace's deletion cascades to all.
ALTER TABLE "Run" ADD COLUMN "replayOfRunId" UUID;
ALTER TABLE "Run" ADD COLUMN "replayPlanHash" TEXT;
ALTER TABLE "Run" ADD COLUMN "replayKeys" JSONB;

CREATE INDEX "Run_replayOfRunId_idx" ON "Run"("replayOfRunId");
