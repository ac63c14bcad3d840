/**
 * The audit ledger's append (`server/domain/audit/ledger.ts` `appendAudit`) on the raw SQL
 * driver, for the engine's hot paths (webhook run starts, run ends): the same lock and the same
 * chain (`chainEntries`: links, redaction, hashes) in three statements inside the caller's
 * transaction instead of Prisma's five, and several entries per statement. Entries are
 * indistinguishable from `appendAudit`'s; `verifyAudit` checks them the same way.
 */
import { chainEntries, type AuditBatchEntry, type AuditRecord } from "@/server/domain/audit/ledger";
import type { SqlExecutor } from "../prisma/sql-driver";

type Query = Pick<SqlExecutor, "query">;

export type { AuditBatchEntry };

/** Appends one entry inside the transaction `tx` (which must be one). */
export async function appendAuditSql(
  tx: Query,
  actor: { workspaceId: string; label: string; userId: string | null },
  record: AuditRecord,
  now: Date = new Date(),
): Promise<{ seq: number; hash: string }> {
  const [r] = await appendAuditBatchSql(tx, actor.workspaceId, [{ actor, record, now }]);
  return r!;
}

/**
 * Appends several entries of one workspace, in order, inside the transaction `tx`: one lock,
 * one read of the chain's head, one insert and one head update for all of them (the engine's
 * run-end entries are flushed this way, so the per-workspace lock is taken once per batch).
 */
export async function appendAuditBatchSql(
  tx: Query,
  workspaceId: string,
  entries: AuditBatchEntry[],
): Promise<Array<{ seq: number; hash: string }>> {
  if (entries.length === 0) return [];
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`audit:${workspaceId}`]);
  // A separate statement: its snapshot is taken after the lock, so it sees the last append.
  const [last] = await tx.query<{ seq: number; hash: string; at: number }>(
    `SELECT "seq", "hash", (extract(epoch from "at") * 1000)::float8 AS at FROM "AuditEntry"
     WHERE "workspaceId" = $1::uuid ORDER BY "seq" DESC LIMIT 1`,
    [workspaceId],
  );
  const rows = chainEntries(
    workspaceId,
    last ? { seq: Number(last.seq), hash: last.hash, atMs: Number(last.at) } : null,
    entries,
  );
  const head = rows.at(-1)!;
  await tx.query(
    `WITH e AS (
       INSERT INTO "AuditEntry" ("workspaceId", "seq", "prevHash", "hash", "actorId", "actorLabel", "action",
         "subjectType", "subjectId", "payload", "at")
       SELECT $1::uuid, x."seq", x."prevHash", x."hash", x."actorId", x."actorLabel", x."action",
         x."subjectType", x."subjectId", x."payload", to_timestamp(x."at" / 1000)
       FROM jsonb_to_recordset($2::jsonb) AS x("seq" int, "prevHash" text, "hash" text, "actorId" text,
         "actorLabel" text, "action" text, "subjectType" text, "subjectId" text, "payload" jsonb, "at" float8)
       RETURNING 1)
     UPDATE "Workspace" SET "auditSeq" = $3::int, "auditHead" = $4 WHERE "id" = $1::uuid
       AND (SELECT count(*) FROM e) > 0`,
    [
      workspaceId,
      JSON.stringify(rows.map((r) => ({ ...r, at: r.at.getTime() }))),
      head.seq,
      head.hash,
    ],
  );
  return rows.map((r) => ({ seq: r.seq, hash: r.hash }));
}
