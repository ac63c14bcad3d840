/**
 * The trust consumer: folds finished runs into the decayed counts of `TrustCount`, off the
 * request path (the webhook and the engine never wait for it), in bounded batches, one
 * transaction per batch. Never scans history per request: reads score only `TrustCount` rows.
 *
 * Which runs, in which order. A run is folded once it has been reconciled (`Run.reconciledAt`),
 * so its findings are known and its attempts final: the consumer reads reconciled runs past its
 * cursor (`TrustCursor`, a `(reconciledAt, id)` key), in that order, through the partial index
 * `Run_reconciled_trust_idx`. A reconciliation that commits late (its timestamp is taken before
 * its transaction) lands behind the cursor: a late sweep (`late: true`, every `LAG_MS / 2` by
 * the loop) reads the `LAG_MS` window behind the cursor for runs not folded yet; the runs
 * folded within it are remembered by id in `TrustFoldedRun` (pruned behind it). The
 * transaction claims each run there first (`ON CONFLICT DO NOTHING`), so two processes never
 * fold one run twice. Sandbox runs are not folded (their connectors are mocks).
 *
 * Pure steps: the engine records them compactly per checkpoint (`RunStepLog`); they are folded
 * with their run, read from the log in the same statement as the attempt rows (one read per
 * batch, not per step), so a pure step costs no row of its own here either.
 */
import type { FlowIR } from "@/dsl";
import { startBackgroundLoop } from "../background-loop";
import type { Db } from "../types";
import { serverRegistry } from "../workflow/compile-flow";
import { TRUST_SIGNALS, trustConfig, type TrustConfig } from "./score";
import { foldRuns, foldSteps, type FoldAttempt, type FoldRun, type FoldStep } from "./fold";

/** How far behind its cursor the consumer looks again for late commits. */
export const LAG_MS = 60_000;
/** Runs folded per batch (default). */
export const TRUST_BATCH = 200;
const CURSOR_ID = "runs";
const NIL_UUID = "00000000-0000-0000-0000-000000000000";
const MAX_CACHED_IRS = 200;

interface RunRow {
  id: string;
  workspaceId: string;
  workflowId: string | null;
  version: string | null;
  status: string;
  irKey: string | null;
  reconciledAt: Date;
  finishedAt: Date | null;
}

const irSteps = new Map<string, { name: string; steps: Map<string, FoldStep> }>();

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
  const cursorRows = await db.$queryRawUnsafe<Array<{ at: Date; runId: string | null }>>(
    `SELECT "at", "runId"::text AS "runId" FROM "TrustCursor" WHERE "id" = $1`,
    CURSOR_ID,
  );
  const cursorAt = cursorRows[0]?.at ?? new Date(0);
  const cursorRun = cursorRows[0]?.runId ?? NIL_UUID;
  // Past the cursor in (reconciledAt, id) order; or, for a late sweep, the window behind it.
  const rows = await db.$queryRawUnsafe<RunRow[]>(
    `SELECT r.id::text AS id, r."workspaceId"::text AS "workspaceId", r."workflowId"::text AS "workflowId",
            r.version, r.status::text AS status, r."irKey", r."reconciledAt", r."finishedAt"
       FROM "Run" r
      WHERE r."reconciledAt" IS NOT NULL AND r."sandboxSessionId" IS NULL
        AND ${
          opts.late
            ? `r."reconciledAt" >= $3 AND (r."reconciledAt", r.id) <= ($1, $2::uuid)
        AND NOT EXISTS (SELECT 1 FROM "TrustFoldedRun" f WHERE f."runId" = r.id)`
            : `(r."reconciledAt", r.id) > ($1, $2::uuid) AND $3::timestamptz IS NOT NULL`
        }
      ORDER BY r."reconciledAt", r.id
      LIMIT $4`,
    cursorAt,
    cursorRun,
    new Date(Math.max(0, cursorAt.getTime() - LAG_MS)),
    batch,
  );
  if (!rows.length) return { runs: 0, attempts: 0, entities: 0, more: false };
  const ids = rows.map((r) => r.id);

  const irs = await loadIrs(db, rows);
  const [attempts, deadLetters, findings, usage] = await Promise.all([
    db.$queryRawUnsafe<FoldAttempt[]>(ATTEMPTS_SQL, ids),
    db.$queryRawUnsafe<Array<{ runId: string; stepId: string }>>(
      `SELECT "runId"::text AS "runId", "stepId" FROM "DeadLetter" WHERE "runId" = ANY($1::uuid[])`,
      ids,
    ),
    db.$queryRawUnsafe<Array<{ runId: string; stepId: string | null }>>(
      `SELECT "runId"::text AS "runId", "stepId" FROM "RunFinding" WHERE "runId" = ANY($1::uuid[])`,
      ids,
    ),
    db.$queryRawUnsafe<Array<{ runId: string; stepId: string; attempt: number; model: string }>>(
      `SELECT "runId", "stepId", "attempt", "model" FROM "AgentUsage" WHERE "runId" = ANY($1::text[])`,
      ids,
    ),
  ]);

  const result = await db.$transaction(async (tx) => {
    const claimed = await tx.$queryRawUnsafe<Array<{ runId: string }>>(
      `INSERT INTO "TrustFoldedRun" ("runId", "reconciledAt")
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[])
       ON CONFLICT ("runId") DO NOTHING RETURNING "runId"::text AS "runId"`,
      ids,
      rows.map((r) => r.reconciledAt),
    );
    const mine = new Set(claimed.map((c) => c.runId));
    const runs: FoldRun[] = [];
    for (const r of rows) {
      const ir = r.irKey ? irs.get(r.irKey) : irs.get(`run:${r.id}`);
      if (!mine.has(r.id) || !ir) continue;
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
    const mineAttempts = attempts.filter(inRuns).map(numericAttempt);
    const deltas = foldRuns(
      {
        runs,
        attempts: mineAttempts,
        deadLetters: deadLetters.filter(inRuns),
        findings: findings.filter(inRuns),
        usage: usage.filter(inRuns).map((u) => ({ ...u, attempt: Number(u.attempt) })),
      },
      config.halfLifeMs,
    );
    if (deltas.length) await upsertDeltas(tx, deltas, config.halfLifeMs);
    const last = rows[rows.length - 1]!;
    if (!opts.late) {
      await tx.$executeRawUnsafe(
        `INSERT INTO "TrustCursor" AS c ("id", "at", "runId") VALUES ($1, $2, $3::uuid)
         ON CONFLICT ("id") DO UPDATE SET "at" = EXCLUDED."at", "runId" = EXCLUDED."runId"
          WHERE (EXCLUDED."at", EXCLUDED."runId") > (c."at", c."runId")`,
        CURSOR_ID,
        last.reconciledAt,
        last.id,
      );
      await tx.$executeRawUnsafe(
        `DELETE FROM "TrustFoldedRun" WHERE "reconciledAt" < $1`,
        new Date(last.reconciledAt.getTime() - 2 * LAG_MS),
      );
    }
    return { runs: runs.length, attempts: mineAttempts.length, entities: deltas.length };
  });
  return { ...result, more: rows.length >= batch };
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

function numericAttempt(a: FoldAttempt): FoldAttempt {
  return {
    ...a,
    attempt: Number(a.attempt),
    durationMs: a.durationMs === null ? null : Number(a.durationMs),
    finishedAt: a.finishedAt === null ? null : Number(a.finishedAt),
  };
}

/** The step table of each run's IR, parsed once per IR (cached by `irKey`). */
async function loadIrs(
  db: Db,
  rows: RunRow[],
): Promise<Map<string, { name: string; steps: Map<string, FoldStep> }>> {
  const out = new Map<string, { name: string; steps: Map<string, FoldStep> }>();
  const missingKeys = new Set<string>();
  const inline: string[] = [];
  for (const r of rows) {
    if (!r.irKey) inline.push(r.id);
    else if (irSteps.has(r.irKey)) out.set(r.irKey, irSteps.get(r.irKey)!);
    else missingKeys.add(r.irKey);
  }
  const read = (text: string) => {
    const ir = JSON.parse(text) as FlowIR;
    return { name: ir.name, steps: foldSteps(ir, baselineOf) };
  };
  if (missingKeys.size) {
    const found = await db.$queryRawUnsafe<Array<{ key: string; ir: string }>>(
      `SELECT "key", "ir" FROM "FlowIr" WHERE "key" = ANY($1::text[])`,
      [...missingKeys],
    );
    for (const f of found) {
      const v = read(f.ir);
      if (irSteps.size >= MAX_CACHED_IRS) irSteps.delete(irSteps.keys().next().value!);
      irSteps.set(f.key, v);
      out.set(f.key, v);
    }
  }
  if (inline.length) {
    const found = await db.$queryRawUnsafe<Array<{ id: string; ir: string }>>(
      `SELECT id::text AS id, ir::text AS ir FROM "Run" WHERE id = ANY($1::uuid[]) AND ir IS NOT NULL`,
      inline,
    );
    for (const f of found) out.set(`run:${f.id}`, read(f.ir));
  }
  return out;
}

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
export interface TrustConsumer {
  /** Stops the loop; waits for a batch in progress. */
  stop(): Promise<void>;
}

/**
 * Starts the consumer's background loop: a batch at once (the restart's catch-up), the next
 * `gapMs` later while batches are full, else every `idleMs` (runs are folded after their
 * reconciliation, which itself follows their end by half a second).
 */
export function startTrustConsumer(
  db: Db,
  logger: { error(obj: object, msg: string): void },
  opts: { batch?: number; gapMs?: number; idleMs?: number; config?: TrustConfig } = {},
): TrustConsumer {
  const gapMs = opts.gapMs ?? 100;
  const idleMs = opts.idleMs ?? 5_000;
  let sweptAt = 0;
  const loop = startBackgroundLoop(async () => {
    const now = Date.now();
    const late = now - sweptAt >= LAG_MS / 2;
    if (late) sweptAt = now;
    return foldFinishedRuns(db, {
      now,
      late,
      ...(opts.batch ? { batch: opts.batch } : {}),
      ...(opts.config ? { config: opts.config } : {}),
    }).then(
      (r) => (r.more || late ? gapMs : idleMs),
      (err: unknown) => {
        logger.error({ err: String(err) }, "trust consumer batch failed");
        return idleMs;
      },
    );
  });
  return { stop: () => loop.stop() };
}
