/**
 * The baseline of `history-read.ts`: the history read of failure prediction as it was before it
 * was paged (`server/domain/prediction/history.ts` at main `7cc8285`): the runs of the range in
 * one statement (up to 20,000 rows), mapped in one go, then their attempts in chunks of 2,000
 * runs. Kept to measure the paged read against it side by side, under the same load.
 */
import { readFinishedAttempts, type FinishedRun } from "@/server/domain/finished-runs";
import { stepAt } from "@/server/domain/fan-out-steps";
import type { HistAttempt } from "@/server/domain/prediction/features";
import { MAX_HISTORY_RUNS, type RunHistory } from "@/server/domain/prediction/history";
import { loadIrs } from "@/server/domain/trust/consumer";
import type { Db } from "@/server/domain/types";

/** Run ids per attempts statement. */
const ATTEMPT_CHUNK = 2_000;

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

/** The history of runs started in `[from, to)`, newest `limit` of them, as one statement read it. */
export async function readHistoryInOneStatement(
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
