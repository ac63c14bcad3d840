import { createHash } from "node:crypto";
import type { Actor, Db, Tx } from "../types";
import { canonicalJson } from "./canonical";

/** The hash every workspace's chain starts from. */
export const GENESIS_HASH = "0".repeat(64);

export interface AuditRecord {
  action: string;
  subjectType: string;
  subjectId: string;
  payload?: Record<string, unknown>;
}

export interface LedgerFields {
  workspaceId: string;
  seq: number;
  prevHash: string;
  actorId: string | null;
  actorLabel: string;
  action: string;
  subjectType: string;
  subjectId: string;
  payload: unknown;
  at: Date;
}

/** SHA-256 over the canonical form of everything an entry says, including its place in the chain. */
export function entryHash(e: LedgerFields): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        workspaceId: e.workspaceId,
        seq: e.seq,
        prevHash: e.prevHash,
        actor: { id: e.actorId, label: e.actorLabel },
        action: e.action,
        subject: { type: e.subjectType, id: e.subjectId },
        payload: e.payload,
        at: e.at.toISOString(),
      }),
    )
    .digest("hex");
}

/** Keys whose values never reach the ledger. */
const SECRET_KEYS = /pass(word)?|secret|token|authorization|credential|apikey|api_key/i;

/** Replaces the values of secret-named keys, at any depth (also used by the raw-SQL append). */
export function redact(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(redact);
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? "[redacted]" : redact(v)]),
  );
}

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
  // Time never runs backwards within a chain, even if the clock does.
  const at = last && last.at > now ? last.at : now;
  const fields: LedgerFields = {
    workspaceId: actor.workspaceId,
    seq: (last?.seq ?? 0) + 1,
    prevHash: last?.hash ?? GENESIS_HASH,
    actorId: actor.userId,
    actorLabel: actor.label,
    action: record.action,
    subjectType: record.subjectType,
    subjectId: record.subjectId,
    payload: redact(record.payload ?? {}),
    at: new Date(Math.floor(at.getTime())),
  };
  const hash = entryHash(fields);
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
  const batch = 1000;
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for (;;) {
    const rows = await db.auditEntry.findMany({
      where: { workspaceId, seq: { gte: expectedSeq } },
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
  const ws = await db.workspace.findUnique({
    where: { id: workspaceId },
    select: { auditSeq: true, auditHead: true },
  });
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
