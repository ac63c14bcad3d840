-- Issue 18: the guardian. Failed attempts (and the dead letters their final attempts left) are
-- fingerprinted and grouped by the guardian consumer (server/domain/guardian/consumer.ts) off the
-- request path; each group is triaged, and rule-based fix proposals are written for the
-- patchable classes, bound to the hash of the flow version they patch.
CREATE TABLE "GuardianGroup" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "workflowId" UUID,
    "flowName" TEXT NOT NULL,
    "stepId" TEXT NOT NULL,
    "blockId" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "errorName" TEXT NOT NULL,
    "errorCode" TEXT,
    "httpStatus" INTEGER,
    "strictKey" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "split" BOOLEAN NOT NULL DEFAULT false,
    "rulesVersion" INTEGER NOT NULL,
    "class" TEXT NOT NULL,
    "triage" JSONB NOT NULL DEFAULT '{}',
    "why" JSONB NOT NULL DEFAULT '[]',
    "count" INTEGER NOT NULL DEFAULT 0,
    "deadLetters" INTEGER NOT NULL DEFAULT 0,
    "firstSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "firstRunId" UUID NOT NULL,
    "lastRunId" UUID NOT NULL,
    "failingVersion" TEXT,
    "failingIrHash" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "mergedIntoId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "GuardianGroup_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "GuardianGroup" ADD CONSTRAINT "GuardianGroup_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE INDEX "GuardianGroup_workspaceId_lastSeenAt_idx" ON "GuardianGroup"("workspaceId", "lastSeenAt" DESC);
CREATE INDEX "GuardianGroup_workspaceId_strictKey_idx" ON "GuardianGroup"("workspaceId", "strictKey");

-- One row per failed attempt (unique by run, step and attempt: a batch read twice adds nothing).
CREATE TABLE "GuardianMember" (
    "id" BIGSERIAL NOT NULL,
    "groupId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "stepId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "version" TEXT,
    "irHash" TEXT NOT NULL,
    "deadLetterId" UUID,
    "recovered" BOOLEAN NOT NULL DEFAULT false,
    "similarity" DOUBLE PRECISION NOT NULL,
    "why" JSONB NOT NULL DEFAULT '[]',
    "record" JSONB NOT NULL DEFAULT '{}',
    "seenAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "GuardianMember_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "GuardianMember" ADD CONSTRAINT "GuardianMember_groupId_fkey"
    FOREIGN KEY ("groupId") REFERENCES "GuardianGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE UNIQUE INDEX "GuardianMember_runId_stepId_attempt_key" ON "GuardianMember"("runId", "stepId", "attempt");
CREATE INDEX "GuardianMember_groupId_seenAt_idx" ON "GuardianMember"("groupId", "seenAt" DESC);

-- A person's merge or split, obeyed by the next failures (versioned with the grouping rules).
CREATE TABLE "GuardianRule" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "rulesVersion" INTEGER NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "createdBy" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "GuardianRule_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "GuardianRule" ADD CONSTRAINT "GuardianRule_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE INDEX "GuardianRule_workspaceId_createdAt_idx" ON "GuardianRule"("workspaceId", "createdAt");

-- A fix proposal: a patched text of the flow version whose IR hash it is bound to (a newer
-- version voids it), its status, and room for the sandbox proof and the approval.
CREATE TABLE "GuardianProposal" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "groupId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "baseVersion" TEXT NOT NULL,
    "baseIrHash" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "rationale" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "bump" TEXT NOT NULL,
    "nextVersion" TEXT NOT NULL,
    "changes" JSONB NOT NULL DEFAULT '[]',
    "status" TEXT NOT NULL DEFAULT 'proposed',
    "proof" JSONB,
    "approvalId" UUID,
    "proposedBy" TEXT NOT NULL DEFAULT 'guardian',
    "rejectReason" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "GuardianProposal_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "GuardianProposal" ADD CONSTRAINT "GuardianProposal_groupId_fkey"
    FOREIGN KEY ("groupId") REFERENCES "GuardianGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE UNIQUE INDEX "GuardianProposal_groupId_baseIrHash_rule_key" ON "GuardianProposal"("groupId", "baseIrHash", "rule");
CREATE INDEX "GuardianProposal_workspaceId_createdAt_idx" ON "GuardianProposal"("workspaceId", "createdAt" DESC);

-- The consumer's cursor over reconciled runs and its claims (as the trust consumer's).
CREATE TABLE "GuardianCursor" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "runId" UUID,
    CONSTRAINT "GuardianCursor_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "GuardianFoldedRun" (
    "runId" UUID NOT NULL,
    "reconciledAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "GuardianFoldedRun_pkey" PRIMARY KEY ("runId")
);
CREATE INDEX "GuardianFoldedRun_reconciledAt_idx" ON "GuardianFoldedRun"("reconciledAt");
