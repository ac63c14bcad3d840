/**
 * The background reconciler of a process: checks ended runs against their flows
 * (`reconcileEndedRuns`) off the request path. A run's end (the notifier's `onRunFinished`)
 * only arms a timer, so the engine and a synchronous webhook never wait for it; the batch runs
 * `gapMs` later, and batches follow each other `gapMs` apart while runs are waiting (at most
 * `batch` runs per gap: a burst of runs is reconciled behind it, never in its way). An idle
 * timer (`idleMs`) catches up runs that ended while no reconciler ran (a restart) or in
 * another process. (An inline run whole in its first checkpoint is reconciled as it is recorded,
 * `reconcileWholeRun`: this loop finds it reconciled already.)
 */
import type { EngineLogger } from "@/server/engine/ports";
import type { RunNotifier } from "./ports";
import { gapAfter, sizeByWork, startBackgroundLoop } from "../background-loop";
import { reconcileEndedRuns, type ReconcileDeps } from "./reconcile-runs";

/**
 * Attempts and events read per batch, about: a batch holds fewer runs when the runs before had
 * many records each (200 runs of a 100-step flow are ~60,000 rows, read and checked on the event
 * loop for ~200 ms), at least ten.
 */
export const RECONCILE_RECORDS = 8_000;

/** The loop's pace. */
export interface ReconcilerOptions {
  /**
   * Runs checked per batch (read and recorded set-based: five statements each). Default 200;
   * fewer while runs have many attempts and events ({@link RECONCILE_RECORDS}).
   */
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
  // A run ended since the current batch began: the batch may have missed it.
  let woken = false;
  /** Records (attempts and events) per run in the last batch that read runs (at first: as if
   * twenty runs held RECONCILE_RECORDS). */
  let perRun = RECONCILE_RECORDS / 20;
  const loop = startBackgroundLoop(async () => {
    woken = false;
    const limit = sizeByWork(batch, perRun, RECONCILE_RECORDS, 10);
    const more = await reconcileEndedRuns(deps, { limit }).then(
      (r) => {
        if (r.read) perRun = r.records / r.read;
        return r.more;
      },
      (err: unknown) => {
        deps.logger.error({ err: String(err) }, "reconciliation batch failed");
        return false;
      },
    );
    // A smaller batch is followed sooner: the same runs per second, in shorter slices.
    return more || woken ? gapAfter(gapMs, limit, batch) : idleMs;
  });
  const unsubscribe = notifier.onRunFinished(() => {
    woken = true;
    loop.wake(gapMs);
  });
  return {
    async stop() {
      unsubscribe();
      await loop.stop();
    },
  };
}
