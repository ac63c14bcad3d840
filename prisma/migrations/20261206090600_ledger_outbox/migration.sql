-- Issues 14/15 (session 10, helper F): the ledger outbox. An inline run's statement writes its
-- ledger entries here, without the workspace's chain lock, so concurrent runs commit in
-- parallel; the appender (server/adapters/store/ledger-outbox.ts) moves the rows into the
-- hash-chained "AuditEntry" in batches, in the order they became visible, one transaction per
-- batch under the workspace's ledger lock, deleting them in the same transaction.
CREATE TABLE "AuditOutbox" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "entries" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AuditOutbox_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "AuditOutbox" ADD CONSTRAINT "AuditOutbox_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE INDEX "AuditOutbox_workspaceId_id_idx" ON "AuditOutbox"("workspaceId", "id");
