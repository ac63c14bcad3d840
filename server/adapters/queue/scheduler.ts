/**
 * The cron scheduler loop: every `intervalMs` it fires the due schedules
 * (`fireDueSchedules`). Safe to run in any number of processes: each fire time is claimed by a
 * unique `ScheduleFire` row, so exactly one run starts per flow and fire time.
 */
import type { EngineLogger } from "@/server/engine/ports";

/**
 * Fires the schedules due at `now` (the use case `fireDueSchedules`, handed in by the
 * composition root: an adapter calls no use case itself).
 */
export type FireDueSchedules = (
  now: number,
  opts: { lookbackMs?: number; onError?: (err: unknown, workflowId: string) => void },
) => Promise<{
  started: Array<{ workflowId: string; fireAt: number; runId: string }>;
  refused: Array<{ workflowId: string; fireAt: number; reason: string }>;
}>;

/** Starts the loop; `stop()` waits for a tick in progress. */
export function startScheduler(
  fireDueSchedules: FireDueSchedules,
  log: EngineLogger,
  opts: { intervalMs?: number; lookbackMs?: number } = {},
): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      const r = await fireDueSchedules(Date.now(), {
        lookbackMs: opts.lookbackMs,
        onError: (err, workflowId) =>
          log.error({ err: String(err), workflowId }, "schedule fire failed"),
      });
      for (const s of r.started)
        log.info(
          { runId: s.runId, workflowId: s.workflowId, fireAt: new Date(s.fireAt).toISOString() },
          "schedule fired",
        );
      for (const s of r.refused)
        log.warn({ workflowId: s.workflowId, reason: s.reason }, "schedule fire refused");
    } catch (err) {
      log.error({ err: String(err) }, "scheduler tick failed");
    }
  };
  const loop = () => {
    if (stopped) return;
    running = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, opts.intervalMs ?? 5_000);
    });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
