/**
 * New fix proposals proved in the background (issue 18, item 4): the loop claims proposals still
 * `proposed`, oldest first, and proves each as the guardian, at most
 * {@link PROOF_CONCURRENCY} at once in this process (each proof runs its runs one after
 * another). Stopping the loop abandons the proofs in progress (their runs are not waited for)
 * and puts them back in the queue; a proof a process that died left `proving` is taken up again
 * after {@link STALE_PROOF_MS}.
 */
import { startBackgroundLoop, type BackgroundLoop } from "../background-loop";
import type { Db } from "../types";
import { claimProof, runProof, type ProofDeps } from "./proof";
import { ensureGuardianUser, guardianActor } from "./review-state";

/** Proofs running at once in one process. */
export const PROOF_CONCURRENCY = 2;
/** A proof `proving` for longer than this was left by a stopped process. */
export const STALE_PROOF_MS = 20 * 60_000;
const IDLE_MS = 5_000;

/** Puts proofs a stopped process left back in the queue; the number put back. */
async function requeueStale(db: Db, now: number): Promise<number> {
  const r = await db.guardianProposal.updateMany({
    where: { status: "proving", updatedAt: { lt: new Date(now - STALE_PROOF_MS) } },
    data: { status: "proposed" },
  });
  return r.count;
}

/**
 * Claims and proves up to `slots` waiting proposals; resolves when they are all proved. The
 * number proved.
 */
export async function proveWaiting(
  deps: ProofDeps,
  slots: number,
  onError: (err: unknown, proposalId: string) => void = () => undefined,
  signal?: AbortSignal,
): Promise<number> {
  await requeueStale(deps.db, Date.now());
  const waiting = await deps.db.guardianProposal.findMany({
    where: { status: "proposed" },
    orderBy: { createdAt: "asc" },
    select: { id: true, workspaceId: true },
    take: slots,
  });
  if (!waiting.length) return 0;
  await ensureGuardianUser(deps.db);
  const claimed: typeof waiting = [];
  for (const w of waiting) if (await claimProof(deps.db, w.id)) claimed.push(w);
  await Promise.all(
    claimed.map((w) =>
      runProof(deps, guardianActor(w.workspaceId), w.id, signal).catch(async (err: unknown) => {
        if (signal?.aborted) {
          // Stopped mid-proof: back to `proposed`, proved again at the next start.
          await deps.db.guardianProposal
            .updateMany({ where: { id: w.id, status: "proving" }, data: { status: "proposed" } })
            .catch(() => undefined);
          return;
        }
        onError(err, w.id);
        // Not proved: back in the queue for the next turn of the loop (after the stale delay).
        await deps.db.guardianProposal
          .updateMany({ where: { id: w.id, status: "proving" }, data: { updatedAt: new Date() } })
          .catch(() => undefined);
      }),
    ),
  );
  return claimed.length;
}

/** Starts the background proofs: one batch at a time, then again at once or after a pause. */
export function startProofLoop(
  deps: ProofDeps,
  logger: { error(obj: object, msg: string): void },
): BackgroundLoop {
  const stopping = new AbortController();
  const loop = startBackgroundLoop(() =>
    proveWaiting(
      deps,
      PROOF_CONCURRENCY,
      (err, proposalId) => logger.error({ err: String(err), proposalId }, "guardian proof failed"),
      stopping.signal,
    ).then(
      (n) => (n > 0 ? 100 : IDLE_MS),
      (err: unknown) => {
        if (!stopping.signal.aborted)
          logger.error({ err: String(err) }, "guardian proof loop failed");
        return IDLE_MS * 6;
      },
    ),
  );
  return {
    wake: loop.wake,
    async stop() {
      stopping.abort(new Error("the process is stopping"));
      await loop.stop();
    },
  };
}
