-- Issue 16: real model routes a workspace admin opted a sandbox session in to (named models of
-- the model router); without a row the session's agent steps reach only the demo model.
CREATE TABLE "SandboxModelRoutes" (
    "sessionId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "routes" JSONB NOT NULL DEFAULT '[]',
    "allowedBy" UUID NOT NULL,
    "allowedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SandboxModelRoutes_pkey" PRIMARY KEY ("sessionId")
);
CREATE INDEX "SandboxModelRoutes_workspaceId_idx" ON "SandboxModelRoutes"("workspaceId");
ALTER TABLE "SandboxModelRoutes" ADD CONSTRAINT "SandboxModelRoutes_sessionId_fkey"
    FOREIGN KEY ("sessionId") REFERENCES "SandboxSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;
