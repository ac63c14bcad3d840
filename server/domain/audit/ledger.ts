import { redactUrl } from "@/server/engine/redact";
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

/**
 * Replaces the values of secret-named keys, at any depth, and credentials inside URLs in any
 * string (`https://[redacted]@host`; also used by the raw-SQL append).
 */
export function redact(value: unknown): unknown {
  if (typeof value === "string") return redactUrl(value);
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
/** One entry to append: who, what, and when (default: now). */
export interface AuditBatchEntry {
  actor: { label: string; userId: string | null };
  record: AuditRecord;
  now?: Date;
}

/** The last entry of a chain, as the appenders read it (time in epoch milliseconds). */
export interface ChainHead {
  seq: number;
  hash: string;
  atMs: number;
}

/**
 * The entries that continue a workspace's chain after `head`: sequence numbers, links, redacted
 * payloads and hashes. Pure; both appenders (Prisma here, raw SQL for the engine's hot path in
 * `server/adapters/store/sql-audit.ts`) use it, so the chain is computed in one place.
 */
export function chainEntries(
  workspaceId: string,
  head: ChainHead | null,
  entries: AuditBatchEntry[],
): Array<LedgerFields & { hash: string }> {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  let lastAt = head?.atMs ?? -Infinity;
  return entries.map((e) => {
    // Time never runs backwards within a chain, even if the clock does.
    const at = new Date(Math.floor(Math.max((e.now ?? new Date()).getTime(), lastAt)));
    const fields: LedgerFields = {
      workspaceId,
      seq: ++seq,
      prevHash,
      actorId: e.actor.userId,
      actorLabel: e.actor.label,
      action: e.record.action,
      subjectType: e.record.subjectType,
      subjectId: e.record.subjectId,
      // Hashed exactly as stored: JSON (dates as strings), secret-named keys redacted.
      payload: redact(JSON.parse(JSON.stringify(e.record.payload ?? {}))),
      at,
    };
    const hash = entryHash(fields);
    prevHash = hash;
    lastAt = at.getTime();
    return { ...fields, hash };
  });
}

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
