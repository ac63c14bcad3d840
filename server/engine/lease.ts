/**
 * Keeping a run's lease while it advances: renewed every third of its length, so a live worker
 * keeps its runs and a dead one's runs are claimed by another once the lease expires.
 */
import type { Clock, EngineLogger, RunStore } from "./ports";

/** Renews `runId`'s lease until the returned function is called. */
export function keepLease(
  store: Pick<RunStore, "renewLease">,
  runId: string,
  owner: string,
  clock: Clock,
  leaseMs: number,
  log: EngineLogger,
): () => void {
  const beat = setInterval(
    () => {
      void store
        .renewLease(runId, owner, clock.now(), leaseMs)
        .catch((e: unknown) => log.warn({ runId, err: String(e) }, "lease renewal failed"));
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  return () => clearInterval(beat);
}
