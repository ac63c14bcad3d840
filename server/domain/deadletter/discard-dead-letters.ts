/** Discarding open dead letters with a reason (editors). */
import { AppError } from "../errors";
import type { Actor } from "../types";
import { mayChange, type DeadLetterDeps } from "./common";
import type { DiscardInput } from "./schemas";

/**
 * Discards open dead letters with a reason: all of them or none (one that is not open, or not
 * of the workspace, refuses the whole request). One ledger entry per dead letter.
 */
export async function discardDeadLetters(
  deps: DeadLetterDeps,
  actor: Actor,
  input: DiscardInput,
): Promise<{ discarded: string[] }> {
  mayChange(actor, "discard dead letters");
  const reason = input.reason.trim();
  if (!reason)
    throw new AppError("INVALID_INPUT", {
      message: "Say why they are discarded.",
      details: { field: "reason" },
    });
  const discarded = await deps.transactor.transaction(async (tx) => {
    const now = Date.now();
    const done = await tx.reprocess.discard(actor.workspaceId, input.ids, {
      label: actor.label,
      reason,
      at: now,
    });
    if (done.length !== input.ids.length)
      throw new AppError("CONFLICT", {
        message: `${input.ids.length - done.length} of the selected dead letters are not open (or not in this workspace): nothing was discarded.`,
        details: { field: "ids" },
      });
    for (const id of done)
      await tx.audit.append(actor, {
        action: "deadletter.discard",
        subjectType: "dead-letter",
        subjectId: id,
        payload: { reason },
      });
    return done;
  });
  return { discarded };
}
