/**
 * A background loop of a process (the reconciler, the reprocess runner, the approval sweep and
 * webhook deliveries): runs `step` one at a time; `step` answers how long to wait before the
 * next run (it handles its own errors). `wake(ms)` brings the next run forward to at most `ms`
 * from now, never later than already planned; a wake while `step` runs takes effect when it
 * ends. The first run is at once. Its timer never keeps the process alive.
 */
export interface BackgroundLoop {
  wake(ms: number): void;
  /** Stops the loop; waits for a run in progress. */
  stop(): Promise<void>;
}

export function startBackgroundLoop(step: () => Promise<number>): BackgroundLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Infinity;
  let running: Promise<void> | null = null;

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
    if (running) return; // its end schedules the next run
    running = step().then((next) => {
      running = null;
      schedule(next);
    });
  }
  schedule(0);
  return {
    wake: schedule,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      while (running) await running;
    },
  };
}
