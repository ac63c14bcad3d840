/**
 * The audit ledger's chain, pure: the canonical hash of an entry, the redaction of what it
 * records, and the entries that continue a chain after its head. Every appender (Prisma in
 * `ledger.ts`, raw SQL in `server/adapters/store/sql-audit.ts`) builds on it, so the chain is
 * computed in one place and adapters need no use case to append.
 */
import { createHash } from "node:crypto";
import { redactUrl } from "@/server/engine/redact";
import type { RunAuditEntry } from "@/server/engine/ports";
import type { RunRecord } from "@/server/engine/types";
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

/** The engine's ledger entry for a run event (run end, consent use), as every appender writes it. */
export function runLedgerEntry(
  run: Pick<RunRecord, "id" | "startedBy">,
  entry: RunAuditEntry,
): AuditBatchEntry {
  return {
    actor: { label: "engine", userId: null },
    record: {
      action: entry.action,
      subjectType: "run",
      subjectId: run.id,
      payload: { ...entry.payload, startedBy: run.startedBy },
    },
  };
}
