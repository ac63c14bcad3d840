-- Issue 13: named groups of workspace members (`group: finance` in approvals and forms).
CREATE TABLE "WorkspaceGroup" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "WorkspaceGroup_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "WorkspaceGroup_workspaceId_name_key" ON "WorkspaceGroup"("workspaceId", "name");
ALTER TABLE "WorkspaceGroup" ADD CONSTRAINT "WorkspaceGroup_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "WorkspaceGroupMember" (
    "groupId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "WorkspaceGroupMember_pkey" PRIMARY KEY ("groupId", "userId")
);
CREATE INDEX "WorkspaceGroupMember_userId_idx" ON "WorkspaceGroupMember"("userId");
ALTER TABLE "WorkspaceGroupMember" ADD CONSTRAINT "WorkspaceGroupMember_groupId_fkey"
    FOREIGN KEY ("groupId") REFERENCES "WorkspaceGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "WorkspaceGroupMember" ADD CONSTRAINT "WorkspaceGroupMember_userId_fkey"
    FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
