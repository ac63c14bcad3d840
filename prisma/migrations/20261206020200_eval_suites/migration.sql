-- Issue 16, item 8: evaluation suites. A suite runs a dataset version (by id, with its content
-- hash) against a flow or one agent block in a sandbox session, n repetitions per row; each run
-- of a suite keeps one result per row and repetition, and its metrics once it ends.
CREATE TABLE "EvalSuite" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "datasetVersionId" UUID NOT NULL,
    "datasetHash" TEXT NOT NULL,
    "target" JSONB NOT NULL,
    "inputMap" JSONB,
    "assertions" JSONB NOT NULL,
    "repetitions" INTEGER NOT NULL,
    "steersRouter" BOOLEAN NOT NULL DEFAULT false,
    "createdBy" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "archivedAt" TIMESTAMPTZ(3),
    CONSTRAINT "EvalSuite_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "EvalSuite_workspaceId_createdAt_idx" ON "EvalSuite"("workspaceId", "createdAt");
ALTER TABLE "EvalSuite" ADD CONSTRAINT "EvalSuite_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "EvalRun" (
    "id" UUID NOT NULL,
    "suiteId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "variant" JSONB NOT NULL,
    "label" TEXT NOT NULL,
    "datasetHash" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "total" INTEGER NOT NULL,
    "done" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "summary" JSONB,
    "startedBy" UUID NOT NULL,
    "heartbeatAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),
    CONSTRAINT "EvalRun_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "EvalRun_suiteId_createdAt_idx" ON "EvalRun"("suiteId", "createdAt");
CREATE INDEX "EvalRun_workspaceId_createdAt_idx" ON "EvalRun"("workspaceId", "createdAt");
CREATE INDEX "EvalRun_status_heartbeatAt_idx" ON "EvalRun"("status", "heartbeatAt");
ALTER TABLE "EvalRun" ADD CONSTRAINT "EvalRun_suiteId_fkey"
    FOREIGN KEY ("suiteId") REFERENCES "EvalSuite"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "EvalRun" ADD CONSTRAINT "EvalRun_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "EvalResult" (
    "id" UUID NOT NULL,
    "evalRunId" UUID NOT NULL,
    "rowIndex" INTEGER NOT NULL,
    "repetition" INTEGER NOT NULL,
    "runId" UUID,
    "runStatus" TEXT NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "checks" JSONB NOT NULL,
    "route" TEXT NOT NULL,
    "costUsd" DECIMAL(18,10) NOT NULL,
    "tokensIn" INTEGER NOT NULL DEFAULT 0,
    "tokensOut" INTEGER NOT NULL DEFAULT 0,
    "latencyMs" INTEGER NOT NULL,
    "output" JSONB,
    "error" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "EvalResult_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "EvalResult_evalRunId_rowIndex_repetition_key"
    ON "EvalResult"("evalRunId", "rowIndex", "repetition");
ALTER TABLE "EvalResult" ADD CONSTRAINT "EvalResult_evalRunId_fkey"
    FOREIGN KEY ("evalRunId") REFERENCES "EvalRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;
