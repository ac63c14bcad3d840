import type { Actor, Db, Tx } from "../types";
import { chainEntries, entryHash, GENESIS_HASH, type AuditRecord } from "./chain";

export {
  chainEntries,
  entryHash,
  GENESIS_HASH,
  redact,
  type AuditBatchEntry,
  type AuditRecord,
  type ChainHead,
  type LedgerFields,
} from "./chain";

/**
 * Appends one entry to the workspace's chain. Call it inside the transaction that makes the
 * change, so the change and its record commit (or roll back) together. A transaction-scoped
 * advisory lock on the workspace serialises appenders, so sequence numbers have no gaps.
 */
export async function appendAudit(
  tx: Tx,
  actor: Pick<Actor, "workspaceId" | "label"> & { userId: string | null },
  record: AuditRecord,
  now: Date = new Date(),
): Promise<{ seq: number; hash: string }> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"audit:" + actor.workspaceId}))`;
  const last = await tx.auditEntry.findFirst({
    where: { workspaceId: actor.workspaceId },
    orderBy: { seq: "desc" },
    select: { seq: true, hash: true, at: true },
  });
  const [entry] = chainEntries(
    actor.workspaceId,
    last ? { seq: last.seq, hash: last.hash, atMs: last.at.getTime() } : null,
    [{ actor, record, now }],
  );
  const { hash, ...fields } = entry!;
  await tx.auditEntry.create({
    data: { ...fields, payload: fields.payload as object, hash },
  });
  await tx.workspace.update({
    where: { id: actor.workspaceId },
    data: { auditSeq: fields.seq, auditHead: hash },
  });
  return { seq: fields.seq, hash };
}

export type VerifyResult =
  | { ok: true; entries: number; head: string }
  | {
      ok: false;
      entries: number;
      /** First sequence number at which the chain is broken. */
      brokenAt: number;
      reason: "hash-mismatch" | "broken-link" | "missing-entry" | "sequence-reordered";
      message: string;
    };

/**
 * Walks a workspace's chain from its genesis and reports the first broken or missing entry:
 * a changed field (hash mismatch), a changed hash (the next entry's link breaks), a deleted entry
 * (a gap in the sequence) or entries whose order was swapped.
 */
export async function verifyAudit(db: Db | Tx, workspaceId: string): Promise<VerifyResult> {
  // The head first: an append commits its entry and the head together, so every entry up to
  // this head exists now, and entries appended while we read (seq above it) are left for the
  // next verification instead of looking like a mismatch with a head read later.
  const ws = await db.workspace.findUnique({
    where: { id: workspaceId },
    select: { auditSeq: true, auditHead: true },
  });
  const batch = 1000;
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for (;;) {
    const rows = await db.auditEntry.findMany({
      where: {
        workspaceId,
        seq: ws ? { gte: expectedSeq, lte: ws.auditSeq } : { gte: expectedSeq },
      },
      orderBy: { seq: "asc" },
      take: batch,
    });
    for (const row of rows) {
      if (row.seq !== expectedSeq) {
        return {
          ok: false,
          entries: count,
          brokenAt: expectedSeq,
          reason: "missing-entry",
          message: `Entry #${expectedSeq} is missing (the next entry is #${row.seq}).`,
        };
      }
      const recomputed = entryHash({ ...row, payload: row.payload });
      if (row.prevHash !== prevHash) {
        return {
          ok: false,
          entries: count,
          brokenAt: row.seq,
          reason: recomputed === row.hash ? "sequence-reordered" : "broken-link",
          message: `Entry #${row.seq} does not link to entry #${row.seq - 1}.`,
        };
      }
      if (recomputed !== row.hash) {
        return {
          ok: false,
          entries: count,
          brokenAt: row.seq,
          reason: "hash-mismatch",
          message: `Entry #${row.seq} was changed after it was written.`,
        };
      }
      prevHash = row.hash;
      expectedSeq++;
      count++;
    }
    if (rows.length < batch) break;
  }
  if (ws && (ws.auditSeq !== count || ws.auditHead !== prevHash)) {
    return {
      ok: false,
      entries: count,
      brokenAt: count + 1,
      reason: "missing-entry",
      message: `The ledger ends at entry #${count} but its recorded head is #${ws.auditSeq}: entries were removed.`,
    };
  }
  return { ok: true, entries: count, head: prevHash };
}
