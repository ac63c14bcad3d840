/**
 * The background reconciler of a process: checks ended runs against their flows
 * (`reconcileEndedRuns`) off the request path. A run's end (the notifier's `onRunFinished`)
 * only arms a timer, so the engine and a synchronous webhook never wait for it; the batch runs
 * `gapMs` later, and batches follow each other `gapMs` apart while runs are waiting (at most
 * `batch` runs per gap: a burst of runs is reconciled behind it, never in its way). An idle
 * timer (`idleMs`) catches up runs that ended while no reconciler ran (a restart) or in
 * another process.
 */
import type { EngineLogger } from "@/server/engine/ports";
import type { RunNotifier } from "./ports";
import { reconcileEndedRuns, type ReconcileDeps } from "./reconcile-runs";

/** The loop's pace. */
export interface ReconcilerOptions {
  /** Runs checked per batch (read and recorded set-based: five statements each). Default 200. */
  batch?: number;
  /** Delay after a run end, and between full batches. Default 500 ms. */
  gapMs?: number;
  /** Catch-up interval when nothing ends. Default 10 s. */
  idleMs?: number;
}

/** A running reconciler. */
export interface Reconciler {
  /** Stops the loop; waits for a batch in progress. */
  stop(): Promise<void>;
}

/** Starts the loop; the first batch runs at once (the restart's catch-up). */
export function startReconciler(
  deps: ReconcileDeps & { logger: Pick<EngineLogger, "warn" | "error"> },
  notifier: Pick<RunNotifier, "onRunFinished">,
  opts: ReconcilerOptions = {},
): Reconciler {
  const batch = opts.batch ?? 200;
  const gapMs = opts.gapMs ?? 500;
  const idleMs = opts.idleMs ?? 10_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Infinity;
  let running: Promise<boolean> | null = null;
  // A run ended since the current batch began: the batch may have missed it.
  let woken = false;

  const schedule = (ms: number) => {
    if (stopped) return;
    const at = Date.now() + ms;
    if (timer && at >= dueAt) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(tick, ms);
    timer.unref?.();
  };
  function tick() {
    timer = undefined;
    dueAt = Infinity;
    if (running) return; // its end schedules the next batch
    woken = false;
    const batchDone = reconcileEndedRuns(deps, { limit: batch })
      .then((r) => r.more)
      .catch((err: unknown) => {
        deps.logger.error({ err: String(err) }, "reconciliation batch failed");
        return false;
      })
      .finally(() => {
        running = null;
      });
    running = batchDone;
    void batchDone.then((more) => schedule(more || woken ? gapMs : idleMs));
  }
  const unsubscribe = notifier.onRunFinished(() => {
    woken = true;
    schedule(gapMs);
  });
  schedule(0);

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      clearTimeout(timer);
      while (running) await running;
    },
  };
}
