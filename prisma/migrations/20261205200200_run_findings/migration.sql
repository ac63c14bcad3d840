-- Issue 15 (reconciliation): every finished run is checked against its compiled flow off the
-- request path; a mismatch is a `RunFinding`. `Run.reconciledAt` marks a run as checked, so a
-- restarted reconciler picks up the runs that ended while it was down (the partial index keeps
-- that query off the checked history). Runs that ended before this migration are reconciled too,
-- in bounded batches, as the reconciler catches up.
ALTER TABLE "Run" ADD COLUMN "reconciledAt" TIMESTAMPTZ(3);

CREATE INDEX "Run_unreconciled_idx" ON "Run"("finishedAt")
    WHERE "reconciledAt" IS NULL AND "status" IN ('succeeded', 'failed', 'cancelled', 'compensated');

CREATE TABLE "RunFinding" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "stepId" TEXT,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "RunFinding_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "RunFinding_runId_idx" ON "RunFinding"("runId");
CREATE INDEX "RunFinding_workspaceId_createdAt_idx" ON "RunFinding"("workspaceId", "createdAt");
ALTER TABLE "RunFinding" ADD CONSTRAINT "RunFinding_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
