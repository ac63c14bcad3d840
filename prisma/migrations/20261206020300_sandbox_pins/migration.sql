-- Issue 16: pinned step outputs, per flow, user and step. A draft run in a sandbox session
-- records a pinned step as succeeded with this output instead of executing it.
CREATE TABLE "SandboxPin" (
    "workflowId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "stepId" TEXT NOT NULL,
    "workspaceId" UUID NOT NULL,
    "output" JSONB NOT NULL,
    "fromRunId" UUID,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "SandboxPin_pkey" PRIMARY KEY ("workflowId", "userId", "stepId")
);
CREATE INDEX "SandboxPin_workspaceId_idx" ON "SandboxPin"("workspaceId");
ALTER TABLE "SandboxPin" ADD CONSTRAINT "SandboxPin_workflowId_fkey"
    FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SandboxPin" ADD CONSTRAINT "SandboxPin_userId_fkey"
    FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "SandboxPin" ADD CONSTRAINT "SandboxPin_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
