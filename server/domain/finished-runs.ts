/**
 * Consumers of finished runs (earned trust, dashboard rollups): each folds reconciled runs into
 * its own aggregates off the request path, in bounded batches, once per run, with the same
 * cursor. This module is that cursor, shared; a consumer names its two tables
 * ({@link FinishedRunsCursor}) and supplies the fold.
 *
 * Which runs, in which order. A run is folded once it has been reconciled (`Run.reconciledAt`),
 * so its findings are known and its attempts final: a consumer reads reconciled runs past its
 * cursor (a `(reconciledAt, id)` key in its cursor table), in that order, through the partial
 * index `Run_reconciled_trust_idx`. A reconciliation that commits late (its timestamp is taken
 * before its transaction) lands behind the cursor: a late sweep (`late: true`, every
 * `LAG_MS / 2` by the loop) reads the `LAG_MS` window behind the cursor for runs not folded yet;
 * the runs folded within it are remembered by id in the consumer's claim table (pruned behind
 * it). The fold's transaction claims each run there first (`ON CONFLICT DO NOTHING`), so two
 * processes never fold one run twice. Sandbox runs are not folded (their connectors are mocks).
 *
 * Pure steps: the engine records them compactly per checkpoint (`RunStepLog`); they are read
 * with their run from the log in the same statement as the attempt rows (one read per batch,
 * not per step), so a pure step costs no row of its own here either.
 */
import type { FlowIR } from "@/dsl";
import { processSingleton } from "@/server/process-state";
import { gapAfter, sizeByWork, startBackgroundLoop } from "./background-loop";
import type { Db, Tx } from "./types";

/** How far behind its cursor a consumer looks again for late commits. */
export const LAG_MS = 60_000;
const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/**
 * A consumer's tables: `cursorTable` (`id`, `at`, `runId`), one row `cursorId`; `claimTable`
 * (`runId` primary key, `reconciledAt`). Names are constants of the consumer, never input.
 */
export interface FinishedRunsCursor {
  cursorTable: string;
  cursorId: string;
  claimTable: string;
}

/** A reconciled run as the consumers read it. */
export interface FinishedRun {
  id: string;
  workspaceId: string;
  workflowId: string | null;
  version: string | null;
  status: string;
  irKey: string | null;
  reconciledAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A final attempt (`succeeded` or `failed`), rows and pure-step log alike; times epoch ms. */
export interface FinishedAttempt {
  runId: string;
  stepId: string;
  attempt: number;
  status: string;
  durationMs: number | null;
  errorName: string | null;
  category: string | null;
  finishedAt: number | null;
}

/**
 * Up to `batch` reconciled runs past the cursor (with `late`: runs of the window behind the
 * cursor not claimed yet), in `(reconciledAt, id)` order.
 */
export async function readFinishedRuns(
  db: Pick<Db, "$queryRawUnsafe">,
  c: FinishedRunsCursor,
  opts: { batch: number; late?: boolean },
): Promise<FinishedRun[]> {
  const cursorRows = await db.$queryRawUnsafe<Array<{ at: Date; runId: string | null }>>(
    `SELECT "at", "runId"::text AS "runId" FROM "${c.cursorTable}" WHERE "id" = $1`,
    c.cursorId,
  );
  const cursorAt = cursorRows[0]?.at ?? new Date(0);
  const cursorRun = cursorRows[0]?.runId ?? NIL_UUID;
  return db.$queryRawUnsafe<FinishedRun[]>(
    `SELECT r.id::text AS id, r."workspaceId"::text AS "workspaceId", r."workflowId"::text AS "workflowId",
            r.version, r.status::text AS status, r."irKey", r."reconciledAt", r."startedAt", r."finishedAt"
       FROM "Run" r
      WHERE r."reconciledAt" IS NOT NULL AND r."sandboxSessionId" IS NULL
        AND ${
          opts.late
            ? `r."reconciledAt" >= $3 AND (r."reconciledAt", r.id) <= ($1, $2::uuid)
        AND NOT EXISTS (SELECT 1 FROM "${c.claimTable}" f WHERE f."runId" = r.id)`
            : `(r."reconciledAt", r.id) > ($1, $2::uuid) AND $3::timestamptz IS NOT NULL`
        }
      ORDER BY r."reconciledAt", r.id
      LIMIT $4`,
    cursorAt,
    cursorRun,
    new Date(Math.max(0, cursorAt.getTime() - LAG_MS)),
    opts.batch,
  );
}

/** Claims `rows` for this consumer (in the fold's transaction): the ids it may fold. */
export async function claimFinishedRuns(
  tx: Pick<Tx, "$queryRawUnsafe">,
  c: FinishedRunsCursor,
  rows: FinishedRun[],
): Promise<Set<string>> {
  const claimed = await tx.$queryRawUnsafe<Array<{ runId: string }>>(
    `INSERT INTO "${c.claimTable}" ("runId", "reconciledAt")
     SELECT * FROM unnest($1::uuid[], $2::timestamptz[])
     ON CONFLICT ("runId") DO NOTHING RETURNING "runId"::text AS "runId"`,
    rows.map((r) => r.id),
    rows.map((r) => r.reconciledAt),
  );
  return new Set(claimed.map((r) => r.runId));
}

/** Moves the cursor past `last` (never backwards) and prunes claims well behind it. */
export async function advanceFinishedRunsCursor(
  tx: Pick<Tx, "$executeRawUnsafe">,
  c: FinishedRunsCursor,
  last: FinishedRun,
): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO "${c.cursorTable}" AS c ("id", "at", "runId") VALUES ($1, $2, $3::uuid)
     ON CONFLICT ("id") DO UPDATE SET "at" = EXCLUDED."at", "runId" = EXCLUDED."runId"
      WHERE (EXCLUDED."at", EXCLUDED."runId") > (c."at", c."runId")`,
    c.cursorId,
    last.reconciledAt,
    last.id,
  );
  await tx.$executeRawUnsafe(
    `DELETE FROM "${c.claimTable}" WHERE "reconciledAt" < $1`,
    new Date(last.reconciledAt.getTime() - 2 * LAG_MS),
  );
}

/** Attempts of the runs `$1`: the rows and the pure steps' log, final ones only. */
const ATTEMPTS_SQL = `
  SELECT a."runId"::text AS "runId", a."stepId", a."attempt", a."status", a."durationMs",
         a."error"->>'name' AS "errorName", a."classification"->>'category' AS "category",
         (extract(epoch FROM a."finishedAt") * 1000)::float8 AS "finishedAt"
    FROM "StepAttempt" a
   WHERE a."runId" = ANY($1::uuid[]) AND a."status" IN ('succeeded', 'failed')
  UNION ALL
  SELECT l."runId"::text, x."stepId", x."attempt", x."status", x."durationMs",
         x."error"->>'name', x."classification"->>'category', x."finishedAt"
    FROM "RunStepLog" l,
         json_to_recordset(l."attempts") AS x("stepId" text, "attempt" int, "status" text,
           "durationMs" int, "error" json, "classification" json, "finishedAt" float8)
   WHERE l."runId" = ANY($1::uuid[]) AND l."attempts" IS NOT NULL
     AND x."status" IN ('succeeded', 'failed')
     AND NOT EXISTS (SELECT 1 FROM "StepAttempt" a
       WHERE a."runId" = l."runId" AND a."stepId" = x."stepId" AND a."attempt" = x."attempt")`;

/** The final attempts of the runs `ids` (one statement). */
export async function readFinishedAttempts(
  db: Pick<Db, "$queryRawUnsafe">,
  ids: string[],
): Promise<FinishedAttempt[]> {
  const rows = await db.$queryRawUnsafe<FinishedAttempt[]>(ATTEMPTS_SQL, ids);
  return rows.map((a) => ({
    ...a,
    attempt: Number(a.attempt),
    durationMs: a.durationMs === null ? null : Number(a.durationMs),
    finishedAt: a.finishedAt === null ? null : Number(a.finishedAt),
  }));
}

/**
 * About how many attempts {@link readFinishedAttemptsShared} keeps (a run counts one more): the
 * batches of the consumers that read the same runs within a few seconds of each other.
 */
export const SHARED_ATTEMPTS_MAX = 20_000;

interface SharedAttempts {
  /** Attempts by run and reconciliation (`id@reconciledAt`), oldest entry first (evicted first). */
  runs: Map<string, readonly FinishedAttempt[]>;
  size: number;
  /** Reads in flight, by the same key: a second consumer asking meanwhile waits for the same read. */
  reading: Map<string, Promise<readonly FinishedAttempt[]>>;
}

/**
 * {@link readFinishedAttempts} for the consumers of finished runs (trust, rollups, anomalies),
 * which fold the same reconciled runs one after the other: each run's attempts are read once per
 * process and database, then served to the others from memory. They never change once the run
 * is reconciled (only reconciled runs are read, and nothing writes a finished run's attempts),
 * so a copy cannot go stale; it is kept per database (`db`) and under the run's id with its
 * reconciliation time, so a run deleted and written again under the same id (a demo history
 * seeded again from the same seed) is read again. Bounded by {@link SHARED_ATTEMPTS_MAX} (oldest
 * runs go first); the attempts are frozen, as several consumers hold them.
 */
export async function readFinishedAttemptsShared(
  db: Pick<Db, "$queryRawUnsafe">,
  runs: ReadonlyArray<Pick<FinishedRun, "id" | "reconciledAt">>,
): Promise<FinishedAttempt[]> {
  const byDb = processSingleton("finished-attempts", () => new WeakMap<object, SharedAttempts>());
  let shared = byDb.get(db);
  if (!shared) byDb.set(db, (shared = { runs: new Map(), size: 0, reading: new Map() }));
  const cache = shared;
  const keyOf = (r: Pick<FinishedRun, "id" | "reconciledAt">) =>
    `${r.id}@${r.reconciledAt.getTime()}`;
  // What is known now is taken now: a run evicted while this call waits stays in its answer.
  const have = new Map<string, readonly FinishedAttempt[]>();
  const waits: Array<[string, Promise<readonly FinishedAttempt[]>]> = [];
  const missing = new Map<string, string>(); // run id → key
  const keys = runs.map(keyOf);
  for (const [i, r] of runs.entries()) {
    const key = keys[i]!;
    const known = cache.runs.get(key);
    const reading = cache.reading.get(key);
    if (known) have.set(key, known);
    else if (reading) waits.push([key, reading]);
    else missing.set(r.id, key);
  }
  if (missing.size) {
    const read = readFinishedAttempts(db, [...missing.keys()]).then((rows) => {
      const byRun = new Map<string, FinishedAttempt[]>([...missing.keys()].map((id) => [id, []]));
      for (const a of rows) byRun.get(a.runId)?.push(Object.freeze(a));
      for (const [id, list] of byRun) {
        cache.runs.set(missing.get(id)!, Object.freeze(list));
        cache.size += list.length + 1;
      }
      return byRun;
    });
    // Settled either way: a failed read is not remembered (the next batch asks again).
    void read
      .finally(() => {
        for (const key of missing.values()) cache.reading.delete(key);
      })
      .catch(() => undefined);
    for (const [id, key] of missing) {
      const one = read.then((byRun) => byRun.get(id)!);
      one.catch(() => undefined); // awaited below, or by a consumer that asks meanwhile
      cache.reading.set(key, one);
      waits.push([key, one]);
    }
  }
  for (const [key, one] of waits) have.set(key, await one);
  const out: FinishedAttempt[] = [];
  for (const key of keys) out.push(...(have.get(key) ?? []));
  while (cache.size > SHARED_ATTEMPTS_MAX && cache.runs.size) {
    const [key, list] = cache.runs.entries().next().value!;
    cache.runs.delete(key);
    cache.size -= list.length + 1;
  }
  return out;
}

/**
 * A batch's outcome as the loop needs it. `more`: the batch was full (call again soon); `runs`
 * and `attempts`: what it folded, when the consumer counts them (they size the next batches).
 */
export interface BatchOutcome {
  more: boolean;
  runs?: number;
  attempts?: number;
}

/** A running consumer. */
export interface FinishedRunsConsumer {
  /** Stops the loop; waits for a batch in progress. */
  stop(): Promise<void>;
}

/** Runs folded per batch by a consumer that is not behind (each consumer's default). */
export const FOLD_BATCH = 200;

/**
 * Runs folded per batch while a consumer catches up (its previous batch was full: a backlog,
 * such as the demo history's 20,000 runs at the first start, or the runs that ended while no
 * consumer ran): ten times fewer batches, each still one transaction of bounded size.
 */
export const CATCH_UP_BATCH = 2_000;

/**
 * Attempts read and folded per batch, about: a batch's runs are counted so that their attempts
 * (as many per run as in the batch before) stay near this. A fold runs on its consumers' thread
 * (the fold thread on PostgreSQL, else the event loop), 3–5 µs per attempt and consumer on a slow
 * core, and the four consumers often fold at the same time: on the event loop, batches of 200
 * runs of a 100-step flow (20,000 attempts each) held requests back for ~330 ms
 * (bench/RESULTS.md). The first batch, before anything is known, takes {@link FIRST_FOLD_BATCH}.
 */
export const FOLD_ATTEMPTS = 2_000;
/** Runs in a consumer's first batch (how many attempts its runs have is not known yet). */
export const FIRST_FOLD_BATCH = 20;
/** Runs per batch at least, however many attempts each has. */
export const MIN_FOLD_BATCH = 10;

/**
 * The batch to ask for: `want` (the consumer's own size when undefined, {@link FOLD_BATCH}),
 * fewer when the runs of the batch before had so many attempts each (`perRun`) that `want` runs
 * would hold more than {@link FOLD_ATTEMPTS}. Undefined: the consumer's own size.
 */
export function foldBatch(want: number | undefined, perRun: number): number | undefined {
  const full = want ?? FOLD_BATCH;
  const cap = sizeByWork(full, perRun, FOLD_ATTEMPTS, MIN_FOLD_BATCH);
  return cap < full ? cap : want;
}

/**
 * The first runs of a batch (in its order, which the cursor follows) whose attempts stay within
 * {@link FOLD_ATTEMPTS}, one at least: the rest are left for the next batch (`cut`), so a batch
 * of runs heavier than the one before (the size is a guess from it) is not folded whole.
 */
export function withinFoldAttempts<R extends { id: string }>(
  rows: R[],
  attempts: ReadonlyArray<{ runId: string }>,
): { rows: R[]; cut: boolean } {
  const per = new Map<string, number>();
  for (const a of attempts) per.set(a.runId, (per.get(a.runId) ?? 0) + 1);
  let total = 0;
  let n = 0;
  for (const r of rows) {
    const k = per.get(r.id) ?? 0;
    if (n > 0 && total + k > FOLD_ATTEMPTS) break;
    total += k;
    n++;
  }
  return n === rows.length ? { rows, cut: false } : { rows: rows.slice(0, n), cut: true };
}

/** `{ batch }` when a size is given (the loop's catch-up size first, else the consumer's). */
export const batchOf = (...sizes: Array<number | undefined>): { batch?: number } => {
  const batch = sizes.find((n) => n !== undefined && n > 0);
  return batch ? { batch } : {};
};

/**
 * Runs `fold` in a background loop: a batch at once (the restart's catch-up), the next `gapMs`
 * later while batches are full, else every `idleMs`; a late sweep (`late: true`) every
 * `LAG_MS / 2` (runs are folded after their reconciliation, which follows their end by half a
 * second). `batch` is given while catching up ({@link CATCH_UP_BATCH}, or `catchUpBatch`: the
 * batch before was full); otherwise the consumer's own size applies. Either is lowered when the
 * runs have many attempts each (`foldBatch`), so that no batch holds its thread for long
 * (what each consumer finds does not depend on where its batches end: the anomaly detector
 * judges a window once complete, whichever batch completes it).
 */
export function startFinishedRunsConsumer(
  fold: (opts: { now: number; late: boolean; batch?: number }) => Promise<BatchOutcome>,
  logger: { error(obj: object, msg: string): void },
  what: string,
  opts: { gapMs?: number; idleMs?: number; catchUpBatch?: number } = {},
): FinishedRunsConsumer {
  const gapMs = opts.gapMs ?? 100;
  const idleMs = opts.idleMs ?? 5_000;
  const catchUpBatch = opts.catchUpBatch ?? CATCH_UP_BATCH;
  let sweptAt = 0;
  let behind = false;
  /** Attempts per run in the last batch that folded runs (at first: as if the first batch held
   * FOLD_ATTEMPTS in FIRST_FOLD_BATCH runs). */
  let perRun = FOLD_ATTEMPTS / FIRST_FOLD_BATCH;
  const loop = startBackgroundLoop(async () => {
    const now = Date.now();
    const late = now - sweptAt >= LAG_MS / 2;
    if (late) sweptAt = now;
    const want = behind && !late ? catchUpBatch : undefined;
    const batch = foldBatch(want, perRun);
    // A batch made smaller is followed sooner: the same runs per second, in shorter slices.
    const gap = gapAfter(gapMs, batch ?? FOLD_BATCH, want ?? FOLD_BATCH);
    return fold(batch === undefined ? { now, late } : { now, late, batch }).then(
      (r) => {
        behind = r.more && !late;
        if (r.runs && r.attempts !== undefined) perRun = r.attempts / r.runs;
        return r.more ? gap : late ? gapMs : idleMs;
      },
      (err: unknown) => {
        behind = false;
        logger.error({ err: String(err) }, `${what} batch failed`);
        return idleMs;
      },
    );
  });
  return { stop: () => loop.stop() };
}

/**
 * A consumer's view of each run's flow IR (`read` of the parsed IR), keyed by `irKey`, or by
 * `run:<id>` for runs holding their IR inline. Views of stored IRs are cached (the `max` most
 * recently read): an IR is parsed once, not once per run.
 */
export function flowIrReader<T>(
  read: (ir: FlowIR) => T,
  max = 200,
): (db: Db, rows: FinishedRun[]) => Promise<Map<string, T>> {
  const cache = new Map<string, T>();
  const view = (text: string) => read(JSON.parse(text) as FlowIR);
  return async (db, rows) => {
    const out = new Map<string, T>();
    const missing = new Set<string>();
    const inline: string[] = [];
    for (const r of rows) {
      if (!r.irKey) inline.push(r.id);
      else if (cache.has(r.irKey)) out.set(r.irKey, cache.get(r.irKey)!);
      else missing.add(r.irKey);
    }
    if (missing.size) {
      const found = await db.$queryRawUnsafe<Array<{ key: string; ir: string }>>(
        `SELECT "key", "ir" FROM "FlowIr" WHERE "key" = ANY($1::text[])`,
        [...missing],
      );
      for (const f of found) {
        const v = view(f.ir);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(f.key, v);
        out.set(f.key, v);
      }
    }
    if (inline.length) {
      const found = await db.$queryRawUnsafe<Array<{ id: string; ir: string }>>(
        `SELECT id::text AS id, ir::text AS ir FROM "Run" WHERE id = ANY($1::uuid[]) AND ir IS NOT NULL`,
        inline,
      );
      for (const f of found) out.set(`run:${f.id}`, view(f.ir));
    }
    return out;
  };
}

/**
 * The runs of a batch this consumer claimed (`mine`), each with its flow IR's view from a
 * {@link flowIrReader} (runs whose IR is gone are left out).
 */
export function* claimedWithIr<T>(
  rows: FinishedRun[],
  mine: Set<string>,
  irs: Map<string, T>,
): Generator<[FinishedRun, T]> {
  for (const r of rows) {
    if (!mine.has(r.id)) continue;
    const ir = irs.get(r.irKey || `run:${r.id}`);
    if (ir) yield [r, ir];
  }
}
