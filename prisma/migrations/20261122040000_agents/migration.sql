-- Agents: token usage and cost per step attempt (budgets, reports), and per-flow agent memory
-- (server/adapters/llm, server/domain/agent).

CREATE TABLE "AgentUsage" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspaceId" UUID NOT NULL,
    "runId" TEXT NOT NULL,
    "stepId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "flowName" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL,
    "tokensIn" INTEGER NOT NULL,
    "tokensOut" INTEGER NOT NULL,
    "costUsd" DECIMAL(18,10) NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AgentUsage_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "AgentUsage_tokens_check" CHECK ("tokensIn" >= 0 AND "tokensOut" >= 0 AND "costUsd" >= 0)
);
-- One row per attempt: a replayed attempt overwrites, never double-counts.
CREATE UNIQUE INDEX "AgentUsage_runId_stepId_attempt_key" ON "AgentUsage"("runId", "stepId", "attempt");
CREATE INDEX "AgentUsage_workspaceId_at_idx" ON "AgentUsage"("workspaceId", "at");
CREATE INDEX "AgentUsage_workspaceId_flowName_idx" ON "AgentUsage"("workspaceId", "flowName");
ALTER TABLE "AgentUsage" ADD CONSTRAINT "AgentUsage_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "AgentMemory" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspaceId" UUID NOT NULL,
    "flowName" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AgentMemory_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "AgentMemory_kind_check" CHECK ("kind" IN ('fact', 'context'))
);
-- A fact is replaced by key; a context entry is keyed by run and step.
CREATE UNIQUE INDEX "AgentMemory_workspaceId_flowName_kind_key_key" ON "AgentMemory"("workspaceId", "flowName", "kind", "key");
CREATE INDEX "AgentMemory_workspaceId_flowName_createdAt_idx" ON "AgentMemory"("workspaceId", "flowName", "createdAt");
ALTER TABLE "AgentMemory" ADD CONSTRAINT "AgentMemory_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
