/**
 * Per-step statistics of a flow for the studio (issue 17): per step, over the last 7 or 30 days,
 * how many runs reached it, its success rate (of its final attempts), p50/p95 latency of its
 * finished attempts, its retries and its last failure (with the run).
 *
 * One bounded query on indexed columns, no aggregate table: the flow's latest
 * {@link STEP_STATS_MAX_RUNS} runs of the window (`Run_workflowId_createdAt_idx`, sandbox runs
 * left out: they call mocks), their attempt rows (the `(runId, stepId, attempt)` key) and their
 * pure steps' log (`RunStepLog_runId_idx`), aggregated in SQL. A flow with more runs in the
 * window is judged on its latest ones, and the answer says so (`capped`). Figures are in
 * `bench/RESULTS.md` ("Per-step statistics").
 */
import { z } from "zod";
import { notFound } from "../errors";
import type { Actor, Db } from "../types";

/** Runs of the window read at most (the newest). */
export const STEP_STATS_MAX_RUNS = 2_000;

export const ZStepStatsInput = z.object({
  workflowId: z.uuid("Not a workflow id."),
  days: z.union([z.literal(7), z.literal(30)]).default(7),
});

/** One step's figures. */
export interface StepStats {
  stepId: string;
  /** Runs in which the step finished (succeeded or failed, retries aside). */
  runs: number;
  /** Of those, the share whose final attempt succeeded (0..1), null without runs. */
  successRate: number | null;
  /** Latency of its finished attempts, ms. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** Attempts after the first (retries). */
  retries: number;
  lastFailure: { runId: string; at: string; message: string } | null;
}

const SQL = `
WITH runs AS (
  SELECT r.id FROM "Run" r
   WHERE r."workflowId" = $1::uuid AND r."workspaceId" = $2::uuid AND r."createdAt" >= $3
     AND r."sandboxSessionId" IS NULL
   ORDER BY r."createdAt" DESC LIMIT $4
), att AS (
  SELECT a."runId", a."stepId", a."attempt", a."status", a."durationMs",
         a."error"->>'message' AS "message", a."finishedAt"
    FROM "StepAttempt" a
   WHERE a."runId" IN (SELECT id FROM runs) AND a."status" IN ('succeeded', 'failed')
  UNION ALL
  SELECT l."runId", x."stepId", x."attempt", x."status", x."durationMs",
         x."error"->>'message', to_timestamp(x."finishedAt" / 1000.0)
    FROM "RunStepLog" l,
         json_to_recordset(l."attempts") AS x("stepId" text, "attempt" int, "status" text,
           "durationMs" int, "error" json, "finishedAt" float8)
   WHERE l."runId" IN (SELECT id FROM runs) AND l."attempts" IS NOT NULL
     AND x."status" IN ('succeeded', 'failed')
     AND NOT EXISTS (SELECT 1 FROM "StepAttempt" a
       WHERE a."runId" = l."runId" AND a."stepId" = x."stepId" AND a."attempt" = x."attempt")
), final AS (
  SELECT DISTINCT ON ("runId", "stepId") "stepId", "status"
    FROM att ORDER BY "runId", "stepId", "attempt" DESC
), last AS (
  SELECT DISTINCT ON ("stepId") "stepId", "runId"::text AS "runId", "finishedAt", "message"
    FROM att WHERE "status" = 'failed' ORDER BY "stepId", "finishedAt" DESC NULLS LAST
)
SELECT s."stepId", f."runs", f."ok", s."retries", s."p50", s."p95",
       last."runId" AS "lastRunId", last."finishedAt" AS "lastAt", last."message" AS "lastMessage",
       (SELECT count(*) FROM runs)::int AS "inWindow"
  FROM (SELECT "stepId", count(*) FILTER (WHERE "attempt" > 1)::int AS "retries",
               percentile_cont(0.5) WITHIN GROUP (ORDER BY "durationMs") AS "p50",
               percentile_cont(0.95) WITHIN GROUP (ORDER BY "durationMs") AS "p95"
          FROM att GROUP BY "stepId") s
  JOIN (SELECT "stepId", count(*)::int AS "runs",
               count(*) FILTER (WHERE "status" = 'succeeded')::int AS "ok"
          FROM final GROUP BY "stepId") f ON f."stepId" = s."stepId"
  LEFT JOIN last ON last."stepId" = s."stepId"
 ORDER BY s."stepId"`;

interface Row {
  stepId: string;
  runs: number;
  ok: number;
  retries: number;
  p50: number | null;
  p95: number | null;
  lastRunId: string | null;
  lastAt: Date | null;
  lastMessage: string | null;
  inWindow: number;
}

const ms = (x: number | null) => (x === null ? null : Math.round(Number(x)));

/**
 * The per-step statistics of a workflow of the actor's workspace.
 *
 * @example
 * await stepStats(db, actor, { workflowId, days: 7 }, Date.now());
 * // { days: 7, runs: 120, capped: false, steps: [{ stepId: "charge", runs: 118, successRate: 0.97, p50Ms: 41, ... }] }
 */
export async function stepStats(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZStepStatsInput>,
  now: number,
  /** Runs of the window read at most (the bench compares it with all of them). */
  maxRuns = STEP_STATS_MAX_RUNS,
): Promise<{ days: number; from: string; runs: number; capped: boolean; steps: StepStats[] }> {
  const wf = await db.workflow.findFirst({
    where: { id: input.workflowId, workspaceId: actor.workspaceId, deletedAt: null },
    select: { id: true },
  });
  if (!wf) throw notFound("Workflow");
  const from = new Date(now - input.days * 86_400_000);
  const rows = await db.$queryRawUnsafe<Row[]>(SQL, wf.id, actor.workspaceId, from, maxRuns);
  let inWindow = rows[0]?.inWindow ?? 0;
  if (!rows.length) {
    const [c] = await db.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM "Run" WHERE "workflowId" = $1::uuid
         AND "workspaceId" = $2::uuid AND "createdAt" >= $3 AND "sandboxSessionId" IS NULL
         LIMIT $4) x`,
      wf.id,
      actor.workspaceId,
      from,
      maxRuns,
    );
    inWindow = c?.n ?? 0;
  }
  return {
    days: input.days,
    from: from.toISOString(),
    runs: Number(inWindow),
    capped: Number(inWindow) >= maxRuns,
    steps: rows.map((r) => ({
      stepId: r.stepId,
      runs: Number(r.runs),
      successRate: Number(r.runs)
        ? Math.round((Number(r.ok) / Number(r.runs)) * 1000) / 1000
        : null,
      p50Ms: ms(r.p50),
      p95Ms: ms(r.p95),
      retries: Number(r.retries),
      lastFailure:
        r.lastRunId && r.lastAt
          ? {
              runId: r.lastRunId,
              at: new Date(r.lastAt).toISOString(),
              message: r.lastMessage ?? "",
            }
          : null,
    })),
  };
}
