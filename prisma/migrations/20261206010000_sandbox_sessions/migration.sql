-- Issue 16: sandbox sessions. A session owns its mock connector state (in memory, per tenant
-- `sbx_<id>`), its seed and fault profile; runs started in it record it.
CREATE TABLE "SandboxSession" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdBy" UUID NOT NULL,
    "sharedWith" JSONB NOT NULL DEFAULT '[]',
    "seed" INTEGER NOT NULL,
    "datasetRef" TEXT,
    "faultProfile" JSONB NOT NULL DEFAULT '{}',
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closedAt" TIMESTAMPTZ(3),
    CONSTRAINT "SandboxSession_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "SandboxSession_workspaceId_createdAt_idx" ON "SandboxSession"("workspaceId", "createdAt");
CREATE INDEX "SandboxSession_expiresAt_idx" ON "SandboxSession"("expiresAt");
ALTER TABLE "SandboxSession" ADD CONSTRAINT "SandboxSession_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SandboxSession" ADD CONSTRAINT "SandboxSession_createdBy_fkey"
    FOREIGN KEY ("createdBy") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A run started in a session (and its sub-flows) keeps the session's id.
ALTER TABLE "Run" ADD COLUMN "sandboxSessionId" UUID;
CREATE INDEX "Run_sandboxSessionId_idx" ON "Run"("sandboxSessionId") WHERE "sandboxSessionId" IS NOT NULL;
