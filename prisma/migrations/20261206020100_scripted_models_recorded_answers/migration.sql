-- Issue 16 (items 3, 9, 11): scripted models, what a sandbox session answers from, and the
-- answers connector and model steps got (kept 14 days by default).
CREATE TABLE "ScriptedModel" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdBy" UUID NOT NULL,
    "rules" JSONB NOT NULL DEFAULT '[]',
    "recorded" JSONB NOT NULL DEFAULT '[]',
    "fallback" TEXT NOT NULL DEFAULT 'demo',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ScriptedModel_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "ScriptedModel_workspaceId_createdAt_idx" ON "ScriptedModel"("workspaceId", "createdAt");
ALTER TABLE "ScriptedModel" ADD CONSTRAINT "ScriptedModel_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ScriptedModel" ADD CONSTRAINT "ScriptedModel_createdBy_fkey"
    FOREIGN KEY ("createdBy") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "SandboxSessionScript" (
    "sessionId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "scriptedModelId" UUID,
    "connectorAnswers" JSONB NOT NULL DEFAULT '[]',
    "fromRunId" UUID,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SandboxSessionScript_pkey" PRIMARY KEY ("sessionId")
);
CREATE INDEX "SandboxSessionScript_scriptedModelId_idx" ON "SandboxSessionScript"("scriptedModelId");
ALTER TABLE "SandboxSessionScript" ADD CONSTRAINT "SandboxSessionScript_sessionId_fkey"
    FOREIGN KEY ("sessionId") REFERENCES "SandboxSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SandboxSessionScript" ADD CONSTRAINT "SandboxSessionScript_scriptedModelId_fkey"
    FOREIGN KEY ("scriptedModelId") REFERENCES "ScriptedModel"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "RecordedAnswer" (
    "runId" UUID NOT NULL,
    "stepId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "blockId" TEXT NOT NULL,
    "answer" JSONB NOT NULL,
    "bytes" INTEGER NOT NULL,
    "truncated" BOOLEAN NOT NULL DEFAULT FALSE,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RecordedAnswer_pkey" PRIMARY KEY ("runId", "stepId", "attempt")
);
CREATE INDEX "RecordedAnswer_createdAt_idx" ON "RecordedAnswer"("createdAt");
ALTER TABLE "RecordedAnswer" ADD CONSTRAINT "RecordedAnswer_runId_fkey"
    FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
