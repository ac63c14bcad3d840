-- Issue 14 (hot path): a checkpoint's events and its pure steps' attempts are recorded as ONE
-- row per checkpoint instead of a StepAttempt row per step and a RunEvent row per event (pure
-- steps are recomputed after a crash anyway). The run store expands them on read. JSON (not
-- JSONB): written once, read whole, never queried inside, so it is stored as sent.
CREATE TABLE "RunStepLog" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "firstSeq" INTEGER NOT NULL,
    "attempts" JSON,
    "finishSeqs" BIGINT[],
    "events" JSON,

    CONSTRAINT "RunStepLog_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "RunStepLog_runId_idx" ON "RunStepLog"("runId");

ALTER TABLE "RunStepLog" ADD CONSTRAINT "RunStepLog_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
