import type { Actor, Db, Tx } from "../types";
import {
  chainEntries,
  entryHash,
  fromOutboxEntry,
  GENESIS_HASH,
  type AuditBatchEntry,
  type AuditRecord,
  type ChainHead,
  type OutboxEntry,
} from "./chain";

export {
  chainEntries,
  entryHash,
  GENESIS_HASH,
  redact,
  type AuditBatchEntry,
  type AuditRecord,
  type ChainHead,
  type LedgerFields,
  type OutboxEntry,
} from "./chain";

/**
 * Appends one entry to the workspace's chain. Call it inside the transaction that makes the
 * change, so the change and its record commit (or roll back) together. A transaction-scoped
 * advisory lock on the workspace serialises appenders, so sequence numbers have no gaps. Entries
 * waiting in the ledger outbox (committed before this lock) are chained first, so the chain's
 * order stays the order in which what they record committed.
 */
export async function appendAudit(
  tx: Tx,
  actor: Pick<Actor, "workspaceId" | "label"> & { userId: string | null },
  record: AuditRecord,
  now: Date = new Date(),
): Promise<{ seq: number; hash: string }> {
  return appendWithPending(tx, actor.workspaceId, [{ actor, record, now }]);
}

/**
 * Moves the workspace's entries waiting in the ledger outbox into its chain, when there are any
 * (the readers call it first: the Audit page, its export and REST show every committed entry).
 */
export async function catchUpLedger(db: Db, workspaceId: string): Promise<void> {
  const waiting = await db.auditOutbox.findFirst({ where: { workspaceId }, select: { id: true } });
  if (waiting) await db.$transaction((tx) => appendWithPending(tx, workspaceId, []));
}

/** Outbox rows read per statement while chaining them (memory stays bounded). */
const OUTBOX_CHUNK = 500;

/** Locks the chain, chains the outbox's waiting entries, then `entries`; the last entry's place. */
async function appendWithPending(
  tx: Tx,
  workspaceId: string,
  entries: AuditBatchEntry[],
): Promise<{ seq: number; hash: string }> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"audit:" + workspaceId}))`;
  const last = await tx.auditEntry.findFirst({
    where: { workspaceId },
    orderBy: { seq: "desc" },
    select: { seq: true, hash: true, at: true },
  });
  const start: ChainHead | null = last
    ? { seq: last.seq, hash: last.hash, atMs: last.at.getTime() }
    : null;
  let head = start;
  for (;;) {
    const waiting = await tx.auditOutbox.findMany({
      where: { workspaceId },
      orderBy: { id: "asc" },
      take: OUTBOX_CHUNK,
      select: { id: true, entries: true },
    });
    if (waiting.length === 0) break;
    await tx.auditOutbox.deleteMany({ where: { id: { in: waiting.map((w) => w.id) } } });
    const pending = waiting.flatMap((w) =>
      (w.entries as unknown as OutboxEntry[]).map(fromOutboxEntry),
    );
    head = await writeChain(tx, workspaceId, head, pending);
    if (waiting.length < OUTBOX_CHUNK) break;
  }
  head = await writeChain(tx, workspaceId, head, entries);
  if (head && head !== start)
    await tx.workspace.update({
      where: { id: workspaceId },
      data: { auditSeq: head.seq, auditHead: head.hash },
    });
  return { seq: head?.seq ?? 0, hash: head?.hash ?? GENESIS_HASH };
}

/** Inserts `entries` after `head`; the new head. */
async function writeChain(
  tx: Tx,
  workspaceId: string,
  head: ChainHead | null,
  entries: AuditBatchEntry[],
): Promise<ChainHead | null> {
  if (entries.length === 0) return head;
  const rows = chainEntries(workspaceId, head, entries);
  await tx.auditEntry.createMany({
    data: rows.map((r) => ({ ...r, payload: r.payload as object })),
  });
  const end = rows.at(-1)!;
  return { seq: end.seq, hash: end.hash, atMs: end.at.getTime() };
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
