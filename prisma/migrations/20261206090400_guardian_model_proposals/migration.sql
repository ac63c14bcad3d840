-- Issue 18, item 3: model-written fix proposals. The model a workspace's guardian asks (a
-- configured model of the router, or a scripted sandbox model `scripted/<id>`), and each request
-- with its outcome: the proposal it wrote, or why the answer was discarded.
CREATE TABLE "GuardianModelSetting" (
    "workspaceId" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "setBy" UUID NOT NULL,
    "setAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "GuardianModelSetting_pkey" PRIMARY KEY ("workspaceId")
);

CREATE TABLE "GuardianModelAttempt" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "groupId" UUID NOT NULL,
    "baseIrHash" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "modelLabel" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "reason" TEXT,
    "proposalId" UUID,
    "tokensIn" INTEGER NOT NULL DEFAULT 0,
    "tokensOut" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DECIMAL(18,10) NOT NULL DEFAULT 0,
    "requestedBy" TEXT NOT NULL DEFAULT 'guardian',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "GuardianModelAttempt_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "GuardianModelAttempt" ADD CONSTRAINT "GuardianModelAttempt_groupId_fkey"
    FOREIGN KEY ("groupId") REFERENCES "GuardianGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "GuardianModelAttempt" ADD CONSTRAINT "GuardianModelAttempt_proposalId_fkey"
    FOREIGN KEY ("proposalId") REFERENCES "GuardianProposal"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE INDEX "GuardianModelAttempt_groupId_baseIrHash_idx" ON "GuardianModelAttempt"("groupId", "baseIrHash");
CREATE INDEX "GuardianModelAttempt_workspaceId_createdAt_idx" ON "GuardianModelAttempt"("workspaceId", "createdAt");
