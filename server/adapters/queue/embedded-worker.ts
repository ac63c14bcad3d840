/**
 * The embedded worker: a loop in the web process that claims due runs from the store and
 * advances them. Low latency from in-process wake-ups (`notify.ts`), robustness from polling;
 * each claimed run is leased and its lease renewed by a heartbeat while it advances. A run whose
 * worker died is claimed by another once its lease expires. `stop()` stops claiming, lets
 * running advances reach their next checkpoint and releases their leases.
 */
import type { RunNotifier } from "@/server/domain/run/ports";
import type { AdvanceResult } from "@/server/engine/advance";
import type { Engine } from "@/server/engine/engine";
import { keepLease } from "@/server/engine/lease";
import { deadLetterSize } from "@/server/adapters/metrics/prom-metrics";
import { logger } from "@/server/logger";

/** Options of {@link startEmbeddedWorker}. */
export interface EmbeddedWorkerOptions {
  /** The engine that advances the runs (built by the composition root). */
  engine: Engine;
  /** Poll interval when idle. Default 500 ms. */
  pollMs?: number;
  /** Lease length; renewed every third of it. Default 30 s. */
  leaseMs?: number;
  /** Runs advanced at once. Default 8. */
  concurrency?: number;
  /** Leased runs per workspace at most. Default 4. */
  perWorkspaceLimit?: number;
  /** How long `stop()` waits for advances before abandoning them to lease expiry. Default 10 s. */
  stopTimeoutMs?: number;
  /** Called after each advance (the pg-boss worker enqueues the parked run's next wake-up). */
  onAdvanced?: (runId: string, result: AdvanceResult) => void;
}

/** A running worker. */
export interface EmbeddedWorker {
  engine: Engine;
  /** Claims now instead of at the next poll. */
  wake(): void;
  /** Stops gracefully. */
  stop(): Promise<void>;
}

/**
 * Starts the embedded worker: `engine` advances the runs, `host.notifier`'s wake-ups make it
 * claim at once.
 */
export function startEmbeddedWorker(
  host: { notifier: Pick<RunNotifier, "onRunDue"> },
  opts: EmbeddedWorkerOptions,
): EmbeddedWorker {
  const engine = opts.engine;
  const { store, clock, workerId } = engine.deps;
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = opts.leaseMs ?? 30_000;
  const concurrency = opts.concurrency ?? 8;
  const log = logger().child({ workerId });
  const shutdown = new AbortController();
  const active = new Map<string, Promise<void>>();
  let stopped = false;
  let wakeUp: (() => void) | undefined;
  let pending = false;

  const wake = () => {
    pending = true;
    wakeUp?.();
  };
  const unsubscribe = host.notifier.onRunDue(wake);
  void store.countDeadLetters().then(
    (n) => deadLetterSize.set(n),
    () => undefined,
  );

  async function advance(run: Awaited<ReturnType<typeof store.claimRuns>>[number]) {
    const release = keepLease(store, run.id, workerId, clock, leaseMs, log);
    try {
      if (run.dueAt !== null) engine.deps.metrics.queueLag(Math.max(0, clock.now() - run.dueAt));
      const result = await engine.advance(run, { signal: shutdown.signal });
      opts.onAdvanced?.(run.id, result);
    } catch (e) {
      // The lease expires and another worker (or this one) picks the run up again.
      log.error({ runId: run.id, err: String(e) }, "advance failed");
    } finally {
      release();
    }
  }

  const loop = (async () => {
    while (!stopped) {
      pending = false;
      const free = concurrency - active.size;
      if (free > 0) {
        try {
          const runs = await store.claimRuns({
            owner: workerId,
            now: clock.now(),
            leaseMs,
            limit: free,
            perWorkspaceLimit: opts.perWorkspaceLimit ?? 4,
          });
          for (const run of runs) {
            const p = advance(run).finally(() => {
              active.delete(run.id);
              wake();
            });
            active.set(run.id, p);
          }
          if (runs.length === free) continue;
        } catch (e) {
          log.error({ err: String(e) }, "claim failed");
        }
      }
      if (pending || stopped) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  })();

  return {
    engine,
    wake,
    async stop() {
      stopped = true;
      unsubscribe();
      wakeUp?.();
      await loop;
      const all = Promise.all(active.values());
      const timeout = new Promise<void>((r) => setTimeout(r, opts.stopTimeoutMs ?? 10_000).unref());
      await Promise.race([all, timeout]);
      shutdown.abort();
      await Promise.race([all, new Promise<void>((r) => setTimeout(r, 1_000).unref())]);
    },
  };
}
