/**
 * The effect of a decided step or form approval: the decision reaches the parked step as the
 * engine's `resume` signal, in the transaction that records it; a worker is woken after the
 * commit. `decidedBy` names every approver of the quorum.
 */
import { randomUUID } from "node:crypto";
import type { RunNotifier } from "../run/ports";
import type { ApprovalEffect } from "./ports";

/** The step and form effect, waking runs through `notifier`. */
export function stepApprovalEffect(notifier: Pick<RunNotifier, "runDue">): ApprovalEffect {
  return async (tx, approval, outcome) => {
    const { runId, stepId } = approval;
    if (!runId || !stepId) throw new Error(`approval ${approval.id} names no run step`);
    await tx.runs.signal(runId, {
      id: randomUUID(),
      runId,
      stepId,
      kind: "resume",
      dueAt: outcome.at,
      payload: {
        approved: outcome.decision !== "rejected",
        by: outcome.by.join(", "),
        decidedBy: outcome.by,
        ...(outcome.comment ? { comment: outcome.comment } : {}),
        ...(outcome.values ? { values: outcome.values } : {}),
        at: outcome.at,
      },
      createdAt: outcome.at,
    });
    return { afterCommit: () => notifier.runDue(runId) };
  };
}
