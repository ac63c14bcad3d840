import { z } from "zod";
import type { Actor, Db } from "../types";
import {
  entryCsv,
  entryJsonl,
  inPages,
  AUDIT_CSV_COLUMNS,
  csvLine,
  verificationCsv,
  verificationJsonl,
  type ExportEntry,
  type ExportVerification,
} from "./export-format";
import { verifyAudit } from "./ledger";
import { auditWhere, ZAuditFilters } from "./list-audit";

export const AUDIT_EXPORT_FORMATS = ["csv", "jsonl"] as const;

/** Strict: a misspelt filter is an error, never a silent export of everything. */
export const ZExportAuditInput = z.strictObject({
  ...ZAuditFilters.shape,
  format: z.enum(AUDIT_EXPORT_FORMATS, { error: "format must be csv or jsonl" }),
});
export type ExportAuditInput = z.infer<typeof ZExportAuditInput>;

/** Entries read per database round trip: the export holds at most one page in memory. */
export const EXPORT_PAGE_SIZE = 500;

export interface AuditExport {
  verification: ExportVerification;
  contentType: string;
  filename: string;
  /** The file, line by line; reads the ledger a page at a time as it is consumed. */
  lines: AsyncGenerator<string>;
}

/**
 * Exports a workspace's ledger: first verifies the whole chain, then streams the entries that
 * match the filters, oldest first, up to the head that was verified (entries appended meanwhile
 * are left for the next export, so the verification speaks for every entry in the file).
 */
export async function exportAudit(
  db: Db,
  actor: Actor,
  input: ExportAuditInput,
  opts: { pageSize?: number; now?: () => Date } = {},
): Promise<AuditExport> {
  const now = opts.now ?? (() => new Date());
  const pageSize = opts.pageSize ?? EXPORT_PAGE_SIZE;
  // The head before the walk: every entry up to it exists and is covered by the verification.
  const ws = await db.workspace.findUniqueOrThrow({
    where: { id: actor.workspaceId },
    select: { auditSeq: true, slug: true },
  });
  const result = await verifyAudit(db, actor.workspaceId);
  const verifiedAt = now();
  const { format, ...filters } = input;
  const verification: ExportVerification = {
    result,
    workspaceId: actor.workspaceId,
    verifiedAt,
    exportedBy: actor.label,
    upTo: ws.auditSeq,
    filters: Object.fromEntries(
      Object.entries(filters).filter((kv): kv is [string, string] => Boolean(kv[1])),
    ),
  };
  const where = auditWhere(actor.workspaceId, filters);
  const entries = inPages<ExportEntry>(
    (after, take) =>
      db.auditEntry.findMany({
        where: { ...where, seq: { gt: after, lte: ws.auditSeq } },
        orderBy: { seq: "asc" },
        take,
        select: {
          seq: true,
          at: true,
          actorId: true,
          actorLabel: true,
          action: true,
          subjectType: true,
          subjectId: true,
          payload: true,
          prevHash: true,
          hash: true,
        },
      }),
    (e) => e.seq,
    pageSize,
  );
  const stamp = verifiedAt.toISOString().slice(0, 19).replaceAll(":", "-");
  const filename = `trustflow-audit-${safeName(ws.slug)}-${stamp}.${format}`;
  return format === "csv"
    ? {
        verification,
        contentType: "text/csv; charset=utf-8",
        filename,
        lines: (async function* () {
          yield csvLine([...AUDIT_CSV_COLUMNS]);
          yield verificationCsv(verification);
          for await (const e of entries) yield entryCsv(e);
        })(),
      }
    : {
        verification,
        contentType: "application/jsonl; charset=utf-8",
        filename,
        lines: (async function* () {
          yield verificationJsonl(verification);
          for await (const e of entries) yield entryJsonl(e);
        })(),
      };
}

const safeName = (s: string) => s.replace(/[^a-zA-Z0-9_-]+/g, "-").slice(0, 60) || "workspace";

/** The verification in one header value: `ok; entries=42; head=<hash>` or `broken; at=7; …`. */
export function verificationHeader(v: ExportVerification): string {
  const r = v.result;
  return r.ok
    ? `ok; entries=${r.entries}; head=${r.head}`
    : `broken; entries=${r.entries}; at=${r.brokenAt}; reason=${r.reason}`;
}
