/**
 * Judging the entities a batch touched (the anomaly consumer's second half): each entity's
 * last 15 minutes (of data time) against its baselines, and the rogue-block rules:
 *
 * - **new endpoint**: an endpoint first seen in a flow that has at least a day of history
 *   (a write endpoint says so in its explanation);
 * - **new output fields**: a block with a day of history returns top-level output fields it
 *   never returned before;
 * - a **burst of writes** is the `writes` metric's robust z;
 * - **calls outside the flow's schedule** is `schedule.ts` (the consumer runs it on the batch's
 *   runs of scheduled flows).
 *
 * A detection of the same entity, metric and rule within the cooldown of the last one extends
 * that anomaly (`lastSeenAt`, `repeats`) instead of raising another.
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../types";
import { computeBaselines, COOLDOWN_MS, HISTORY_MS, peerOutliers, type Baselines } from "./detect";
import type { BucketDelta } from "./fold";
import { continues, judgeWindow, type Factors } from "./judge";
import {
  addStats,
  emptyStats,
  WINDOW_BUCKETS,
  BUCKET_MS,
  type BucketStats,
  type EntityKind,
} from "./metrics";

/** Entities judged per batch at most (the rest at their next batch). */
const MAX_JUDGED = 200;
/** How often (data time) a baseline is recomputed. */
export const BASELINE_EVERY_MS = 3_600_000;
const DAY = 86_400_000;
const MAX_FIELDS = 200;

interface EntityRow {
  kind: string;
  key: string;
  firstSeenAt: Date;
  fields: string[];
  baseline: Baselines;
  baselineAt: Date | null;
  thresholds: Factors;
}

/** A finding to record. */
export interface Finding {
  workspaceId: string;
  kind: EntityKind;
  key: string;
  label: string;
  metric: string;
  rule: string;
  baseline: number | null;
  observed: number;
  n: number;
  score: number | null;
  threshold: number | null;
  explanation: string;
  windowStart: number;
  at: number;
}

/** Judges the touched entities; answers how many anomalies were raised (not extended). */
export async function judgeTouched(db: Db, deltas: BucketDelta[]): Promise<number> {
  const entities = new Map<string, BucketDelta & { first: number; ends: Set<number> }>();
  const endOf = (at: number) => Math.floor(at / BUCKET_MS) * BUCKET_MS + BUCKET_MS;
  for (const d of deltas) {
    const id = `${d.workspaceId}\u0000${d.kind}\u0000${d.key}`;
    const e = entities.get(id);
    if (!e)
      entities.set(id, {
        ...d,
        fields: new Set(d.fields),
        first: d.lastAt,
        ends: new Set([endOf(d.lastAt)]),
      });
    else {
      e.lastAt = Math.max(e.lastAt, d.lastAt);
      e.first = Math.min(e.first, d.lastAt);
      e.ends.add(endOf(d.lastAt));
      for (const f of d.fields) e.fields.add(f);
    }
  }
  const list = [...entities.values()].slice(0, MAX_JUDGED);
  const findings: Finding[] = [];
  for (const ws of new Set(list.map((e) => e.workspaceId))) {
    const mine = list.filter((e) => e.workspaceId === ws);
    let refreshedBlocks = 0;
    const flows = [...new Set(mine.map((e) => e.flow).filter((f): f is string => !!f))];
    const known = await db.$queryRawUnsafe<EntityRow[]>(
      `SELECT kind, key, "firstSeenAt", fields, baseline, "baselineAt", thresholds
         FROM "AnomalyEntity"
        WHERE "workspaceId" = $1::uuid AND ((kind, key) IN (SELECT * FROM unnest($2::text[], $3::text[]))
              OR (kind = 'flow' AND key = ANY($4::text[])))`,
      ws,
      mine.map((e) => e.kind),
      mine.map((e) => e.key),
      flows,
    );
    const byId = new Map(known.map((k) => [`${k.kind}\u0000${k.key}`, k]));
    for (const e of mine) {
      const row = byId.get(`${e.kind}\u0000${e.key}`);
      // The flow's history starts at its stored first sight, or in this batch (a catch-up
      // batch may hold a flow's first days and an endpoint it began calling later).
      const inBatch = e.flow ? entities.get(`${ws}\u0000flow\u0000${e.flow}`) : undefined;
      const flow =
        (e.flow ? byId.get(`flow\u0000${e.flow}`) : undefined) ??
        (inBatch ? { firstSeenAt: new Date(inBatch.first) } : undefined);
      findings.push(...rogue(e, row, flow));
      const fields = [...new Set([...(row?.fields ?? []), ...e.fields])].slice(0, MAX_FIELDS);
      let baseline = row?.baseline ?? {};
      let baselineAt = row?.baselineAt?.getTime() ?? null;
      // The window ends with the bucket of the entity's latest data; its length is the
      // baseline's (15 minutes, longer for a quiet entity).
      const windowEnd = endOf(e.lastAt);
      const refresh = baselineAt === null || Math.abs(e.lastAt - baselineAt) >= BASELINE_EVERY_MS;
      const lengthOf = (b: Baselines) =>
        Object.values(b).find((m) => m?.windowMs)?.windowMs ?? WINDOW_BUCKETS * BUCKET_MS;
      // A batch spanning more than a window (a catch-up: a backlog, the demo history) judges
      // the earlier windows it filled too, as batches arriving live would have: back from the
      // last, one window length apart but at most half the cooldown (a lasting anomaly stays
      // one alert), against a baseline computed at the earliest of them.
      const ends = [...e.ends].sort((a, b) => b - a);
      const spaced = (length: number) => {
        const out = [windowEnd];
        const step = Math.min(length, COOLDOWN_MS / 2);
        for (const end of ends) if (out.at(-1)! - end >= step) out.push(end);
        return out.reverse();
      };
      const firstEnd = spaced(lengthOf(baseline))[0]!;
      const rows = await db.$queryRawUnsafe<
        Array<{ bucket: Date } & Omit<BucketStats, "latency"> & { latency: number[] | null }>
      >(
        `SELECT bucket, runs, calls, failures, writes, latency, tokens, cost, "outBytes"
           FROM "AnomalyBucket"
          WHERE "workspaceId" = $1::uuid AND kind = $2 AND key = $3 AND bucket >= $4 AND bucket < $5
          ORDER BY bucket`,
        ws,
        e.kind,
        e.key,
        new Date(refresh ? firstEnd - HISTORY_MS : firstEnd - lengthOf(baseline)),
        new Date(windowEnd),
      );
      const buckets = rows.map((r) => ({ at: r.bucket.getTime(), stats: toStats(r) }));
      const upToFirst = buckets.filter((b) => b.at < firstEnd);
      if (refresh && upToFirst.length) {
        baseline = computeBaselines(e.kind, upToFirst, firstEnd);
        baselineAt = e.lastAt;
        if (e.kind === "block") refreshedBlocks = Math.max(refreshedBlocks, e.lastAt);
      }
      for (const end of spaced(lengthOf(baseline))) {
        const windowStart = end - lengthOf(baseline);
        const window = emptyStats();
        for (const b of buckets) if (b.at >= windowStart && b.at < end) addStats(window, b.stats);
        const judged = judgeWindow(e.kind, window, windowStart, baseline, row?.thresholds ?? {});
        for (const a of judged.anomalies)
          findings.push({
            workspaceId: ws,
            kind: e.kind,
            key: e.key,
            label: e.label,
            metric: a.metric,
            rule: a.rule,
            baseline: a.baseline,
            observed: a.observed,
            n: a.n,
            score: a.z,
            threshold: a.threshold,
            explanation: a.explanation,
            windowStart,
            at: Math.min(e.lastAt, end),
          });
      }
      await db.$executeRawUnsafe(
        `INSERT INTO "AnomalyEntity" ("workspaceId", kind, key, label, peer, write, "firstSeenAt",
                "lastSeenAt", fields, baseline, "baselineAt")
         VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11)
         ON CONFLICT ("workspaceId", kind, key) DO UPDATE SET
           label = EXCLUDED.label, peer = EXCLUDED.peer, write = EXCLUDED.write,
           "firstSeenAt" = least("AnomalyEntity"."firstSeenAt", EXCLUDED."firstSeenAt"),
           "lastSeenAt" = greatest("AnomalyEntity"."lastSeenAt", EXCLUDED."lastSeenAt"),
           fields = EXCLUDED.fields, baseline = EXCLUDED.baseline, "baselineAt" = EXCLUDED."baselineAt"`,
        ws,
        e.kind,
        e.key,
        e.label,
        e.peer,
        e.write,
        new Date(e.first),
        new Date(e.lastAt),
        JSON.stringify(fields),
        JSON.stringify(baseline),
        baselineAt === null ? null : new Date(baselineAt),
      );
    }
    if (refreshedBlocks) findings.push(...(await peers(db, ws, refreshedBlocks)));
  }
  return recordFindings(db, findings);
}

function toStats(r: Omit<BucketStats, "latency"> & { latency: number[] | null }): BucketStats {
  const s = emptyStats();
  s.runs = Number(r.runs);
  s.calls = Number(r.calls);
  s.failures = Number(r.failures);
  s.writes = Number(r.writes);
  s.tokens = Number(r.tokens);
  s.cost = Number(r.cost);
  s.outBytes = Number(r.outBytes);
  (r.latency ?? []).forEach((c, i) => {
    if (i < s.latency.length) s.latency[i] = Number(c);
  });
  return s;
}

/** The rogue-block rules of one entity of the batch. */
export function rogue(
  e: BucketDelta & { first: number },
  row: Pick<EntityRow, "firstSeenAt" | "fields"> | undefined,
  flow: Pick<EntityRow, "firstSeenAt"> | undefined,
): Finding[] {
  const base = {
    workspaceId: e.workspaceId,
    kind: e.kind,
    key: e.key,
    label: e.label,
    baseline: 0,
    score: null,
    threshold: null,
    windowStart: e.first,
    // When the rule first held (a catch-up batch spans days: its last data time would be late).
    at: e.first,
  };
  const out: Finding[] = [];
  if (e.kind === "endpoint" && !row && flow && e.first - flow.firstSeenAt.getTime() >= DAY)
    out.push({
      ...base,
      metric: "new_endpoint",
      rule: e.write ? "new-write-endpoint" : "new-endpoint",
      observed: e.stats.calls,
      n: e.stats.calls,
      explanation: `A ${e.write ? "write " : ""}endpoint this flow never called before (it has run since ${flow.firstSeenAt.toISOString()}): ${e.key}.`,
    });
  if (
    e.kind === "block" &&
    row &&
    row.fields.length &&
    e.first - row.firstSeenAt.getTime() >= DAY
  ) {
    const known = new Set(row.fields);
    const added = [...e.fields].filter((f) => !known.has(f));
    if (added.length && row.fields.length < MAX_FIELDS)
      out.push({
        ...base,
        metric: "new_output_fields",
        rule: "new-output-fields",
        baseline: row.fields.length,
        observed: row.fields.length + added.length,
        n: e.stats.calls,
        explanation: `Output fields never seen before: ${added.slice(0, 10).join(", ")}${added.length > 10 ? ", …" : ""}.`,
      });
  }
  return out;
}

/** Records findings: a repeat within the cooldown extends the last one. Returns new ones. */
export async function recordFindings(
  db: Pick<Db, "$queryRawUnsafe" | "$executeRawUnsafe">,
  findings: Finding[],
): Promise<number> {
  let raised = 0;
  for (const f of findings) {
    const last = await db.$queryRawUnsafe<Array<{ id: string; lastSeenAt: Date }>>(
      `SELECT id::text AS id, "lastSeenAt" FROM "Anomaly"
        WHERE "workspaceId" = $1::uuid AND kind = $2 AND key = $3 AND metric = $4 AND rule = $5
        ORDER BY "lastSeenAt" DESC LIMIT 1`,
      f.workspaceId,
      f.kind,
      f.key,
      f.metric,
      f.rule,
    );
    const prev = last[0];
    if (prev && continues(prev.lastSeenAt.getTime(), f.at)) {
      await db.$executeRawUnsafe(
        `UPDATE "Anomaly" SET "lastSeenAt" = greatest("lastSeenAt", $2), repeats = repeats + 1 WHERE id = $1::uuid`,
        prev.id,
        new Date(f.at),
      );
      continue;
    }
    raised++;
    await db.$executeRawUnsafe(
      `INSERT INTO "Anomaly" (id, "workspaceId", kind, key, label, metric, rule, baseline, observed, n,
              score, threshold, explanation, "windowStart", "detectedAt", "lastSeenAt")
       VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
      randomUUID(),
      f.workspaceId,
      f.kind,
      f.key,
      f.label.slice(0, 200),
      f.metric,
      f.rule,
      f.baseline,
      f.observed,
      f.n,
      f.score === null || !Number.isFinite(f.score) ? null : f.score,
      f.threshold,
      f.explanation.slice(0, 1000),
      new Date(f.windowStart),
      new Date(f.at),
    );
  }
  return raised;
}

/** Peer outliers among the workspace's blocks (at most 500), after a block's baseline moved. */
async function peers(db: Db, workspaceId: string, at: number): Promise<Finding[]> {
  const rows = await db.$queryRawUnsafe<
    Array<{ key: string; label: string; peer: string; baseline: Baselines }>
  >(
    `SELECT key, label, peer, baseline FROM "AnomalyEntity"
      WHERE "workspaceId" = $1::uuid AND kind = 'block' AND peer <> ''
      ORDER BY "lastSeenAt" DESC LIMIT 500`,
    workspaceId,
  );
  const labels = new Map(rows.map((r) => [r.key, r.label]));
  return peerOutliers(rows.map((r) => ({ key: r.key, peer: r.peer, baselines: r.baseline }))).map(
    (o) => ({
      workspaceId,
      kind: "block",
      key: o.key,
      label: labels.get(o.key) ?? o.key,
      metric: o.metric,
      rule: "peer",
      baseline: o.baseline,
      observed: o.observed,
      n: o.n,
      score: o.z,
      threshold: null,
      explanation: `Its usual ${o.metric === "error_rate" ? "error rate" : "p95 latency"} stands far above that of its ${o.n} peers of the same kind (their median ${o.baseline.toPrecision(2)}, its ${o.observed.toPrecision(2)}: z = ${o.z.toFixed(1)}).`,
      windowStart: at,
      at,
    }),
  );
}
