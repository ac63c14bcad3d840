/**
 * In-process wake-ups and run ends, the {@link RunNotifier} of a process: whoever makes a run
 * due now (start, resume, subflow completion) calls `runDue`; the embedded worker (or, in
 * scale-out mode, the pg-boss producer) listens and claims at once instead of waiting for its
 * next poll. Across processes pg-boss jobs and the claim poll take over.
 *
 * Run ends travel the same way: the engine's `onRunFinished` hook calls `runFinished` (worker
 * processes also relay it through PostgreSQL NOTIFY, `queue/run-end-relay.ts`), and
 * `waitForRunEnd` resolves a synchronous webhook's wait without touching the store.
 *
 * One per process: the composition root (`server/composition.ts`) holds it, so Next.js's
 * bundles (instrumentation with the worker, each route) share the same listeners.
 */
import type { RunNotifier } from "@/server/domain/run/ports";
import type { RunEnd } from "@/server/engine/ports";

type Listener = (runId: string) => void;
type EndListener = (end: RunEnd) => void;

export function createRunNotifier(): RunNotifier {
  const listeners = new Set<Listener>();
  const endWaiters = new Map<string, Set<EndListener>>();
  const endListeners = new Set<EndListener>();
  return {
    runDue(runId) {
      for (const l of listeners) l(runId);
    },
    onRunDue(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    runFinished(end) {
      const waiters = endWaiters.get(end.runId);
      if (waiters) {
        endWaiters.delete(end.runId);
        for (const w of waiters) w(end);
      }
      for (const l of endListeners) l(end);
    },
    onRunFinished(listener) {
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },
    waitForRunEnd(runId, timeoutMs, signal) {
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
    },
  };
}
