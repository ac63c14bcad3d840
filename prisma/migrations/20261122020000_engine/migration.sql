-- Engine: runs, step attempts (unique per run/step/attempt), scheduled tasks, dead letters and
-- the append-only run event log.

CREATE TYPE "RunStatus" AS ENUM ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled', 'compensated');

CREATE TABLE "Run" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "workflowId" UUID,
    "version" TEXT,
    "irHash" TEXT NOT NULL,
    "ir" JSONB NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'queued',
    "inputs" JSONB NOT NULL DEFAULT '{}',
    "output" JSONB,
    "error" JSONB,
    "parentRunId" UUID,
    "parentStepId" TEXT,
    "idempotencyKey" TEXT,
    "startedBy" TEXT,
    "leaseOwner" TEXT,
    "leaseExpiresAt" TIMESTAMPTZ(3),
    "dueAt" TIMESTAMPTZ(3),
    "eventSeq" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Run_workspaceId_idempotencyKey_key" ON "Run"("workspaceId", "idempotencyKey");
CREATE INDEX "Run_workspaceId_createdAt_idx" ON "Run"("workspaceId", "createdAt");
CREATE INDEX "Run_workflowId_idx" ON "Run"("workflowId");
CREATE INDEX "Run_parentRunId_idx" ON "Run"("parentRunId");
-- Claiming scans only runs a worker could pick up.
CREATE INDEX "Run_due_idx" ON "Run"("dueAt") WHERE "status" IN ('queued', 'running', 'waiting');

CREATE TABLE "StepAttempt" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "stepId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "blockId" TEXT NOT NULL,
    "inputs" JSONB,
    "output" JSONB,
    "error" JSONB,
    "classification" JSONB,
    "idempotencyKey" TEXT NOT NULL,
    "consentId" TEXT,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "finishedAt" TIMESTAMPTZ(3),
    "durationMs" INTEGER,
    "retryAt" TIMESTAMPTZ(3),
    "finishSeq" BIGINT,
    "workerId" TEXT,
    CONSTRAINT "StepAttempt_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "StepAttempt_runId_stepId_attempt_key" ON "StepAttempt"("runId", "stepId", "attempt");
CREATE SEQUENCE "StepAttempt_finishSeq_seq";

CREATE TABLE "RunTask" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "stepId" TEXT,
    "kind" TEXT NOT NULL,
    "dueAt" TIMESTAMPTZ(3) NOT NULL,
    "payload" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "doneAt" TIMESTAMPTZ(3),
    CONSTRAINT "RunTask_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "RunTask_runId_pending_idx" ON "RunTask"("runId", "dueAt") WHERE "doneAt" IS NULL;

CREATE TABLE "DeadLetter" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "stepId" TEXT NOT NULL,
    "blockId" TEXT NOT NULL,
    "error" JSONB NOT NULL,
    "inputs" JSONB,
    "attempts" INTEGER NOT NULL,
    "classification" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "DeadLetter_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "DeadLetter_runId_stepId_key" ON "DeadLetter"("runId", "stepId");
CREATE INDEX "DeadLetter_workspaceId_createdAt_idx" ON "DeadLetter"("workspaceId", "createdAt");

CREATE TABLE "RunEvent" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "stepId" TEXT,
    "data" JSONB,
    "key" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "RunEvent_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "RunEvent_runId_seq_key" ON "RunEvent"("runId", "seq");
CREATE UNIQUE INDEX "RunEvent_runId_key_key" ON "RunEvent"("runId", "key");

ALTER TABLE "Run" ADD CONSTRAINT "Run_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Run" ADD CONSTRAINT "Run_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "StepAttempt" ADD CONSTRAINT "StepAttempt_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RunTask" ADD CONSTRAINT "RunTask_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "DeadLetter" ADD CONSTRAINT "DeadLetter_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RunEvent" ADD CONSTRAINT "RunEvent_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The event log is append-only, like the audit ledger.
CREATE FUNCTION "run_event_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'RunEvent is append-only';
END;
$$;
CREATE TRIGGER "RunEvent_append_only" BEFORE UPDATE ON "RunEvent"
  FOR EACH ROW EXECUTE FUNCTION "run_event_append_only"();
