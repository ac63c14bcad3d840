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

/**
 * A batch sized by the work its items carried before (the followers of finished runs): `full`
 * items, fewer when the items of the batch before averaged `perItem` units of work each and
 * `full` of them would hold more than `budget`, but at least `min` (and never more than `full`).
 */
export function sizeByWork(full: number, perItem: number, budget: number, min: number): number {
  if (!(perItem > 0)) return full;
  return Math.min(full, Math.max(min, Math.floor(budget / perItem)));
}

/**
 * The pause after a batch of `size` items where `full` were the loop's size: `gapMs`, shortened
 * in proportion for a smaller batch (the same items per second, in shorter slices), at least
 * 10 ms (or `gapMs` when that is shorter).
 */
export function gapAfter(gapMs: number, size: number, full: number): number {
  return size >= full ? gapMs : Math.max(Math.min(gapMs, 10), (gapMs * size) / full);
}
