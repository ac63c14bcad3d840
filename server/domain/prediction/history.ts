/**
 * Reading a workspace's run history for failure prediction, bounded: the most recent
 * {@link MAX_HISTORY_RUNS} runs of saved flow versions started in a time range (sandbox runs
 * left out: their connectors are mocks), their final attempts (rows and the pure-step log, the
 * shared reader of `finished-runs.ts`) and each run's blocks and endpoints from its IR (the trust
 * fold's step table, cached per IR).
 */
import { loadIrs } from "../trust/consumer";
import { readFinishedAttempts, type FinishedRun } from "../finished-runs";
import type { Db } from "../types";
import type { HistAttempt, HistRun } from "./features";
import { stepAt } from "../fan-out-steps";

/** Runs read for training and the backtest, at most (the most recent of the range). */
export const MAX_HISTORY_RUNS = 20_000;
/** Run ids per attempts statement. */
const ATTEMPT_CHUNK = 2_000;

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
  startedAt: Date;
  finishedAt: Date | null;
  inputBytes: number;
  versionCreatedAt: Date | null;
}

function failedOf(status: string): boolean | null {
  if (status === "succeeded") return false;
  if (status === "failed" || status === "compensated") return true;
  return null; // cancelled, or not finished
}

/**
 * The history of runs started in `[from, to)`, newest `limit` of them.
 *
 * @example
 * const h = await readHistory(db, ws, { from: now - 15 * DAY_MS, to: now });
 */
export async function readHistory(
  db: Db,
  workspaceId: string,
  range: { from: number; to: number; limit?: number; workflowIds?: string[] },
): Promise<RunHistory> {
  const limit = Math.min(range.limit ?? MAX_HISTORY_RUNS, MAX_HISTORY_RUNS);
  const rows = await db.$queryRawUnsafe<RunRow[]>(
    `SELECT r.id::text AS id, r."workspaceId"::text AS "workspaceId", r."workflowId"::text AS "workflowId",
            r.version, r.status::text AS status, r."irKey",
            coalesce(r."startedAt", r."createdAt") AS "startedAt", r."finishedAt",
            octet_length(r.inputs::text) AS "inputBytes", v."createdAt" AS "versionCreatedAt"
       FROM "Run" r
       LEFT JOIN "WorkflowVersion" v ON v."workflowId" = r."workflowId" AND v.version = r.version
      WHERE r."workspaceId" = $1::uuid AND r."createdAt" >= $2 AND r."createdAt" < $3
        AND r."sandboxSessionId" IS NULL AND r."workflowId" IS NOT NULL AND r.version IS NOT NULL
        ${range.workflowIds ? `AND r."workflowId" = ANY($5::uuid[])` : ""}
      ORDER BY r."createdAt" DESC
      LIMIT $4`,
    workspaceId,
    new Date(range.from),
    new Date(range.to),
    limit + 1,
    ...(range.workflowIds ? [range.workflowIds] : []),
  );
  const truncated = rows.length > limit;
  if (truncated) rows.length = limit;
  const irs = await loadIrs(
    db,
    rows.map((r): FinishedRun => ({
      ...r,
      reconciledAt: r.finishedAt ?? r.startedAt,
      startedAt: r.startedAt,
    })),
  );
  const stepsOf = (r: RunRow) => irs.get(r.irKey ?? `run:${r.id}`)?.steps;
  const runs: RunHistory["runs"] = rows.map((r) => {
    const steps = [...(stepsOf(r)?.values() ?? [])].filter((s) => s.scored);
    return {
      id: r.id,
      workflowId: r.workflowId,
      version: r.version,
      startedAt: r.startedAt.getTime(),
      finishedAt: r.finishedAt?.getTime() ?? null,
      failed: r.finishedAt ? failedOf(r.status) : null,
      inputBytes: Number(r.inputBytes ?? 0),
      versionCreatedAt: (r.versionCreatedAt ?? r.startedAt).getTime(),
      blocks: [...new Set(steps.map((s) => s.blockKey))],
      endpoints: [...new Set(steps.flatMap((s) => (s.endpoint ? [s.endpoint] : [])))],
    };
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const attempts: HistAttempt[] = [];
  for (let i = 0; i < rows.length; i += ATTEMPT_CHUNK) {
    const ids = rows.slice(i, i + ATTEMPT_CHUNK).map((r) => r.id);
    for (const a of await readFinishedAttempts(db, ids)) {
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
  runs.reverse(); // oldest first
  return { runs, attempts, truncated };
}
