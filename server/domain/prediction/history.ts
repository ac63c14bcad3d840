/**
 * Reading a workspace's run history for failure prediction, bounded: the most recent
 * {@link MAX_HISTORY_RUNS} runs of saved flow versions started in a time range (sandbox runs
 * left out: their connectors are mocks), their final attempts (rows and the pure-step log, the
 * shared reader of `finished-runs.ts`) and each run's blocks and endpoints from its IR (the trust
 * fold's step table, cached per IR).
 *
 * Read in pages, newest first, because the read runs on the web process's event loop (hourly per
 * workspace for a training, every 10 s per busy workspace for the run-start index). Read as one
 * statement, the 20,000 rows' conversion (~50–70 ms) and their mapping, in the same turn of the
 * loop (~100 ms), held every request for 145–360 ms at a time (bench/RESULTS.md, "The history
 * read in pages"). A page is one statement of {@link HISTORY_PAGE} runs, keyset-paged on
 * `("createdAt", id)` (an index range, no offset), mapped, then one statement for its runs'
 * attempts; the loop turns between them, so the longest hold is about one statement's
 * conversion or one page's mapping. Through Prisma's raw query as before: the domain is given
 * no other client, and the raw driver's own row parsing costs as much per page (bench).
 */
import { loadIrs } from "../trust/consumer";
import { readFinishedAttempts, type FinishedRun } from "../finished-runs";
import type { Db } from "../types";
import type { HistAttempt, HistRun } from "./features";
import { stepAt } from "../fan-out-steps";
import type { FoldStep } from "../trust/fold";

/** Runs read for training and the backtest, at most (the most recent of the range). */
export const MAX_HISTORY_RUNS = 20_000;
/** Runs per page: one runs statement, then one attempts statement for them. */
export const HISTORY_PAGE = 2_000;

export interface RunHistory {
  runs: Array<HistRun & { version: string }>;
  attempts: HistAttempt[];
  /** The range was cut to the most recent runs. */
  truncated: boolean;
}

interface RunRow {
  id: string;
  workspaceId: string;
  workflowId: string;
  version: string;
  status: string;
  irKey: string | null;
  /** The page key with `id` (millisecond column: a `Date` carries it exactly). */
  createdAt: Date;
  startedAt: Date;
  finishedAt: Date | null;
  inputBytes: number;
  versionCreatedAt: Date | null;
}

type Range = { from: number; to: number; workflowIds?: string[] };
/** A run's step table, as `loadIrs` gives it (one object per IR: the key of `entitiesOf`). */
type Steps = ReadonlyMap<string, FoldStep>;
/** The blocks and endpoints of an IR's scored steps, in step order, each once. */
type Entities = { blocks: string[]; endpoints: string[] };

function failedOf(status: string): boolean | null {
  if (status === "succeeded") return false;
  if (status === "failed" || status === "compensated") return true;
  return null; // cancelled, or not finished
}

/**
 * Lets the event loop turn (timers, sockets) before the next slice of the read. On PostgreSQL a
 * statement's wait lets it turn anyway; PGlite runs its statements on this loop, so there only
 * these turns split the read.
 */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The statement of up to `take` runs of the range, newest first (ties by id), past `after` (the
 * last run of the page before) when given. Exported for `bench/prediction/history-read.ts`,
 * which times it alone.
 */
export function runsPageQuery(
  workspaceId: string,
  range: Range,
  take: number,
  after?: Pick<RunRow, "createdAt" | "id">,
): { text: string; values: unknown[] } {
  const values: unknown[] = [workspaceId, new Date(range.from), new Date(range.to), take];
  const arg = (v: unknown) => `$${values.push(v)}`;
  const byFlow = range.workflowIds
    ? `AND r."workflowId" = ANY(${arg(range.workflowIds)}::uuid[])`
    : "";
  let past = "";
  if (after) {
    const at = `${arg(after.createdAt)}::timestamptz`;
    // The first term bounds the index scan; the row comparison breaks the ties.
    past = `AND r."createdAt" <= ${at} AND (r."createdAt", r.id) < (${at}, ${arg(after.id)}::uuid)`;
  }
  const text = `SELECT r.id::text AS id, r."workspaceId"::text AS "workspaceId", r."workflowId"::text AS "workflowId",
            r.version, r.status::text AS status, r."irKey", r."createdAt",
            coalesce(r."startedAt", r."createdAt") AS "startedAt", r."finishedAt",
            octet_length(r.inputs::text) AS "inputBytes", v."createdAt" AS "versionCreatedAt"
       FROM "Run" r
       LEFT JOIN "WorkflowVersion" v ON v."workflowId" = r."workflowId" AND v.version = r.version
      WHERE r."workspaceId" = $1::uuid AND r."createdAt" >= $2 AND r."createdAt" < $3
        AND r."sandboxSessionId" IS NULL AND r."workflowId" IS NOT NULL AND r.version IS NOT NULL
        ${byFlow} ${past}
      ORDER BY r."createdAt" DESC, r.id DESC
      LIMIT $4`;
  return { text, values };
}

/** One page of runs ({@link runsPageQuery}). */
function readRunsPage(
  db: Db,
  workspaceId: string,
  range: Range,
  take: number,
  after: RunRow | undefined,
): Promise<RunRow[]> {
  const q = runsPageQuery(workspaceId, range, take, after);
  return db.$queryRawUnsafe<RunRow[]>(q.text, ...q.values);
}

/** The blocks and endpoints of `steps`' scored steps (derived once per IR per read). */
function entitiesOf(cache: Map<Steps, Entities>, steps: Steps | undefined): Entities {
  if (!steps) return { blocks: [], endpoints: [] };
  let e = cache.get(steps);
  if (!e) {
    const scored = [...steps.values()].filter((s) => s.scored);
    e = {
      blocks: [...new Set(scored.map((s) => s.blockKey))],
      endpoints: [...new Set(scored.flatMap((s) => (s.endpoint ? [s.endpoint] : [])))],
    };
    cache.set(steps, e);
  }
  return e;
}

/**
 * The history of runs started in `[from, to)`, newest `limit` of them (runs created in the same
 * millisecond ordered by id; the single statement used before paging left them unordered).
 *
 * @example
 * const h = await readHistory(db, ws, { from: now - 15 * DAY_MS, to: now });
 */
export async function readHistory(
  db: Db,
  workspaceId: string,
  range: Range & { limit?: number },
): Promise<RunHistory> {
  const limit = Math.min(range.limit ?? MAX_HISTORY_RUNS, MAX_HISTORY_RUNS);
  const runs: RunHistory["runs"] = []; // newest first until the end
  const attempts: HistAttempt[] = [];
  const entities = new Map<Steps, Entities>();
  let after: RunRow | undefined;
  for (;;) {
    // One run past the page: whether the range goes on (past `limit`: it was cut).
    const take = Math.min(HISTORY_PAGE, limit - runs.length);
    const rows = await readRunsPage(db, workspaceId, range, take + 1, after);
    const more = rows.length > take;
    if (more) rows.length = take;
    if (rows.length) {
      const irs = await loadIrs(
        db,
        rows.map((r): FinishedRun => ({ ...r, reconciledAt: r.finishedAt ?? r.startedAt })),
      );
      const stepsOf = (r: RunRow) => irs.get(r.irKey ?? `run:${r.id}`)?.steps;
      for (const r of rows) {
        const e = entitiesOf(entities, stepsOf(r));
        runs.push({
          id: r.id,
          workflowId: r.workflowId,
          version: r.version,
          startedAt: r.startedAt.getTime(),
          finishedAt: r.finishedAt?.getTime() ?? null,
          failed: r.finishedAt ? failedOf(r.status) : null,
          inputBytes: Number(r.inputBytes ?? 0),
          versionCreatedAt: (r.versionCreatedAt ?? r.startedAt).getTime(),
          blocks: [...e.blocks],
          endpoints: [...e.endpoints],
        });
      }
      await yieldToLoop();
      const byId = new Map(rows.map((r) => [r.id, r]));
      const read = await readFinishedAttempts(
        db,
        rows.map((r) => r.id),
      );
      for (const a of read) {
        const steps = stepsOf(byId.get(a.runId)!);
        const step = steps && stepAt(steps, a.stepId);
        if (!step?.scored || a.finishedAt === null) continue;
        attempts.push({
          block: step.blockKey,
          endpoint: step.endpoint,
          finishedAt: a.finishedAt,
          failed: a.status === "failed",
          retry: a.attempt > 1,
          breakerRefused: a.errorName === "BreakerOpenError",
        });
      }
    }
    if (!more || runs.length >= limit) {
      runs.reverse(); // oldest first
      return { runs, attempts, truncated: more };
    }
    after = rows[rows.length - 1];
    await yieldToLoop();
  }
}
