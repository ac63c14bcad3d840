/**
 * Open anomalies as of a time: what other features read (failure prediction's "anomaly state",
 * alerts). An anomaly is open at `at` when it was detected at or before `at`, was last seen
 * within {@link OPEN_MS} before `at`, and nobody had marked it expected by `at`. Nothing after
 * `at` is read, so a feature computed as of `at` never sees the future.
 */
import type { Db } from "../types";
import type { EntityKind } from "./metrics";

/** How long after it was last seen an anomaly stays open. */
export const OPEN_MS = 60 * 60_000;
/** Open anomalies returned at most. */
const MAX_OPEN = 500;

/** An open anomaly. Times are epoch ms. */
export interface OpenAnomaly {
  id: string;
  kind: EntityKind;
  key: string;
  label: string;
  metric: string;
  rule: string;
  baseline: number | null;
  observed: number;
  n: number;
  detectedAt: number;
  lastSeenAt: number;
}

/**
 * The workspace's anomalies open at `at` (epoch ms), of the `entities` given (`{kind, key}`;
 * all when absent), newest first, at most 500.
 *
 * @example
 * await openAnomalies(db, ws, { at: Date.now(), entities: [{ kind: "block", key: "crm.contact.get@1.0.0" }] });
 */
export async function openAnomalies(
  db: Pick<Db, "$queryRawUnsafe">,
  workspaceId: string,
  opts: { entities?: ReadonlyArray<{ kind: string; key: string }>; at: number },
): Promise<OpenAnomaly[]> {
  const at = new Date(opts.at);
  const since = new Date(opts.at - OPEN_MS);
  const ents = opts.entities;
  if (ents && !ents.length) return [];
  const rows = await db.$queryRawUnsafe<
    Array<Omit<OpenAnomaly, "detectedAt" | "lastSeenAt"> & { detectedAt: Date; lastSeenAt: Date }>
  >(
    `SELECT a.id::text AS id, a.kind, a.key, a.label, a.metric, a.rule, a.baseline, a.observed,
            a.n, a."detectedAt", a."lastSeenAt"
       FROM "Anomaly" a
      WHERE a."workspaceId" = $1::uuid AND a."detectedAt" <= $2 AND a."lastSeenAt" >= $3
        AND NOT (a."feedback" IS NOT DISTINCT FROM 'expected' AND a."feedbackAt" <= $2)
        ${ents ? `AND (a.kind, a.key) IN (SELECT * FROM unnest($4::text[], $5::text[]))` : ""}
      ORDER BY a."detectedAt" DESC
      LIMIT ${MAX_OPEN}`,
    workspaceId,
    at,
    since,
    ...(ents ? [ents.map((e) => e.kind), ents.map((e) => e.key)] : []),
  );
  return rows.map((r) => ({
    ...r,
    kind: r.kind,
    n: Number(r.n),
    detectedAt: r.detectedAt.getTime(),
    lastSeenAt: r.lastSeenAt.getTime(),
  }));
}
