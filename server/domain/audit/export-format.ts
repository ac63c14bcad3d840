/**
 * The audit export's two formats, as pure functions from records to lines. Both start with the
 * chain's verification result and continue with the entries, oldest first:
 *
 * - JSON Lines: one JSON object a line, `{"record":"verification",…}` then `{"record":"entry",…}`;
 *   an entry carries every hashed field, so the chain can be re-verified from the file alone.
 * - CSV (RFC 4180, CRLF line ends): a header row, the verification as the first row
 *   (`record` = `verification`), then one row per entry. Cells a spreadsheet would read as a
 *   formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) are prefixed with `'`.
 */
import type { VerifyResult } from "./ledger";

/** One stored entry, as exported. */
export interface ExportEntry {
  seq: number;
  at: Date;
  actorId: string | null;
  actorLabel: string;
  action: string;
  subjectType: string;
  subjectId: string;
  payload: unknown;
  prevHash: string;
  hash: string;
}

/** The verification record that heads an export. */
export interface ExportVerification {
  result: VerifyResult;
  workspaceId: string;
  verifiedAt: Date;
  /** Who exported (the actor's label). */
  exportedBy: string;
  /** The entries exported are those up to this sequence number (the head when verified). */
  upTo: number;
  /** The filters applied to the entries (not to the verification, which covers the chain). */
  filters: Record<string, string>;
}

export const AUDIT_CSV_COLUMNS = [
  "record",
  "seq",
  "at",
  "actor",
  "actor_id",
  "action",
  "subject_type",
  "subject_id",
  "payload",
  "prev_hash",
  "hash",
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell: guarded against formula injection (a leading `'` makes a spreadsheet show the
 * text instead of evaluating it), then quoted when it holds a comma, quote, line break or
 * leading/trailing space, with inner quotes doubled.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line, CRLF-terminated. */
export function csvLine(cells: Array<string | number | null | undefined>): string {
  return cells.map(csvCell).join(",") + "\r\n";
}

/** The summary the verification record carries (JSON Lines fields, CSV payload). */
export function verificationSummary(v: ExportVerification) {
  const r = v.result;
  return {
    ok: r.ok,
    entries: r.entries,
    ...(r.ok ? { head: r.head } : { brokenAt: r.brokenAt, reason: r.reason, message: r.message }),
    upTo: v.upTo,
    filters: v.filters,
  };
}

export function verificationCsv(v: ExportVerification): string {
  return csvLine([
    "verification",
    v.result.entries,
    v.verifiedAt.toISOString(),
    v.exportedBy,
    null,
    v.result.ok ? "audit.verify.ok" : "audit.verify.broken",
    "workspace",
    v.workspaceId,
    JSON.stringify(verificationSummary(v)),
    null,
    v.result.ok ? v.result.head : null,
  ]);
}

export function entryCsv(e: ExportEntry): string {
  return csvLine([
    "entry",
    e.seq,
    e.at.toISOString(),
    e.actorLabel,
    e.actorId,
    e.action,
    e.subjectType,
    e.subjectId,
    JSON.stringify(e.payload ?? null),
    e.prevHash,
    e.hash,
  ]);
}

export function verificationJsonl(v: ExportVerification): string {
  return (
    JSON.stringify({
      record: "verification",
      workspaceId: v.workspaceId,
      verifiedAt: v.verifiedAt.toISOString(),
      exportedBy: v.exportedBy,
      ...verificationSummary(v),
    }) + "\n"
  );
}

export function entryJsonl(e: ExportEntry): string {
  return (
    JSON.stringify({
      record: "entry",
      seq: e.seq,
      at: e.at.toISOString(),
      actor: { id: e.actorId, label: e.actorLabel },
      action: e.action,
      subject: { type: e.subjectType, id: e.subjectId },
      payload: e.payload ?? null,
      prevHash: e.prevHash,
      hash: e.hash,
    }) + "\n"
  );
}

/**
 * Rows in pages, in order: asks `fetchPage` for up to `pageSize` rows after the last key seen,
 * yields them, and stops at a short page. At most one page is held at a time.
 */
export async function* inPages<T>(
  fetchPage: (after: number, take: number) => Promise<T[]>,
  keyOf: (row: T) => number,
  pageSize: number,
): AsyncGenerator<T> {
  let after = 0;
  for (;;) {
    const rows = await fetchPage(after, pageSize);
    yield* rows;
    if (rows.length < pageSize) return;
    after = keyOf(rows[rows.length - 1]!);
  }
}
