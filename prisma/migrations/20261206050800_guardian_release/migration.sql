-- Issue 18, items 4-6: a released guardian fix. An approved proposal's text saved as a new
-- version of its flow (server/domain/guardian/release.ts): the version, who approved it and
-- when, and the replays of the group's failed runs requested with it (each its own approval).
CREATE TABLE "GuardianRelease" (
    "proposalId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "groupId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "approvalId" UUID NOT NULL,
    "version" TEXT NOT NULL,
    "versionId" UUID NOT NULL,
    "releasedBy" TEXT NOT NULL,
    "releasedById" UUID NOT NULL,
    "releasedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "replayRunIds" JSONB NOT NULL DEFAULT '[]',
    "replayApprovalIds" JSONB NOT NULL DEFAULT '[]',
    CONSTRAINT "GuardianRelease_pkey" PRIMARY KEY ("proposalId")
);
ALTER TABLE "GuardianRelease" ADD CONSTRAINT "GuardianRelease_proposalId_fkey"
    FOREIGN KEY ("proposalId") REFERENCES "GuardianProposal"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE INDEX "GuardianRelease_workspaceId_releasedAt_idx" ON "GuardianRelease"("workspaceId", "releasedAt");
