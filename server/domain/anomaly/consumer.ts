/**
 * The anomaly consumer: folds reconciled runs into `AnomalyBucket` (5-minute counts per entity)
 * on the shared finished-runs cursor (`../finished-runs.ts`, its own cursor row and claim
 * table), then judges the windows its runs completed and the entities the batch touched
 * (`detector.ts`). What it finds does not depend on where its batches end: a window is judged
 * once complete, by whichever batch completes it. Never scans history per request: a batch
 * reads its runs' rows; an entity's last 28 days of buckets are read at most once a batch, when
 * its baseline is due (an hour of data time after the last).
 */
import {
  FOLD_BATCH,
  advanceFinishedRunsCursor,
  batchOf,
  claimFinishedRuns,
  claimedWithIr,
  flowIrReader,
  readFinishedAttemptsShared,
  readFinishedRuns,
  startFinishedRunsConsumer,
  type FinishedRunsConsumer,
  type FinishedRunsCursor,
} from "../finished-runs";
import { readRunSignals } from "../finished-run-signals";
import type { Db, Tx } from "../types";
import { COMPLETE_AFTER_MS, judgeWindows, recordFindings } from "./detector";
import { anomalySteps, foldBuckets, type BucketDelta, type FoldRunIn } from "./fold";
import { scheduledRuns } from "./schedule-read";
import { outsideSchedule } from "./schedule";

const CURSOR: FinishedRunsCursor = {
  cursorTable: "TrustCursor",
  cursorId: "anomaly",
  claimTable: "AnomalyFoldedRun",
};
/** Runs folded per batch (default). */
export const ANOMALY_BATCH = FOLD_BATCH;

export interface AnomalyFoldResult {
  runs: number;
  attempts: number;
  buckets: number;
  anomalies: number;
  more: boolean;
}

/**
 * Folds up to `batch` reconciled runs past the cursor and judges the windows complete by then:
 * those ending a minute ({@link COMPLETE_AFTER_MS}) before the latest run folded, or, once the
 * consumer has caught up (a batch not full, none at all), before `now`. A late sweep (`late`)
 * judges again the windows its runs fall in.
 *
 * @example
 * await foldAnomalies(db, { now: Date.now() }); // { runs: 12, attempts: 40, buckets: 30, anomalies: 0, more: false }
 */
export async function foldAnomalies(
  db: Db,
  opts: { now: number; batch?: number; late?: boolean },
): Promise<AnomalyFoldResult> {
  const batch = opts.batch ?? ANOMALY_BATCH;
  const late = opts.late ?? false;
  const rows = await readFinishedRuns(db, CURSOR, { batch, late });
  // Caught up (a batch not full): the runs that ended before now are folded, not only those
  // before the latest run's end.
  const caughtUpTo = !late && rows.length < batch ? opts.now : -Infinity;
  if (!rows.length) {
    const anomalies = late ? 0 : await judgeWindows(db, [], caughtUpTo - COMPLETE_AFTER_MS);
    return { runs: 0, attempts: 0, buckets: 0, anomalies, more: false };
  }
  const ids = rows.map((r) => r.id);
  const irs = await loadIrs(db, rows);
  const [attempts, outputs, { usage }] = await Promise.all([
    readFinishedAttemptsShared(db, rows),
    db.$queryRawUnsafe<
      Array<{
        runId: string;
        stepId: string;
        attempt: number;
        bytes: number;
        keys: string[] | null;
      }>
    >(
      `SELECT a."runId"::text AS "runId", a."stepId", a."attempt", octet_length(a."output"::text) AS bytes,
              CASE WHEN jsonb_typeof(a."output") = 'object'
                   THEN ARRAY(SELECT k FROM jsonb_object_keys(a."output") k LIMIT 50) END AS keys
         FROM "StepAttempt" a
        WHERE a."runId" = ANY($1::uuid[]) AND a."status" = 'succeeded' AND a."output" IS NOT NULL`,
      ids,
    ),
    readRunSignals(db, ids, { usage: true }),
  ]);
  const folded = await db.$transaction(async (tx) => {
    const mine = await claimFinishedRuns(tx, CURSOR, rows);
    const runs: FoldRunIn[] = [];
    const scheduled: Array<{ run: FoldRunIn; cron: string }> = [];
    let endedBy = -Infinity;
    for (const [r, ir] of claimedWithIr(rows, mine, irs)) {
      if (r.finishedAt) endedBy = Math.max(endedBy, r.finishedAt.getTime());
      const run: FoldRunIn = {
        id: r.id,
        workspaceId: r.workspaceId,
        workflowId: r.workflowId,
        flowName: ir.name,
        status: r.status,
        startedAt: r.startedAt?.getTime() ?? null,
        finishedAt: (r.finishedAt ?? r.reconciledAt).getTime(),
        steps: ir.steps,
      };
      runs.push(run);
      if (ir.cron && r.workflowId) scheduled.push({ cron: ir.cron, run });
    }
    const inRuns = (x: { runId: string }) => mine.has(x.runId);
    const mineAttempts = attempts.filter(inRuns);
    const deltas = foldBuckets({
      runs,
      attempts: mineAttempts,
      outputs: outputs
        .filter(inRuns)
        .map((o) => ({ ...o, attempt: Number(o.attempt), bytes: Number(o.bytes) })),
      usage: usage
        .filter(inRuns)
        .map((u) => ({ ...u, tokens: u.tokensIn + u.tokensOut, cost: u.costUsd })),
    });
    if (deltas.length) await upsertBuckets(tx, deltas);
    if (!opts.late) await advanceFinishedRunsCursor(tx, CURSOR, rows[rows.length - 1]!);
    return {
      runs: runs.length,
      attempts: mineAttempts.length,
      deltas,
      scheduled,
      mineAttempts,
      endedBy,
    };
  });
  let anomalies = await judgeWindows(
    db,
    folded.deltas,
    Math.max(folded.endedBy, caughtUpTo) - COMPLETE_AFTER_MS,
  );
  if (folded.scheduled.length) {
    const { runs: sched, p95RunMs } = await scheduledRuns(
      db,
      folded.scheduled,
      folded.mineAttempts,
    );
    anomalies += await recordFindings(db, outsideSchedule(sched, p95RunMs));
  }
  return {
    runs: folded.runs,
    attempts: folded.attempts,
    buckets: folded.deltas.length,
    anomalies,
    more: rows.length >= batch,
  };
}

/** Adds the deltas to their bucket rows (one statement; the histogram added element-wise). */
async function upsertBuckets(tx: Pick<Tx, "$executeRawUnsafe">, deltas: BucketDelta[]) {
  await tx.$executeRawUnsafe(
    `INSERT INTO "AnomalyBucket" AS t ("workspaceId", "kind", "key", "bucket", "runs", "calls",
            "failures", "writes", "latency", "tokens", "cost", "outBytes")
     SELECT u.ws, u.kind, u.key, u.bucket, u.runs, u.calls, u.failures, u.writes,
            (SELECT array_agg(x::int) FROM json_array_elements_text(u.latency::json) x),
            u.tokens, u.cost, u.out
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::int[],
                   $7::int[], $8::int[], $9::text[], $10::float8[], $11::float8[], $12::float8[])
         AS u(ws, kind, key, bucket, runs, calls, failures, writes, latency, tokens, cost, out)
     ON CONFLICT ("workspaceId", "kind", "key", "bucket") DO UPDATE SET
       "runs" = t."runs" + EXCLUDED."runs",
       "calls" = t."calls" + EXCLUDED."calls",
       "failures" = t."failures" + EXCLUDED."failures",
       "writes" = t."writes" + EXCLUDED."writes",
       "latency" = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0)
                           FROM unnest(t."latency", EXCLUDED."latency") AS z(a, b)),
       "tokens" = t."tokens" + EXCLUDED."tokens",
       "cost" = t."cost" + EXCLUDED."cost",
       "outBytes" = t."outBytes" + EXCLUDED."outBytes"`,
    deltas.map((d) => d.workspaceId),
    deltas.map((d) => d.kind),
    deltas.map((d) => d.key),
    deltas.map((d) => new Date(d.bucket)),
    deltas.map((d) => d.stats.runs),
    deltas.map((d) => d.stats.calls),
    deltas.map((d) => d.stats.failures),
    deltas.map((d) => d.stats.writes),
    deltas.map((d) => JSON.stringify(d.stats.latency)),
    deltas.map((d) => d.stats.tokens),
    deltas.map((d) => d.stats.cost),
    deltas.map((d) => d.stats.outBytes),
  );
}

/** The step table of each run's IR, parsed once per IR (cached by `irKey`). */
const loadIrs = flowIrReader((ir) => ({
  name: ir.name,
  steps: anomalySteps(ir),
  cron: ir.trigger.type === "schedule" ? ir.trigger.cron : null,
}));

/**
 * Starts the consumer's background loop (see `startFinishedRunsConsumer`), its batches sized by
 * the work of their runs like the other followers' (what it finds does not depend on them).
 */
export function startAnomalyConsumer(
  db: Db,
  logger: { error(obj: object, msg: string): void },
  opts: { batch?: number; gapMs?: number; idleMs?: number } = {},
): FinishedRunsConsumer {
  return startFinishedRunsConsumer(
    ({ now, late, batch }) => foldAnomalies(db, { now, late, ...batchOf(batch, opts.batch) }),
    logger,
    "anomaly consumer",
    opts,
  );
}
