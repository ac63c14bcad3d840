/**
 * What the "outside the schedule" rule (`schedule.ts`) needs beyond the batch the consumer
 * folded, read only for runs of scheduled flows: who started each run (one read of their `Run`
 * rows) and the flows' usual p95 run duration (their `AnomalyEntity` baselines, one read).
 */
import type { FinishedAttempt } from "../finished-runs";
import type { Db } from "../types";
import type { FoldRunIn } from "./fold";
import type { ScheduledRunIn } from "./schedule";
import { stepAt } from "../fan-out-steps";

/** The batch's runs of scheduled flows as the rule reads them, and their flows' p95 lookup. */
export async function scheduledRuns(
  db: Pick<Db, "$queryRawUnsafe">,
  scheduled: ReadonlyArray<{ run: FoldRunIn; cron: string }>,
  attempts: readonly FinishedAttempt[],
): Promise<{ runs: ScheduledRunIn[]; p95RunMs: (workflowId: string) => number | null }> {
  const ids = scheduled.map((s) => s.run.id);
  const flows = [...new Set(scheduled.map((s) => s.run.workflowId!))];
  const [meta, baselines] = await Promise.all([
    db.$queryRawUnsafe<
      Array<{
        id: string;
        startedBy: string | null;
        startedByUserId: string | null;
        parentRunId: string | null;
        replayOfRunId: string | null;
        createdAt: Date;
      }>
    >(
      `SELECT id::text AS id, "startedBy", "startedByUserId"::text AS "startedByUserId",
              "parentRunId"::text AS "parentRunId", "replayOfRunId"::text AS "replayOfRunId", "createdAt"
         FROM "Run" WHERE id = ANY($1::uuid[])`,
      ids,
    ),
    db.$queryRawUnsafe<Array<{ key: string; p95: number | null }>>(
      `SELECT key, (baseline->'p95_latency'->>'median')::float8 AS p95
         FROM "AnomalyEntity"
        WHERE "workspaceId" = ANY($1::uuid[]) AND kind = 'flow' AND key = ANY($2::text[])`,
      [...new Set(scheduled.map((s) => s.run.workspaceId))],
      flows,
    ),
  ]);
  const byId = new Map(meta.map((m) => [m.id, m]));
  const p95 = new Map(baselines.map((b) => [b.key, b.p95 === null ? null : Number(b.p95)]));
  const byRun = new Map<string, FinishedAttempt[]>();
  for (const a of attempts) {
    const list = byRun.get(a.runId);
    if (list) list.push(a);
    else byRun.set(a.runId, [a]);
  }
  const runs: ScheduledRunIn[] = [];
  for (const { run, cron } of scheduled) {
    const m = byId.get(run.id);
    if (!m) continue;
    const calls: ScheduledRunIn["calls"] = [];
    const parked: ScheduledRunIn["parked"] = [];
    for (const a of byRun.get(run.id) ?? []) {
      const step = stepAt(run.steps, a.stepId);
      const at = a.finishedAt ?? run.finishedAt;
      if (!step) continue;
      if (step.blockKind === "human") parked.push({ from: at - (a.durationMs ?? 0), to: at });
      else if (step.endpoint) calls.push({ endpoint: step.endpoint, at, write: step.write });
    }
    runs.push({
      id: run.id,
      workspaceId: run.workspaceId,
      workflowId: run.workflowId!,
      flowName: run.flowName,
      cron,
      startedAt: run.startedAt ?? m.createdAt.getTime(),
      startedBy: m.startedBy,
      startedByUserId: m.startedByUserId,
      parentRunId: m.parentRunId,
      replayOfRunId: m.replayOfRunId,
      calls,
      parked,
    });
  }
  return { runs, p95RunMs: (w) => p95.get(w) ?? null };
}
