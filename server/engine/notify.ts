/**
 * In-process wake-ups: whoever makes a run due now (start, resume, subflow completion) calls
 * {@link notifyRunDue}; the embedded worker listens and claims at once instead of waiting for
 * its next poll. Across processes pg-boss jobs and the claim poll take over.
 *
 * Run ends travel the same way: the engine's `onRunFinished` hook calls {@link notifyRunFinished}
 * (worker processes also relay it through PostgreSQL NOTIFY), and {@link waitForRunEnd} resolves
 * a synchronous webhook's wait without touching the store.
 */
import type { RunEnd } from "./engine";

type Listener = (runId: string) => void;
type EndListener = (end: RunEnd) => void;

// One registry per process, on globalThis: Next.js bundles instrumentation (the worker) and each
// route separately, so a module-level Set would give each bundle its own, deaf, copy.
const g = globalThis as unknown as {
  __trustflowNotify?: {
    listeners: Set<Listener>;
    endWaiters: Map<string, Set<EndListener>>;
    endListeners: Set<EndListener>;
  };
};
g.__trustflowNotify ??= { listeners: new Set(), endWaiters: new Map(), endListeners: new Set() };
const { listeners, endWaiters, endListeners } = g.__trustflowNotify;

/** Signals that a run is due now. */
export function notifyRunDue(runId: string): void {
  for (const l of listeners) l(runId);
}

/** Subscribes to due runs; returns the unsubscribe function. */
export function onRunDue(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Signals that a run reached a final status. */
export function notifyRunFinished(end: RunEnd): void {
  const waiters = endWaiters.get(end.runId);
  if (waiters) {
    endWaiters.delete(end.runId);
    for (const w of waiters) w(end);
  }
  for (const l of endListeners) l(end);
}

/** Subscribes to every run end (relays to other processes); returns the unsubscribe function. */
export function onRunFinished(listener: EndListener): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

/**
 * Resolves with the run's end, or null after `timeoutMs` (or when `signal` aborts). Register the
 * wait BEFORE the run can finish (i.e. before waking a worker), or check the store afterwards.
 */
export function waitForRunEnd(
  runId: string,
  timeoutMs: number,
  signal?: AbortSignal,
): { promise: Promise<RunEnd | null>; cancel(): void } {
  let cancel = () => {};
  const promise = new Promise<RunEnd | null>((resolve) => {
    const set = endWaiters.get(runId) ?? new Set<EndListener>();
    endWaiters.set(runId, set);
    const done = (end: RunEnd | null) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      set.delete(listener);
      if (set.size === 0 && endWaiters.get(runId) === set) endWaiters.delete(runId);
      resolve(end);
    };
    const listener: EndListener = (end) => done(end);
    const onAbort = () => done(null);
    const timer = setTimeout(() => done(null), timeoutMs);
    set.add(listener);
    signal?.addEventListener("abort", onAbort, { once: true });
    cancel = () => done(null);
  });
  return { promise, cancel: () => cancel() };
}
