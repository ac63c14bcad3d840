-- Issue 16: whether a sandbox session's in-memory mock state was changed (`dirtyAt`, its first
-- successful write) and lost (`lostAt`: a process that no longer held it was asked for it, after
-- a restart or an eviction), so a lost state is said, never silently re-forked.
CREATE TABLE "SandboxSessionState" (
    "sessionId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "dirtyAt" TIMESTAMPTZ(3),
    "lostAt" TIMESTAMPTZ(3),
    CONSTRAINT "SandboxSessionState_pkey" PRIMARY KEY ("sessionId")
);
ALTER TABLE "SandboxSessionState" ADD CONSTRAINT "SandboxSessionState_sessionId_fkey"
    FOREIGN KEY ("sessionId") REFERENCES "SandboxSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;
