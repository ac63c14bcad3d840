/**
 * In-process wake-ups: whoever makes a run due now (start, resume, subflow completion) calls
 * {@link notifyRunDue}; the embedded worker listens and claims at once instead of waiting for
 * its next poll. Across processes the poll (and pg-boss in part 2) takes over.
 */
type Listener = (runId: string) => void;
const listeners = new Set<Listener>();

/** Signals that a run is due now. */
export function notifyRunDue(runId: string): void {
  for (const l of listeners) l(runId);
}

/** Subscribes to due runs; returns the unsubscribe function. */
export function onRunDue(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
