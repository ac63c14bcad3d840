/**
 * The rollup consumer: folds reconciled runs into `Rollup` (counts per entity per minute, hour
 * and day; `rollup-fold.ts`) off the request path, in bounded batches, one transaction per
 * batch, once per run — the shared cursor over finished runs (`../finished-runs.ts`) with its
 * tables `RollupCursor` and `RollupFoldedRun`. The dashboards read only `Rollup` rows.
 */
import type { Db, Tx } from "../types";
import {
  FOLD_BATCH,
  advanceFinishedRunsCursor,
  batchOf,
  claimFinishedRuns,
  claimedWithIr,
  readFinishedAttemptsShared,
  readFinishedRuns,
  startFinishedRunsConsumer,
  type FinishedRunsConsumer,
  type FinishedRunsCursor,
  withinFoldAttempts,
} from "../finished-runs";
import { readRunSignals } from "../finished-run-signals";
import { loadIrs } from "../trust/consumer";
import { foldRollups, SCALAR_COUNTS, type RollupDelta, type RollupRun } from "./rollup-fold";

/** Runs folded per batch (default). */
export const ROLLUP_BATCH = FOLD_BATCH;
const CURSOR: FinishedRunsCursor = {
  cursorTable: "RollupCursor",
  cursorId: "runs",
  claimTable: "RollupFoldedRun",
};

/** A batch's result. `more`: the batch was full (call again soon). */
export interface RollupResult {
  runs: number;
  attempts: number;
  rows: number;
  more: boolean;
}

/**
 * Folds up to `batch` reconciled runs past the cursor into `Rollup` (with `late`: runs of the
 * window behind the cursor not folded yet; the cursor stays).
 *
 * @example
 * await foldRollupBatch(db); // { runs: 12, attempts: 40, rows: 96, more: false }
 */
export async function foldRollupBatch(
  db: Db,
  opts: { batch?: number; late?: boolean } = {},
): Promise<RollupResult> {
  const batch = opts.batch ?? ROLLUP_BATCH;
  const read = await readFinishedRuns(db, CURSOR, { batch, late: opts.late ?? false });
  if (!read.length) return { runs: 0, attempts: 0, rows: 0, more: false };
  const ids = read.map((r) => r.id);
  const irs = await loadIrs(db, read);
  const [attempts, { deadLetters, findings, usage }] = await Promise.all([
    readFinishedAttemptsShared(db, read),
    readRunSignals(db, ids, { deadLetters: true, findings: true, usage: true }),
  ]);
  // Runs heavier than the batch size assumed: the first ones only, the rest next time.
  const { rows, cut } = withinFoldAttempts(read, attempts);

  const result = await db.$transaction(async (tx) => {
    const mine = await claimFinishedRuns(tx, CURSOR, rows);
    const runs: RollupRun[] = [];
    for (const [r, ir] of claimedWithIr(rows, mine, irs)) {
      runs.push({
        id: r.id,
        workspaceId: r.workspaceId,
        workflowId: r.workflowId,
        version: r.version,
        flowName: ir.name,
        status: r.status,
        startedAt: r.startedAt ? r.startedAt.getTime() : null,
        finishedAt: (r.finishedAt ?? r.reconciledAt).getTime(),
        steps: ir.steps,
      });
    }
    const inRuns = (x: { runId: string }) => mine.has(x.runId);
    const mineAttempts = attempts.filter(inRuns);
    const deltas = foldRollups({
      runs,
      attempts: mineAttempts,
      deadLetters: deadLetters.filter(inRuns),
      findings: findings.filter(inRuns),
      usage: usage.filter(inRuns),
    });
    if (deltas.length) await upsertRollups(tx, deltas);
    if (!opts.late) await advanceFinishedRunsCursor(tx, CURSOR, rows[rows.length - 1]!);
    return { runs: runs.length, attempts: mineAttempts.length, rows: deltas.length };
  });
  return { ...result, more: cut || read.length >= batch };
}

/** Adds arrays bin by bin (the shorter one padded with zeros), in SQL. */
const addArrays = (a: string, b: string) =>
  `ARRAY(SELECT coalesce(x, 0) + coalesce(y, 0) FROM unnest(${a}, ${b}) WITH ORDINALITY AS z(x, y, i) ORDER BY i)`;

/**
 * One upsert for the batch: a new row takes the delta; an existing one adds it. The arrays
 * travel flat (tiers: three per row; latency: every row's bins end to end, with offsets) and
 * are sliced per row, so no row costs a parse.
 */
async function upsertRollups(tx: Pick<Tx, "$executeRawUnsafe">, deltas: RollupDelta[]) {
  const n = SCALAR_COUNTS.length;
  const scalarCols = SCALAR_COUNTS.map((c) => `"${c}"`).join(", ");
  const latency: number[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  for (const d of deltas) {
    offsets.push(latency.length);
    lengths.push(d.latency.length);
    for (const v of d.latency) latency.push(v ?? 0);
  }
  // $1..$7 identity, then one int[] per scalar count, then cost, tokens, latency offsets and
  // lengths (unnested with the rows), then the flat arrays.
  const args = [
    "$1::uuid[]",
    "$2::text[]",
    "$3::timestamptz[]",
    "$4::text[]",
    "$5::text[]",
    "$6::uuid[]",
    "$7::text[]",
    ...SCALAR_COUNTS.map((_, i) => `$${8 + i}::int[]`),
    `$${8 + n}::float8[]`,
    `$${9 + n}::int8[]`,
    `$${10 + n}::int8[]`,
    `$${11 + n}::int[]`,
    `$${12 + n}::int[]`,
  ].join(", ");
  const tierA = `$${13 + n}::int[]`;
  const tierM = `$${14 + n}::int[]`;
  const lat = `$${15 + n}::int[]`;
  const names = SCALAR_COUNTS.map((c) => `u."${c}"`).join(", ");
  const sets = SCALAR_COUNTS.map((c) => `"${c}" = t."${c}" + EXCLUDED."${c}"`).join(", ");
  await tx.$executeRawUnsafe(
    `INSERT INTO "Rollup" AS t ("workspaceId", "grain", "bucket", "kind", "key", "workflowId", "label",
        ${scalarCols}, "costUsd", "tokensIn", "tokensOut", "tierAttempts", "tierMisses", "latency")
     SELECT u."ws", u."grain", u."bucket", u."kind", u."key", u."wf", u."label", ${names},
            u."costUsd", u."tokensIn", u."tokensOut",
            (${tierA})[3 * u.i - 2 : 3 * u.i], (${tierM})[3 * u.i - 2 : 3 * u.i],
            coalesce((${lat})[u."off" + 1 : u."off" + u."len"], '{}')
       FROM unnest(${args}) WITH ORDINALITY AS u("ws", "grain", "bucket", "kind", "key", "wf", "label",
            ${scalarCols}, "costUsd", "tokensIn", "tokensOut", "off", "len", i)
     ON CONFLICT ("workspaceId", "grain", "kind", "bucket", "key", "workflowId") DO UPDATE SET
       ${sets},
       "costUsd" = t."costUsd" + EXCLUDED."costUsd",
       "tokensIn" = t."tokensIn" + EXCLUDED."tokensIn",
       "tokensOut" = t."tokensOut" + EXCLUDED."tokensOut",
       "tierAttempts" = ${addArrays('t."tierAttempts"', 'EXCLUDED."tierAttempts"')},
       "tierMisses" = ${addArrays('t."tierMisses"', 'EXCLUDED."tierMisses"')},
       "latency" = ${addArrays('t."latency"', 'EXCLUDED."latency"')},
       "label" = EXCLUDED."label"`,
    deltas.map((d) => d.workspaceId),
    deltas.map((d) => d.grain),
    deltas.map((d) => new Date(d.bucket)),
    deltas.map((d) => d.kind),
    deltas.map((d) => d.key),
    deltas.map((d) => d.workflowId),
    deltas.map((d) => d.label),
    ...SCALAR_COUNTS.map((c) => deltas.map((d) => d[c])),
    deltas.map((d) => d.costUsd),
    deltas.map((d) => d.tokensIn),
    deltas.map((d) => d.tokensOut),
    offsets,
    lengths,
    deltas.flatMap((d) => d.tierAttempts),
    deltas.flatMap((d) => d.tierMisses),
    latency,
  );
}

/** Starts the consumer's background loop (as the trust consumer's: `startFinishedRunsConsumer`). */
export function startRollupConsumer(
  db: Db,
  logger: { error(obj: object, msg: string): void },
  opts: { batch?: number; gapMs?: number; idleMs?: number } = {},
): FinishedRunsConsumer {
  return startFinishedRunsConsumer(
    ({ late, batch }) => foldRollupBatch(db, { late, ...batchOf(batch, opts.batch) }),
    logger,
    "rollup consumer",
    opts,
  );
}
