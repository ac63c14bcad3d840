/**
 * The audit ledger's chain, pure: the canonical hash of an entry, the redaction of what it
 * records, and the entries that continue a chain after its head. Every appender (Prisma in
 * `ledger.ts`, raw SQL in `server/adapters/store/sql-audit.ts`) builds on it, so the chain is
 * computed in one place and adapters need no use case to append.
 */
import { hash } from "node:crypto";
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
  return hash(
    "sha256",
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
    "hex",
  );
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

/** Marks a value {@link plainRedacted} leaves to the general path. */
const NOT_PLAIN = Symbol("not plain JSON");
/** Deeper than this, {@link plainRedacted} leaves the value to the general path. */
const PLAIN_DEPTH = 64;

/**
 * `redact(JSON.parse(JSON.stringify(value)))` in one walk when `value` is plain JSON data
 * (strings, finite numbers, booleans, null, arrays and plain objects; `undefined`, function and
 * symbol members are dropped, and such array items become null, as `JSON.stringify` does);
 * {@link NOT_PLAIN} when it holds anything else (a `Date`, a `toJSON`, a class instance, a
 * non-finite number, a `__proto__` key, a BigInt), which the general path handles.
 */
function plainRedacted(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
      return redactUrl(value);
    case "boolean":
      return value;
    case "number":
      // JSON writes -0 as 0 and has no infinities or NaN.
      return Number.isFinite(value) ? value + 0 : NOT_PLAIN;
    case "object":
      break;
    default:
      return NOT_PLAIN;
  }
  if (value === null) return null;
  if (depth > PLAIN_DEPTH) return NOT_PLAIN;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const t = typeof v;
      if (v === undefined || t === "function" || t === "symbol") out[i] = null;
      else if ((out[i] = plainRedacted(v, depth + 1)) === NOT_PLAIN) return NOT_PLAIN;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const t = typeof v;
    if (k === "__proto__" || (k === "toJSON" && t === "function")) return NOT_PLAIN;
    if (v === undefined || t === "function" || t === "symbol") continue;
    if (SECRET_KEYS.test(k)) out[k] = "[redacted]";
    else if ((out[k] = plainRedacted(v, depth + 1)) === NOT_PLAIN) return NOT_PLAIN;
  }
  return out;
}

/** What the ledger stores of a payload: its JSON, secret-named keys and URL credentials redacted. */
export function storedPayload(payload: unknown): unknown {
  const plain = plainRedacted(payload, 0);
  return plain === NOT_PLAIN ? redact(JSON.parse(JSON.stringify(payload))) : plain;
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
      payload: storedPayload(e.record.payload ?? {}),
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
