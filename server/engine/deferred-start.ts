/**
 * A side-effect attempt's durable start, written together with its finish (one checkpoint per
 * side effect) unless the attempt is still running after a delay, when it is written on its own
 * so the run view shows the step running. Recovery after a crash re-runs an attempt whose start
 * was never written under the same attempt number and idempotency key.
 */
import type { Checkpoint, Clock, CommitResult } from "./ports";

export class DeferredStart {
  private pending: Checkpoint | undefined;
  private late: Promise<CommitResult> | undefined;
  private readonly timer = new AbortController();

  constructor(start: Checkpoint) {
    this.pending = start;
  }

  /** Takes the start to commit now (alone, or merged into the finish); undefined once taken. */
  take(): Checkpoint | undefined {
    this.timer.abort();
    const cp = this.pending;
    this.pending = undefined;
    return cp;
  }

  /** Commits the start on its own after `ms`, if nobody took it meanwhile. */
  lateAfter(clock: Clock, ms: number, commit: (cp: Checkpoint) => Promise<CommitResult>): void {
    void clock.sleep(ms, this.timer.signal).then(() => {
      if (this.timer.signal.aborted || !this.pending) return;
      const cp = this.pending;
      this.pending = undefined;
      this.late = commit(cp);
      // Awaited (and its failure surfaced) by `settle`.
      this.late.catch(() => undefined);
    });
  }

  /** Stops the delay; resolves with the late start's result when it was written. */
  settle(): Promise<CommitResult | undefined> {
    this.timer.abort();
    return this.late ?? Promise.resolve(undefined);
  }
}

/** `cp` with a pending start merged in (the start's events first). */
export function withStart(start: Checkpoint | undefined, cp: Checkpoint): Checkpoint {
  if (!start) return cp;
  const consume = [...(start.consumeTasks ?? []), ...(cp.consumeTasks ?? [])];
  return {
    ...cp,
    start: start.start,
    consumeTasks: consume.length ? consume : undefined,
    events: [...(start.events ?? []), ...(cp.events ?? [])],
  };
}
