/**
 * The history read of failure prediction as it was before it was paged (`readHistory` in
 * `server/domain/prediction/history.ts` before commit 6989c77): the range's runs in one statement
 * (newest `limit` + 1, to tell whether it was cut), mapped at once, then their attempts in chunks
 * of `HISTORY_PAGE` runs. The expected result of the paged read's test and the baseline of its
 * benchmark (`bench/prediction/history-read.ts`). Runs of equal `createdAt`, which that read left
 * in no particular order, are ordered by id, newest first, as the pages are.
 */
import { stepAt } from "@/server/domain/fan-out-steps";
import { readFinishedAttempts, type FinishedRun } from "@/server/domain/finished-runs";
import type { HistAttempt } from "@/server/domain/prediction/features";
import {
  HISTORY_PAGE,
  MAX_HISTORY_RUNS,
  readHistory,
  type RunHistory,
} from "@/server/domain/prediction/history";
import { loadIrs } from "@/server/domain/trust/consumer";
import type { Db } from "@/server/domain/types";

type Range = Parameters<typeof readHistory>[2];

/** A finished run's outcome by its status (cancelled: none). */
const failedOf: Record<string, boolean> = { succeeded: false, failed: true, compensated: true };

interface Row {
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

/** The history of runs started in `[from, to)`, newest `limit` of them, read in one statement. */
export async function readHistoryInOneStatement(
  db: Db,
  workspaceId: string,
  range: Range,
): Promise<RunHistory> {
  const limit = Math.min(range.limit ?? MAX_HISTORY_RUNS, MAX_HISTORY_RUNS);
  const rows = await db.$queryRawUnsafe<Row[]>(
    `SELECT r.id::text AS id, r."workspaceId"::text AS "workspaceId", r."workflowId"::text AS "workflowId",
            r.version, r.status::text AS status, r."irKey",
            coalesce(r."startedAt", r."createdAt") AS "startedAt", r."finishedAt",
            octet_length(r.inputs::text) AS "inputBytes", v."createdAt" AS "versionCreatedAt"
       FROM "Run" r
       LEFT JOIN "WorkflowVersion" v ON v."workflowId" = r."workflowId" AND v.version = r.version
      WHERE r."workspaceId" = $1::uuid AND r."createdAt" >= $2 AND r."createdAt" < $3
        AND r."sandboxSessionId" IS NULL AND r."workflowId" IS NOT NULL AND r.version IS NOT NULL
        ${range.workflowIds ? `AND r."workflowId" = ANY($5::uuid[])` : ""}
      ORDER BY r."createdAt" DESC, r.id DESC
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
    rows.map((r): FinishedRun => ({ ...r, reconciledAt: r.finishedAt ?? r.startedAt })),
  );
  const stepsOf = (r: Row) => irs.get(r.irKey ?? `run:${r.id}`)?.steps;
  const runs = rows.map((r) => {
    const steps = [...(stepsOf(r)?.values() ?? [])].filter((s) => s.scored);
    return {
      id: r.id,
      workflowId: r.workflowId,
      version: r.version,
      startedAt: r.startedAt.getTime(),
      finishedAt: r.finishedAt?.getTime() ?? null,
      failed: r.finishedAt ? (failedOf[r.status] ?? null) : null,
      inputBytes: Number(r.inputBytes ?? 0),
      versionCreatedAt: (r.versionCreatedAt ?? r.startedAt).getTime(),
      blocks: [...new Set(steps.map((s) => s.blockKey))],
      endpoints: [...new Set(steps.flatMap((s) => (s.endpoint ? [s.endpoint] : [])))],
    };
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const attempts: HistAttempt[] = [];
  for (let i = 0; i < rows.length; i += HISTORY_PAGE) {
    const ids = rows.slice(i, i + HISTORY_PAGE).map((r) => r.id);
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
  return { runs: runs.reverse(), attempts, truncated };
}
