/**
 * Interrupted eval runs: a runner lives in the process that started it and moves its eval run's
 * heartbeat while it works (`evals-runner.ts`); an eval run still `running` whose heartbeat is
 * older than {@link STALE_MS} belonged to a process that stopped, and
 * {@link sweepInterruptedEvalRuns} marks it `interrupted` with the reason and the metrics of
 * the samples it recorded (it is not resumed: start it again). Readers of suites and eval runs
 * sweep first.
 */
import type { Db } from "../types";
import { summarize } from "./evals-metrics";
import { samplesOf } from "./evals-records";
import { isRunningHere } from "./evals-runner";

/** A running eval run whose heartbeat is older than this is interrupted. */
export const STALE_MS = 60_000;
/** Interrupted eval runs one sweep marks at most. */
const SWEEP_BATCH = 50;

/**
 * Marks eval runs whose runner stopped (still `running`, heartbeat older than {@link STALE_MS},
 * not run by this process) as `interrupted`, with the reason and the metrics of the samples
 * they recorded. Returns the ids it marked.
 */
export async function sweepInterruptedEvalRuns(db: Db, now = Date.now()): Promise<string[]> {
  const stale = await db.evalRun.findMany({
    where: { status: "running", heartbeatAt: { lt: new Date(now - STALE_MS) } },
    select: { id: true, done: true, total: true, heartbeatAt: true },
    orderBy: { heartbeatAt: "asc" },
    take: SWEEP_BATCH,
  });
  const marked: string[] = [];
  for (const r of stale) {
    if (isRunningHere(r.id)) continue;
    const summary = summarize(await samplesOf(db, r.id));
    const { count } = await db.evalRun.updateMany({
      where: { id: r.id, status: "running" },
      data: {
        status: "interrupted",
        error: `Interrupted: the server running this suite stopped (no progress since ${r.heartbeatAt.toISOString()}). ${r.done} of ${r.total} samples were recorded and are kept; start the suite again for a complete result.`,
        summary: summary as unknown as object,
        finishedAt: new Date(now),
      },
    });
    if (count) marked.push(r.id);
  }
  return marked;
}
