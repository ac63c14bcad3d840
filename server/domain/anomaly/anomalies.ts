/**
 * Anomalies as people and the API read them, the "not enough data" state of an entity, and
 * feedback: marking an anomaly expected or real (a ledger entry) adjusts the threshold factor
 * of its entity and metric (`adjustFactor` in `detect.ts`: expected ×1.25 up to ×3, real ×0.9
 * down to ×0.75), which the detector multiplies into its z threshold from the next batch on.
 */
import type { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import type { Actor, Db } from "../types";
import { adjustFactor, minWindows, Z_THRESHOLD, type Baselines } from "./detect";
import { METRIC_LABELS, METRICS, WINDOW_MS, type EntityKind } from "./metrics";
import type { ZAnomalyFeedbackInput, ZEntityStateInput, ListAnomaliesInput } from "./schemas";

/** An anomaly as the UI and the API show it. Dates are ISO strings. */
export interface AnomalyView {
  id: string;
  kind: EntityKind;
  key: string;
  label: string;
  metric: string;
  metricLabel: string;
  rule: string;
  baseline: number | null;
  observed: number;
  n: number;
  score: number | null;
  threshold: number | null;
  explanation: string;
  windowStart: string;
  detectedAt: string;
  lastSeenAt: string;
  repeats: number;
  feedback: "expected" | "real" | null;
  feedbackBy: string | null;
}

type Row = Omit<
  AnomalyView,
  "metricLabel" | "windowStart" | "detectedAt" | "lastSeenAt" | "kind" | "feedback"
> & {
  kind: string;
  feedback: string | null;
  windowStart: Date;
  detectedAt: Date;
  lastSeenAt: Date;
};

const view = (r: Row): AnomalyView => ({
  ...r,
  kind: r.kind as EntityKind,
  feedback: r.feedback as AnomalyView["feedback"],
  metricLabel: (METRIC_LABELS as Record<string, string>)[r.metric] ?? r.metric.replace(/_/g, " "),
  n: Number(r.n),
  repeats: Number(r.repeats),
  windowStart: r.windowStart.toISOString(),
  detectedAt: r.detectedAt.toISOString(),
  lastSeenAt: r.lastSeenAt.toISOString(),
});

const COLUMNS = `a.id::text AS id, a.kind, a.key, a.label, a.metric, a.rule, a.baseline, a.observed,
  a.n, a.score, a.threshold, a.explanation, a."windowStart", a."detectedAt", a."lastSeenAt",
  a.repeats, a.feedback, a."feedbackBy"`;

/** A page of the workspace's anomalies, newest first (keyset on detection time and id). */
export async function listAnomalies(
  db: Pick<Db, "$queryRawUnsafe">,
  actor: Pick<Actor, "workspaceId">,
  input: ListAnomaliesInput,
): Promise<{ items: AnomalyView[]; nextCursor: string | null }> {
  const args: unknown[] = [actor.workspaceId];
  const where = [`a."workspaceId" = $1::uuid`];
  if (input.since) {
    args.push(new Date(input.since));
    where.push(`a."detectedAt" >= $${args.length}`);
  }
  if (input.kind) {
    args.push(input.kind);
    where.push(`a.kind = $${args.length}`);
  }
  if (input.key) {
    args.push(input.key);
    where.push(`a.key = $${args.length}`);
  }
  if (input.cursor) {
    const c = await db.$queryRawUnsafe<Array<{ detectedAt: Date }>>(
      `SELECT "detectedAt" FROM "Anomaly" WHERE id = $1::uuid AND "workspaceId" = $2::uuid`,
      input.cursor,
      actor.workspaceId,
    );
    if (!c[0])
      throw new AppError("INVALID_INPUT", {
        message: "The cursor names no anomaly of this workspace.",
        details: { field: "cursor" },
      });
    args.push(c[0].detectedAt, input.cursor);
    where.push(`(a."detectedAt", a.id) < ($${args.length - 1}, $${args.length}::uuid)`);
  }
  args.push(input.limit + 1);
  const rows = await db.$queryRawUnsafe<Row[]>(
    `SELECT ${COLUMNS} FROM "Anomaly" a WHERE ${where.join(" AND ")}
      ORDER BY a."detectedAt" DESC, a.id DESC LIMIT $${args.length}`,
    ...args,
  );
  const page = rows.slice(0, input.limit).map(view);
  return { items: page, nextCursor: rows.length > input.limit ? page.at(-1)!.id : null };
}

/** What the detector knows of one entity: per metric, "not enough data" or its baseline. */
export interface EntityState {
  kind: EntityKind;
  key: string;
  label: string;
  firstSeenAt: string | null;
  metrics: Array<{
    metric: string;
    label: string;
    state: "not-enough-data" | "ready";
    windows: number;
    minWindows: number;
    windowMinutes: number;
    median: number | null;
    mad: number | null;
    seasonal: boolean;
    factor: number;
    threshold: number;
  }>;
}

export async function entityState(
  db: Pick<Db, "$queryRawUnsafe">,
  actor: Pick<Actor, "workspaceId">,
  input: z.infer<typeof ZEntityStateInput>,
): Promise<EntityState> {
  const rows = await db.$queryRawUnsafe<
    Array<{
      label: string;
      firstSeenAt: Date;
      baseline: Baselines;
      thresholds: Record<string, number>;
    }>
  >(
    `SELECT label, "firstSeenAt", baseline, thresholds FROM "AnomalyEntity"
      WHERE "workspaceId" = $1::uuid AND kind = $2 AND key = $3`,
    actor.workspaceId,
    input.kind,
    input.key,
  );
  const r = rows[0];
  return {
    kind: input.kind,
    key: input.key,
    label: r?.label ?? input.key,
    firstSeenAt: r?.firstSeenAt.toISOString() ?? null,
    metrics: METRICS.map((m) => {
      const b = r?.baseline[m];
      const factor = r?.thresholds[m] ?? 1;
      const windows = b?.windows ?? 0;
      const need = minWindows(b?.windowMs ?? WINDOW_MS);
      return {
        metric: m,
        label: METRIC_LABELS[m],
        state: windows >= need ? "ready" : "not-enough-data",
        windows,
        minWindows: need,
        windowMinutes: Math.round((b?.windowMs ?? WINDOW_MS) / 60_000),
        median: b?.median ?? null,
        mad: b?.mad ?? null,
        seasonal: !!b?.slots,
        factor,
        threshold: Z_THRESHOLD * factor,
      };
    }),
  };
}

/** Marks an anomaly expected or real (audited) and adjusts its entity-metric's threshold. */
export async function markAnomaly(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZAnomalyFeedbackInput>,
): Promise<AnomalyView & { factor: number }> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<Row[]>(
      `SELECT ${COLUMNS} FROM "Anomaly" a WHERE a.id = $1::uuid AND a."workspaceId" = $2::uuid FOR UPDATE`,
      input.id,
      actor.workspaceId,
    );
    const a = rows[0];
    if (!a) throw notFound("Anomaly");
    const ent = await tx.$queryRawUnsafe<Array<{ thresholds: Record<string, number> }>>(
      `SELECT thresholds FROM "AnomalyEntity" WHERE "workspaceId" = $1::uuid AND kind = $2 AND key = $3 FOR UPDATE`,
      actor.workspaceId,
      a.kind,
      a.key,
    );
    const before = ent[0]?.thresholds[a.metric] ?? 1;
    // A second mark of the same kind changes nothing more (a changed mind applies once).
    const factor = a.feedback === input.feedback ? before : adjustFactor(before, input.feedback);
    if (ent[0])
      await tx.$executeRawUnsafe(
        `UPDATE "AnomalyEntity" SET thresholds = thresholds || jsonb_build_object($4::text, $5::float8)
          WHERE "workspaceId" = $1::uuid AND kind = $2 AND key = $3`,
        actor.workspaceId,
        a.kind,
        a.key,
        a.metric,
        factor,
      );
    await tx.$executeRawUnsafe(
      `UPDATE "Anomaly" SET feedback = $2, "feedbackBy" = $3, "feedbackAt" = now() WHERE id = $1::uuid`,
      input.id,
      input.feedback,
      actor.label,
    );
    await appendAudit(tx, actor, {
      action: "anomaly.feedback",
      subjectType: "anomaly",
      subjectId: input.id,
      payload: {
        feedback: input.feedback,
        entity: `${a.kind}:${a.key}`,
        metric: a.metric,
        rule: a.rule,
        thresholdFactor: { before, after: factor },
      },
    });
    return { ...view(a), feedback: input.feedback, feedbackBy: actor.label, factor };
  });
}
