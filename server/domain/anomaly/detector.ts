/**
 * Judging (the anomaly consumer's second half): each entity's complete windows of data time
 * against its baselines ({@link judgeWindows}: one ends with each 5-minute bucket of its data,
 * whichever batch folded it), and the rogue-block rules of the entities a batch touched:
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
 * that anomaly (`lastSeenAt`, `repeats`) instead of raising another; a window judged twice is
 * recorded once (`recordFindings`).
 */
import { randomUUID } from "node:crypto";
import { LAG_MS } from "../finished-runs";
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

/** Entities judged per call at most (the rest at the next one: the judged time waits for them). */
const MAX_JUDGED = 200;
/** How often (data time) a baseline is recomputed: at an entity's first window this long after. */
export const BASELINE_EVERY_MS = 3_600_000;
const DAY = 86_400_000;
const MAX_FIELDS = 200;

interface EntityRow {
  kind: string;
  key: string;
  label: string;
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

/**
 * When a window is complete: once runs that ended this long after it have been folded (a run is
 * folded after its reconciliation, which follows its end by about half a second, or up to
 * `LAG_MS` for a late commit).
 */
export const COMPLETE_AFTER_MS = LAG_MS;
/** The detector's row in `TrustCursor`: the data time up to which complete windows were judged. */
const JUDGED_CURSOR = "anomaly-windows";

/** What a batch folded of an entity: its deltas merged (`first`: its earliest data time). */
type Touched = BucketDelta & { first: number; buckets: number[] };

/** An entity with windows to judge, or touched by the batch (or both). */
interface ToJudge {
  workspaceId: string;
  kind: EntityKind;
  key: string;
  touched: Touched | null;
  /** Ends of the windows completed since the last judgement that end with a bucket of data. */
  completed: Set<number>;
}

/**
 * Judges the windows of data time that are complete, and the rogue-block rules of the entities a
 * batch touched (`deltas`, already added to the buckets); answers how many anomalies were raised
 * (not extended).
 *
 * The windows do not depend on how the runs were cut into batches: a window ends with each
 * 5-minute bucket that holds data of an entity (the entity's window length back: 15 minutes,
 * longer for a quiet entity), and is judged once complete — when the data folded reaches
 * `completeTo`, {@link COMPLETE_AFTER_MS} past its end — by whichever call gets there, whether
 * or not that call's runs touch the entity: the data time judged up to is kept in `TrustCursor`
 * (row {@link JUDGED_CURSOR}). A batch whose data falls in windows judged already (a long run's
 * early attempts, a late reconciliation) judges them again; `recordFindings` records a window's
 * anomaly once however often it is judged. An entity's baseline is recomputed at each window
 * that comes an hour (of data time) or more after its last recomputation, in a catch-up batch
 * spanning days as live. (Peer outliers are checked once per call, after a block's baseline
 * moved: when they are found depends on the calls.)
 */
export async function judgeWindows(
  db: Db,
  deltas: BucketDelta[],
  completeTo: number,
): Promise<number> {
  const cursor = await db.$queryRawUnsafe<Array<{ at: Date }>>(
    `SELECT "at" FROM "TrustCursor" WHERE "id" = $1`,
    JUDGED_CURSOR,
  );
  // Without a row (the detector's first call), the windows before this batch's data are done.
  const judgedTo =
    cursor[0]?.at.getTime() ??
    (deltas.length ? deltas.reduce((m, d) => Math.min(m, d.bucket), Infinity) : completeTo);
  const upTo = Math.max(judgedTo, completeTo);
  const entities = new Map<string, ToJudge>();
  const entity = (workspaceId: string, kind: EntityKind, key: string) => {
    const id = `${workspaceId}\u0000${kind}\u0000${key}`;
    let e = entities.get(id);
    if (!e) entities.set(id, (e = { workspaceId, kind, key, touched: null, completed: new Set() }));
    return e;
  };
  for (const d of deltas) {
    const e = entity(d.workspaceId, d.kind, d.key);
    const t = (e.touched ??= { ...d, fields: new Set(), first: d.lastAt, buckets: [] });
    t.lastAt = Math.max(t.lastAt, d.lastAt);
    t.first = Math.min(t.first, d.lastAt);
    t.buckets.push(d.bucket);
    for (const f of d.fields) t.fields.add(f);
  }
  // The windows ending in (judgedTo, upTo] with data in their last bucket, whoever folded it
  // (none unless a bucket ended in between: most calls of a live consumer end none).
  const ended = Math.floor(upTo / BUCKET_MS) > Math.floor(judgedTo / BUCKET_MS);
  if (ended) {
    const completed = await db.$queryRawUnsafe<
      Array<{ workspaceId: string; kind: EntityKind; key: string; bucket: Date }>
    >(
      `SELECT "workspaceId"::text AS "workspaceId", kind, key, bucket FROM "AnomalyBucket"
        WHERE bucket > $1 AND bucket <= $2`,
      new Date(judgedTo - BUCKET_MS),
      new Date(upTo - BUCKET_MS),
    );
    for (const b of completed)
      entity(b.workspaceId, b.kind, b.key).completed.add(b.bucket.getTime() + BUCKET_MS);
  }
  // Touched entities first (as before: the rest of a batch over MAX_JUDGED is not judged); the
  // windows of those left waiting hold the judged time back, for the next call to judge them.
  const all = [...entities.values()].sort((a, b) => Number(!a.touched) - Number(!b.touched));
  let nextJudgedTo = upTo;
  for (const e of all.slice(MAX_JUDGED))
    for (const end of e.completed) nextJudgedTo = Math.min(nextJudgedTo, end - 1);
  const list = all.slice(0, MAX_JUDGED);
  const findings: Finding[] = [];
  for (const ws of new Set(list.map((e) => e.workspaceId))) {
    const mine = list.filter((e) => e.workspaceId === ws);
    let refreshedBlocks = 0;
    const flows = [...new Set(mine.flatMap((e) => (e.touched?.flow ? [e.touched.flow] : [])))];
    const known = await db.$queryRawUnsafe<EntityRow[]>(
      `SELECT kind, key, label, "firstSeenAt", fields, baseline, "baselineAt", thresholds
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
      const t = e.touched;
      // Not touched and never stored (a batch over MAX_JUDGED skipped it): judged once touched.
      if (!t && !row) continue;
      if (t) {
        // The flow's history starts at its stored first sight, or in this batch (a catch-up
        // batch may hold a flow's first days and an endpoint it began calling later).
        const inBatch = t.flow ? entities.get(`${ws}\u0000flow\u0000${t.flow}`)?.touched : null;
        const flow =
          (t.flow ? byId.get(`flow\u0000${t.flow}`) : undefined) ??
          (inBatch ? { firstSeenAt: new Date(inBatch.first) } : undefined);
        findings.push(...rogue(t, row, flow));
      }
      const judged = await judgeEntity(db, e, row, judgedTo);
      findings.push(...judged.findings);
      const { baseline, baselineAt } = judged;
      const refreshed = baselineAt !== null && baselineAt !== (row?.baselineAt?.getTime() ?? null);
      if (e.kind === "block" && refreshed) refreshedBlocks = Math.max(refreshedBlocks, baselineAt);
      if (t) {
        const fields = [...new Set([...(row?.fields ?? []), ...t.fields])].slice(0, MAX_FIELDS);
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
          t.label,
          t.peer,
          t.write,
          new Date(t.first),
          new Date(t.lastAt),
          JSON.stringify(fields),
          JSON.stringify(baseline),
          baselineAt === null ? null : new Date(baselineAt),
        );
      } else if (refreshed)
        await db.$executeRawUnsafe(
          `UPDATE "AnomalyEntity" SET baseline = $4::jsonb, "baselineAt" = $5
            WHERE "workspaceId" = $1::uuid AND kind = $2 AND key = $3`,
          ws,
          e.kind,
          e.key,
          JSON.stringify(baseline),
          new Date(baselineAt),
        );
    }
    if (refreshedBlocks) findings.push(...(await peers(db, ws, refreshedBlocks)));
  }
  const raised = await recordFindings(db, findings);
  if ((ended || !cursor[0]) && Number.isFinite(nextJudgedTo))
    await db.$executeRawUnsafe(
      `INSERT INTO "TrustCursor" ("id", "at") VALUES ($1, $2)
       ON CONFLICT ("id") DO UPDATE SET "at" = greatest("TrustCursor"."at", EXCLUDED."at")`,
      JUDGED_CURSOR,
      new Date(nextJudgedTo),
    );
  return raised;
}

const lengthOf = (b: Baselines) =>
  Object.values(b).find((m) => m?.windowMs)?.windowMs ?? WINDOW_BUCKETS * BUCKET_MS;

/**
 * One entity's windows: those completed since the last judgement, and those judged before
 * (ending by `judgedTo`) that the batch's data falls in; each judged against the entity's
 * baseline, recomputed at each of them an hour (of data time) or more after the last
 * recomputation — as often in a catch-up batch spanning days as live.
 */
async function judgeEntity(
  db: Db,
  e: ToJudge,
  row: EntityRow | undefined,
  judgedTo: number,
): Promise<{ findings: Finding[]; baseline: Baselines; baselineAt: number | null }> {
  let baseline = row?.baseline ?? {};
  let baselineAt = row?.baselineAt?.getTime() ?? null;
  const ends = new Set(e.completed);
  for (const bucket of e.touched?.buckets ?? [])
    for (let end = bucket + BUCKET_MS; end <= bucket + lengthOf(baseline); end += BUCKET_MS)
      if (end <= judgedTo) ends.add(end);
  const findings: Finding[] = [];
  if (!ends.size) return { findings, baseline, baselineAt };
  const candidates = [...ends].sort((a, b) => a - b);
  const due = (end: number) => baselineAt === null || end - baselineAt >= BASELINE_EVERY_MS;
  const first = candidates[0]!;
  const last = candidates.at(-1)!;
  const rows = await db.$queryRawUnsafe<
    Array<{ bucket: Date } & Omit<BucketStats, "latency"> & { latency: number[] | null }>
  >(
    `SELECT bucket, runs, calls, failures, writes, latency, tokens, cost, "outBytes"
       FROM "AnomalyBucket"
      WHERE "workspaceId" = $1::uuid AND kind = $2 AND key = $3 AND bucket >= $4 AND bucket < $5
      ORDER BY bucket`,
    e.workspaceId,
    e.kind,
    e.key,
    new Date(due(last) ? first - HISTORY_MS : first - lengthOf(baseline)),
    new Date(last),
  );
  const buckets = rows.map((r) => ({ at: r.bucket.getTime(), stats: toStats(r) }));
  const withData = new Set(buckets.map((b) => b.at));
  // A window is judged when its last bucket holds data of the entity.
  for (const end of candidates.filter((x) => withData.has(x - BUCKET_MS))) {
    if (due(end)) {
      // The history before the window (computeBaselines reads nothing from its start on).
      baseline = computeBaselines(e.kind, buckets, end);
      baselineAt = end;
    }
    const windowStart = end - lengthOf(baseline);
    const window = emptyStats();
    for (let i = firstAtOrAfter(buckets, windowStart); i < buckets.length; i++) {
      if (buckets[i]!.at >= end) break;
      addStats(window, buckets[i]!.stats);
    }
    const verdict = judgeWindow(e.kind, window, windowStart, baseline, row?.thresholds ?? {});
    for (const a of verdict.anomalies)
      findings.push({
        workspaceId: e.workspaceId,
        kind: e.kind,
        key: e.key,
        label: e.touched?.label ?? row?.label ?? e.key,
        metric: a.metric,
        rule: a.rule,
        baseline: a.baseline,
        observed: a.observed,
        n: a.n,
        score: a.z,
        threshold: a.threshold,
        explanation: a.explanation,
        windowStart,
        at: end,
      });
  }
  return { findings, baseline, baselineAt };
}

/** The index of the first of `buckets` (sorted by `at`) at or after `t`. */
function firstAtOrAfter(buckets: ReadonlyArray<{ at: number }>, t: number): number {
  let lo = 0;
  let hi = buckets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (buckets[mid]!.at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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

/** An anomaly as `recordFindings` extends it: its row (or the one to insert) and the changes. */
interface Sighting {
  id: string;
  /** Not written yet: a new anomaly. */
  inserted: boolean;
  detectedAt: number;
  lastSeenAt: number;
  /** Repeats added. */
  repeats: number;
  /** The finding whose values it takes (its first, or its window judged again), if any. */
  values: Finding | null;
}

/**
 * Records findings, each once, and answers how many raised a new anomaly. A finding within the
 * cooldown after an anomaly's last sighting (of the same entity, metric and rule) extends it
 * (`lastSeenAt`, `repeats`): a continuing anomaly is one alert. One at or before its last
 * sighting, back to the cooldown before its detection, is recorded already: a window judged
 * again (given data folded later) adds no repeat, and only the window the anomaly was detected
 * in updates its values (baseline, observed, n, score). Any other finding is a new anomaly.
 * Findings of one entity, metric and rule are taken in time order; a run of them extending one
 * anomaly costs one read and one write.
 */
export async function recordFindings(
  db: Pick<Db, "$queryRawUnsafe" | "$executeRawUnsafe">,
  findings: Finding[],
): Promise<number> {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const id = [f.workspaceId, f.kind, f.key, f.metric, f.rule].join("\u0000");
    const group = groups.get(id);
    if (group) group.push(f);
    else groups.set(id, [f]);
  }
  let raised = 0;
  for (const group of groups.values()) {
    let open: Sighting | null = null;
    for (const f of group.sort((a, b) => a.at - b.at)) {
      if (!open || !continues(open.lastSeenAt, f.at)) {
        if (open) await writeSighting(db, open);
        open = await sightingOf(db, f);
        if (open.inserted) raised++;
      }
      if (f.at > open.lastSeenAt) {
        open.lastSeenAt = f.at;
        open.repeats++;
      } else if (f.at === open.detectedAt) open.values = f;
    }
    if (open) await writeSighting(db, open);
  }
  return raised;
}

/**
 * The anomaly a finding continues or is part of (the earliest seen since the cooldown before
 * it), or a new one (not written yet: `writeSighting`).
 */
async function sightingOf(db: Pick<Db, "$queryRawUnsafe">, f: Finding): Promise<Sighting> {
  const near = await db.$queryRawUnsafe<Array<{ id: string; detectedAt: Date; lastSeenAt: Date }>>(
    `SELECT id::text AS id, "detectedAt", "lastSeenAt" FROM "Anomaly"
      WHERE "workspaceId" = $1::uuid AND kind = $2 AND key = $3 AND metric = $4 AND rule = $5
        AND "lastSeenAt" >= $6
      ORDER BY "lastSeenAt" LIMIT 1`,
    f.workspaceId,
    f.kind,
    f.key,
    f.metric,
    f.rule,
    new Date(f.at - COOLDOWN_MS),
  );
  const prev = near[0];
  if (prev && (f.at > prev.lastSeenAt.getTime() || continues(f.at, prev.detectedAt.getTime())))
    return {
      id: prev.id,
      inserted: false,
      detectedAt: prev.detectedAt.getTime(),
      lastSeenAt: prev.lastSeenAt.getTime(),
      repeats: 0,
      values: null,
    };
  return {
    id: randomUUID(),
    inserted: true,
    detectedAt: f.at,
    lastSeenAt: f.at,
    repeats: 0,
    values: f,
  };
}

/** Writes a sighting: the new anomaly, or the existing one's repeats and values. */
async function writeSighting(db: Pick<Db, "$executeRawUnsafe">, s: Sighting): Promise<void> {
  const f = s.values;
  if (s.inserted && f)
    await db.$executeRawUnsafe(
      `INSERT INTO "Anomaly" (id, "workspaceId", kind, key, label, metric, rule, baseline, observed, n,
              score, threshold, explanation, "windowStart", "detectedAt", "lastSeenAt", repeats)
       VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      s.id,
      f.workspaceId,
      f.kind,
      f.key,
      f.label.slice(0, 200),
      f.metric,
      f.rule,
      f.baseline,
      f.observed,
      f.n,
      finite(f.score),
      f.threshold,
      f.explanation.slice(0, 1000),
      new Date(f.windowStart),
      new Date(s.detectedAt),
      new Date(s.lastSeenAt),
      s.repeats,
    );
  else if (s.repeats > 0 || f)
    await db.$executeRawUnsafe(
      `UPDATE "Anomaly" SET "lastSeenAt" = greatest("lastSeenAt", $2), repeats = repeats + $3,
              baseline = CASE WHEN $4 THEN $5 ELSE baseline END,
              observed = CASE WHEN $4 THEN $6 ELSE observed END,
              n = CASE WHEN $4 THEN $7 ELSE n END,
              score = CASE WHEN $4 THEN $8 ELSE score END,
              threshold = CASE WHEN $4 THEN $9 ELSE threshold END,
              explanation = CASE WHEN $4 THEN $10 ELSE explanation END,
              "windowStart" = CASE WHEN $4 THEN $11 ELSE "windowStart" END
        WHERE id = $1::uuid`,
      s.id,
      new Date(s.lastSeenAt),
      s.repeats,
      !!f,
      f?.baseline ?? null,
      f?.observed ?? 0,
      f?.n ?? 0,
      f ? finite(f.score) : null,
      f?.threshold ?? null,
      f?.explanation.slice(0, 1000) ?? "",
      new Date(f?.windowStart ?? 0),
    );
}

const finite = (x: number | null) => (x === null || !Number.isFinite(x) ? null : x);

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
