-- Issue 15: approvals. Who started a run (by id: the four-eyes guard's requester), the decisions
-- a workspace waits for and each person's decision on them.
ALTER TABLE "Run" ADD COLUMN "startedByUserId" UUID;

CREATE TABLE "Approval" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "runId" UUID,
    "workflowId" UUID,
    "stepId" TEXT,
    "attempt" INTEGER,
    "requesterId" UUID,
    "requesterLabel" TEXT,
    "approvers" JSONB NOT NULL DEFAULT '{}',
    "minApprovals" INTEGER NOT NULL DEFAULT 1,
    "subject" JSONB NOT NULL DEFAULT '{}',
    "planHash" TEXT,
    "expiresAt" TIMESTAMPTZ(3),
    "escalatedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "decidedAt" TIMESTAMPTZ(3),
    CONSTRAINT "Approval_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Approval_kind_check" CHECK ("kind" IN ('step', 'form', 'replay', 'reprocess')),
    CONSTRAINT "Approval_status_check"
        CHECK ("status" IN ('pending', 'approved', 'rejected', 'submitted', 'expired', 'voided')),
    CONSTRAINT "Approval_minApprovals_check" CHECK ("minApprovals" BETWEEN 1 AND 10)
);
-- One approval per human attempt (step and form kinds; replays have no step, NULLs are distinct).
CREATE UNIQUE INDEX "Approval_runId_stepId_attempt_key" ON "Approval"("runId", "stepId", "attempt");
CREATE INDEX "Approval_workspaceId_status_createdAt_idx" ON "Approval"("workspaceId", "status", "createdAt");
ALTER TABLE "Approval" ADD CONSTRAINT "Approval_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "ApprovalDecision" (
    "id" UUID NOT NULL,
    "approvalId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "comment" TEXT,
    "values" JSONB,
    "breakGlass" BOOLEAN NOT NULL DEFAULT false,
    "reason" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "ApprovalDecision_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ApprovalDecision_decision_check" CHECK ("decision" IN ('approve', 'reject', 'submit'))
);
CREATE UNIQUE INDEX "ApprovalDecision_approvalId_userId_key" ON "ApprovalDecision"("approvalId", "userId");
ALTER TABLE "ApprovalDecision" ADD CONSTRAINT "ApprovalDecision_approvalId_fkey"
    FOREIGN KEY ("approvalId") REFERENCES "Approval"("id") ON DELETE CASCADE ON UPDATE CASCADE;
