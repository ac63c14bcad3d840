/**
 * Executes an eval run: every dataset row × n repetitions as a sample (`evals-sample.ts`), at
 * most {@link EVAL_CONCURRENCY} at once, skipping samples already recorded; at the end the
 * metrics (`evals-metrics.ts`) are stored with the eval run and its final status.
 *
 * Durability: the runner lives in the process that started it. While it works, it moves the eval
 * run's `heartbeatAt` at least every {@link HEARTBEAT_MS}; an eval run still `running` whose
 * heartbeat went stale belonged to a process that stopped, and `evals-sweep.ts` continues it
 * (from the samples not yet recorded) or, when it cannot, marks it failed with the reason.
 */
import type { Actor } from "../types";
import { summarize } from "./evals-metrics";
import type { EvalPlan } from "./evals-plan";
import type { EvalDeps } from "./evals-ports";
import { clearRoutePreferences } from "./evals-preference";
import { samplesOf } from "./evals-records";
import { FatalStart, runSample } from "./evals-sample";
import { EVAL_CONCURRENCY } from "./evals-schemas";

/** How often a working runner moves its eval run's heartbeat. */
export const HEARTBEAT_MS = 10_000;

/** Runners working in this process, by eval run id (tests and the CLI await them). */
const active = new Map<string, Promise<void>>();

/** Resolves when this process's runner of `evalRunId` ends (at once when there is none). */
export function evalRunSettled(evalRunId: string): Promise<void> {
  return active.get(evalRunId) ?? Promise.resolve();
}

/** Whether this process runs `evalRunId`. */
export function isRunningHere(evalRunId: string): boolean {
  return active.has(evalRunId);
}

/**
 * Runs the plan's samples (rows × repetitions, repetition by repetition, so every row's first
 * repetition runs before any second one), {@link EVAL_CONCURRENCY} at once, skipping samples
 * already recorded; then stores the metrics and the final status. Never rejects: a failure is
 * the eval run's `failed` status and error.
 */
export function executeEvalRun(deps: EvalDeps, actor: Actor, plan: EvalPlan): Promise<void> {
  const existing = active.get(plan.evalRunId);
  if (existing) return existing;
  const work = (async () => {
    const beat = setInterval(() => {
      void deps.db.evalRun
        .updateMany({
          where: { id: plan.evalRunId, status: "running" },
          data: { heartbeatAt: new Date(deps.now?.() ?? Date.now()) },
        })
        .catch(() => undefined);
    }, HEARTBEAT_MS);
    beat.unref?.();
    let status: "completed" | "failed" = "completed";
    let error: string | null = null;
    try {
      const done = new Set(
        (
          await deps.db.evalResult.findMany({
            where: { evalRunId: plan.evalRunId },
            select: { rowIndex: true, repetition: true },
          })
        ).map((r) => `${r.rowIndex}:${r.repetition}`),
      );
      const queue: Array<[number, number]> = [];
      for (let rep = 0; rep < plan.repetitions; rep++) {
        for (let row = 0; row < plan.rows.length; row++) {
          if (!done.has(`${row}:${rep}`)) queue.push([row, rep]);
        }
      }
      let fatal: Error | null = null;
      const worker = async () => {
        for (;;) {
          if (fatal) return;
          const next = queue.shift();
          if (!next) return;
          try {
            await runSample(deps, actor, plan, next[0], next[1]);
          } catch (e) {
            fatal ??= e as Error;
          }
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(EVAL_CONCURRENCY, queue.length || 1) }, worker),
      );
      // Assigned by the workers (TypeScript cannot see it from here).
      const stopped = fatal as Error | null;
      if (stopped) {
        status = "failed";
        error =
          stopped instanceof FatalStart
            ? `Stopped: ${stopped.message}`
            : `Stopped by an internal error: ${stopped.message}`;
      }
    } catch (e) {
      status = "failed";
      error = `Stopped by an internal error: ${(e as Error).message}`;
    } finally {
      clearInterval(beat);
    }
    try {
      const summary = summarize(await samplesOf(deps.db, plan.evalRunId));
      await deps.db.evalRun.updateMany({
        where: { id: plan.evalRunId, status: "running" },
        data: {
          status,
          error,
          summary: summary as unknown as object,
          finishedAt: new Date(deps.now?.() ?? Date.now()),
          heartbeatAt: new Date(deps.now?.() ?? Date.now()),
        },
      });
      // A steering suite's new results take effect at the router's next lookup.
      clearRoutePreferences(plan.workspaceId);
    } catch {
      // The database is gone: the sweep picks the run up once its heartbeat is stale.
    }
  })().finally(() => active.delete(plan.evalRunId));
  active.set(plan.evalRunId, work);
  return work;
}
