/**
 * The trust consumer: folds finished runs into the decayed counts of `TrustCount`, off the
 * request path (the webhook and the engine never wait for it), in bounded batches, one
 * transaction per batch. Never scans history per request: reads score only `TrustCount` rows.
 *
 * Which runs, in which order, once each: the shared cursor over reconciled runs
 * (`../finished-runs.ts`) with its tables `TrustCursor` and `TrustFoldedRun`. Pure steps are
 * read from the compact log with the attempt rows (one read per batch).
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
  withinFoldAttempts,
} from "../finished-runs";
import { readRunSignals } from "../finished-run-signals";
import type { Db } from "../types";
import { serverRegistry } from "../workflow/compile-flow";
import { TRUST_SIGNALS, trustConfig, type TrustConfig } from "./score";
import { foldRuns, foldSteps, type FoldRun } from "./fold";

export { LAG_MS } from "../finished-runs";
/** Runs folded per batch (default). */
export const TRUST_BATCH = FOLD_BATCH;
const CURSOR: FinishedRunsCursor = {
  cursorTable: "TrustCursor",
  cursorId: "runs",
  claimTable: "TrustFoldedRun",
};

function baselineOf(id: string, version: string): number | undefined {
  const r = serverRegistry();
  return (r.versions(id).find((b) => b.version === version) ?? r.get(id))?.baselineTrust;
}

/** A batch's result. `more`: the batch was full (call again soon). */
export interface FoldResult {
  runs: number;
  attempts: number;
  entities: number;
  more: boolean;
}

/**
 * Folds up to `batch` reconciled runs past the cursor into `TrustCount` (with `late`: runs of
 * the window behind the cursor not folded yet; the cursor stays).
 *
 * @example
 * await foldFinishedRuns(db, { now: Date.now() }); // { runs: 12, attempts: 40, entities: 9, more: false }
 */
export async function foldFinishedRuns(
  db: Db,
  opts: { now: number; batch?: number; config?: TrustConfig; late?: boolean },
): Promise<FoldResult> {
  const batch = opts.batch ?? TRUST_BATCH;
  const config = opts.config ?? trustConfig();
  const read = await readFinishedRuns(db, CURSOR, { batch, late: opts.late ?? false });
  if (!read.length) return { runs: 0, attempts: 0, entities: 0, more: false };
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
    const runs: FoldRun[] = [];
    for (const [r, ir] of claimedWithIr(rows, mine, irs)) {
      runs.push({
        id: r.id,
        workspaceId: r.workspaceId,
        workflowId: r.workflowId,
        version: r.version,
        flowName: ir.name,
        status: r.status,
        finishedAt: (r.finishedAt ?? r.reconciledAt).getTime(),
        steps: ir.steps,
      });
    }
    const inRuns = (x: { runId: string }) => mine.has(x.runId);
    const mineAttempts = attempts.filter(inRuns);
    const deltas = foldRuns(
      {
        runs,
        attempts: mineAttempts,
        deadLetters: deadLetters.filter(inRuns),
        findings: findings.filter(inRuns),
        usage: usage.filter(inRuns),
      },
      config.halfLifeMs,
    );
    if (deltas.length) await upsertDeltas(tx, deltas, config.halfLifeMs);
    const last = rows[rows.length - 1]!;
    if (!opts.late) await advanceFinishedRunsCursor(tx, CURSOR, last);
    return { runs: runs.length, attempts: mineAttempts.length, entities: deltas.length };
  });
  return { ...result, more: cut || read.length >= batch };
}

/**
 * The step table of each run's IR, parsed once per IR (cached by `irKey`), keyed by `irKey`
 * or `run:<id>` for runs holding their IR inline (the dashboards' rollups read it too).
 */
export const loadIrs = flowIrReader((ir) => ({ name: ir.name, steps: foldSteps(ir, baselineOf) }));

const COUNT_COLS = ["successes", "failures", ...TRUST_SIGNALS] as const;

/**
 * One upsert for the batch: a new entity takes the delta; an existing one decays both sides to
 * the later time and adds them (as `mergeCounts` does), so batches commute.
 */
async function upsertDeltas(
  tx: Pick<Db, "$executeRawUnsafe">,
  deltas: ReturnType<typeof foldRuns>,
  halfLifeMs: number,
): Promise<void> {
  const cols = COUNT_COLS.map((c) => `"${c}"`).join(", ");
  const arrays = COUNT_COLS.map((c) => deltas.map((d) => d.counts[c]));
  const n = COUNT_COLS.length;
  // $1..$6 the identity columns, then one float8[] per count, then at, observations, half-life.
  const unnestArgs = [
    "$1::uuid[]",
    "$2::text[]",
    "$3::text[]",
    "$4::text[]",
    "$5::float8[]",
    "$6::text[]",
    ...COUNT_COLS.map((_, i) => `$${7 + i}::float8[]`),
    `$${7 + n}::timestamptz[]`,
    `$${8 + n}::int[]`,
  ].join(", ");
  const names = COUNT_COLS.map((c) => `u."${c}"`).join(", ");
  const h = `$${9 + n}::float8`;
  const age = (from: string, to: string) =>
    `power(0.5::float8, greatest(0, extract(epoch FROM (${to}."at" - ${from}."at")) * 1000)::float8 / ${h})`;
  const sets = COUNT_COLS.map(
    (c) =>
      `"${c}" = t."${c}" * ${age("t", "EXCLUDED")} + EXCLUDED."${c}" * ${age("EXCLUDED", "t")}`,
  ).join(",\n ");
  await tx.$executeRawUnsafe(
    `INSERT INTO "TrustCount" AS t ("workspaceId", "kind", "key", "label", "baseline", "meta", ${cols}, "at", "attempts", "updatedAt")
     SELECT u."ws", u."kind", u."key", u."label", u."baseline", u."meta"::jsonb, ${names}, u."at", u."attempts", now()
       FROM unnest(${unnestArgs}) AS u("ws", "kind", "key", "label", "baseline", "meta", ${cols}, "at", "attempts")
     ON CONFLICT ("workspaceId", "kind", "key") DO UPDATE SET
       ${sets},
       "at" = greatest(t."at", EXCLUDED."at"),
       "attempts" = t."attempts" + EXCLUDED."attempts",
       "label" = EXCLUDED."label",
       "baseline" = EXCLUDED."baseline",
       "meta" = CASE WHEN EXCLUDED."meta" = '{}'::jsonb THEN t."meta" ELSE EXCLUDED."meta" END,
       "updatedAt" = now()`,
    deltas.map((d) => d.workspaceId),
    deltas.map((d) => d.kind),
    deltas.map((d) => d.key),
    deltas.map((d) => d.label),
    deltas.map((d) => d.baseline),
    deltas.map((d) => JSON.stringify(d.meta)),
    ...arrays,
    deltas.map((d) => new Date(d.counts.at)),
    deltas.map((d) => d.observations),
    halfLifeMs,
  );
}

/** A running trust consumer. */
export type TrustConsumer = FinishedRunsConsumer;

/**
 * Starts the consumer's background loop (`startFinishedRunsConsumer`: a batch at once, then
 * while batches are full, else every `idleMs`; a late sweep every `LAG_MS / 2`).
 */
export function startTrustConsumer(
  db: Db,
  logger: { error(obj: object, msg: string): void },
  opts: { batch?: number; gapMs?: number; idleMs?: number; config?: TrustConfig } = {},
): TrustConsumer {
  return startFinishedRunsConsumer(
    ({ now, late, batch }) =>
      foldFinishedRuns(db, {
        now,
        late,
        ...batchOf(batch, opts.batch),
        ...(opts.config ? { config: opts.config } : {}),
      }),
    logger,
    "trust consumer",
    opts,
  );
}
