-- Issue 17: earned trust. Decayed counts per entity (block version, connector endpoint, model,
-- flow version) of what its attempts did, folded in by the trust consumer off the request path
-- (server/domain/trust/consumer.ts): every count is as of "at" and decays with the configured
-- half-life; an update decays both sides to the later time and adds them (one upsert per batch).
CREATE TABLE "TrustCount" (
    "workspaceId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "baseline" DOUBLE PRECISION NOT NULL,
    "meta" JSONB NOT NULL DEFAULT '{}',
    "successes" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "failures" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "slaMisses" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "retries" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "deadLetters" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "breakerTrips" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "policyViolations" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "findings" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "TrustCount_pkey" PRIMARY KEY ("workspaceId", "kind", "key")
);
ALTER TABLE "TrustCount" ADD CONSTRAINT "TrustCount_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The consumer's cursor: runs are folded once reconciled (their findings are known then), in
-- ("reconciledAt", id) order; the runs folded within the last minutes are remembered by id, so a
-- run whose reconciliation committed late (behind the cursor) is folded once by a late sweep,
-- never twice (two processes claim by id).
CREATE TABLE "TrustCursor" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "runId" UUID,
    CONSTRAINT "TrustCursor_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "TrustFoldedRun" (
    "runId" UUID NOT NULL,
    "reconciledAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "TrustFoldedRun_pkey" PRIMARY KEY ("runId")
);
CREATE INDEX "TrustFoldedRun_reconciledAt_idx" ON "TrustFoldedRun"("reconciledAt");

-- The consumer reads reconciled runs past its cursor: keep that off the history.
CREATE INDEX "Run_reconciled_trust_idx" ON "Run"("reconciledAt", "id") WHERE "reconciledAt" IS NOT NULL;
