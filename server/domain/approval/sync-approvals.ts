/**
 * Step and form approvals follow the run: the worker that parked a run on a human step syncs
 * that run (`syncRunApprovals`, the engine's `onRunParked` hook) right after the park
 * committed; a periodic sweep (`sweepApprovals`) catches what a crash between park and sync
 * missed, reconciles pending approvals with their step (expired by its `onTimeout`, escalated,
 * or void when the run ended without a decision) and expires replay and reprocess approvals
 * past their `expiresAt`. `get` and `decide` sync the one approval they touch (`syncApprovals`).
 */
import { randomUUID } from "node:crypto";
import { isTerminalRun, type RunStatus } from "@/server/engine/types";
import { notifyApprovalEvent } from "../notification/notify";
import type { TxScope } from "../run/ports";
import { approverSpecOf } from "./deciders";
import type { ApprovalDeps } from "./ports";
import type { HumanWait, NewApproval } from "./types";

/** The human blocks a run parks on, and the kind of approval each one asks for. */
const HUMAN_BLOCKS: Record<string, "step" | "form"> = {
  "human.approval": "step",
  "policy.check": "step",
  "human.form": "form",
};
const HUMAN_BLOCK_IDS = Object.keys(HUMAN_BLOCKS);
/** Rows one sync creates or reconciles at most (the next read picks up the rest). */
const SYNC_BATCH = 200;

/** The approval a parked human step asks for. */
export function approvalOfWait(w: HumanWait, id: string, now: number): NewApproval {
  const kind = HUMAN_BLOCKS[w.blockId] ?? "step";
  const inputs = w.inputs;
  const approvers =
    kind === "form"
      ? approverSpecOf(inputs.assignees)
      : Object.keys(approverSpecOf(inputs.approvers)).length
        ? approverSpecOf(inputs.approvers)
        : { role: "approver" };
  const min =
    w.blockId === "human.approval" && Number.isInteger(inputs.minApprovals)
      ? Math.min(10, Math.max(1, inputs.minApprovals as number))
      : 1;
  const subject: Record<string, unknown> = { flow: w.flow, block: w.blockId, inputs };
  if (kind === "form") {
    subject.form = {
      title: typeof inputs.title === "string" ? inputs.title : "",
      schema: inputs.schema ?? {},
      prefill: inputs.prefill && typeof inputs.prefill === "object" ? inputs.prefill : null,
    };
  } else {
    subject.message =
      typeof inputs.message === "string"
        ? inputs.message
        : w.blockId === "policy.check"
          ? `policy rule failed: ${String(inputs.rule ?? "")}`
          : "";
  }
  return {
    id,
    workspaceId: w.workspaceId,
    kind,
    runId: w.runId,
    workflowId: w.workflowId,
    stepId: w.stepId,
    attempt: w.attempt,
    requesterId: w.requesterId,
    requesterLabel: w.requesterLabel,
    approvers,
    minApprovals: min,
    subject,
    planHash: null,
    expiresAt: w.timeoutAt,
    now,
  };
}

const ENGINE_ACTOR = (workspaceId: string) => ({ workspaceId, label: "engine", userId: null });

/**
 * Creates the approvals of parked human steps that have none (idempotent: one per attempt), and
 * reconciles pending step and form approvals with their step: `expired` when the step's timeout
 * ended it (`onTimeout: reject | approve`), escalated (still pending, `escalatedAt` set, a
 * ledger entry) with `onTimeout: escalate`, `voided` when the run or step ended otherwise.
 * Scope: every workspace (the sweep), one workspace, one run (a park) or one approval. At most
 * `limit` of each; `full` says a batch was full (more may wait).
 */
export async function syncApprovals(
  tx: TxScope,
  scope: { workspaceId?: string; runId?: string; approvalId?: string; now?: number },
  limit = SYNC_BATCH,
): Promise<{ created: number; reconciled: number; full: boolean }> {
  const now = scope.now ?? Date.now();
  let created = 0;
  let full = false;
  if (!scope.approvalId) {
    const waits = await tx.approvals.humanWaitsWithoutApproval(
      { workspaceId: scope.workspaceId, runId: scope.runId },
      HUMAN_BLOCK_IDS,
      limit,
    );
    full = waits.length === limit;
    for (const w of waits) {
      const { approval, created: fresh } = await tx.approvals.insert(
        approvalOfWait(w, randomUUID(), now),
      );
      if (!fresh) continue;
      created++;
      await notifyApprovalEvent(tx, { type: "approval.requested", approval, at: now });
    }
  }
  const states = await tx.approvals.pendingStepStates(
    { workspaceId: scope.workspaceId, runId: scope.runId, approvalId: scope.approvalId },
    limit,
  );
  full ||= states.length === limit;
  let reconciled = 0;
  for (const s of states) {
    const runEnded = s.runStatus === null || isTerminalRun(s.runStatus as RunStatus);
    if (s.attemptStatus === "waiting" && !runEnded) {
      if (
        s.onTimeout === "escalate" &&
        s.timerFired &&
        s.escalatedAt === null &&
        (await tx.approvals.markEscalated(s.id, now))
      ) {
        reconciled++;
        await tx.audit.append(ENGINE_ACTOR(s.workspaceId), {
          action: "approval.escalate",
          subjectType: "approval",
          subjectId: s.id,
          payload: { reason: "timeout", onTimeout: "escalate" },
        });
        const approval = await tx.approvals.lock(s.id, s.workspaceId);
        if (approval)
          await notifyApprovalEvent(tx, { type: "approval.escalated", approval, at: now });
      }
      continue;
    }
    const finished = s.attemptStatus === "succeeded" || s.attemptStatus === "failed";
    const expired = finished && (s.timedOut || s.timerFired);
    if (!(await tx.approvals.setStatus(s.id, expired ? "expired" : "voided", now))) continue;
    reconciled++;
    if (!expired) continue;
    const approval = await tx.approvals.lock(s.id, s.workspaceId);
    if (approval) await notifyApprovalEvent(tx, { type: "approval.expired", approval, at: now });
  }
  return { created, reconciled, full };
}

/**
 * The run-parked hook (the worker, right after a run's park committed): creates the approvals
 * of the run's parked human steps and reconciles its pending ones, in one transaction.
 */
export async function syncRunApprovals(
  deps: Pick<ApprovalDeps, "transactor">,
  run: { workspaceId: string; runId: string },
): Promise<void> {
  await deps.transactor.transaction((tx) => syncApprovals(tx, run));
}

/**
 * The worker's periodic sweep over every workspace, at `now`: creates the approvals of parked
 * human steps the park hook missed (a crash between park and sync), reconciles pending step and
 * form approvals with their step (expiry, escalation, void), and expires replay and reprocess
 * approvals past their `expiresAt` (a ledger entry and the requester's notification each).
 * Bounded: at most `limit` of each per call; `more` says to call again soon.
 */
export async function sweepApprovals(
  deps: Pick<ApprovalDeps, "transactor">,
  opts: { now: number; limit?: number },
): Promise<{ created: number; reconciled: number; expired: number; more: boolean }> {
  const limit = opts.limit ?? SYNC_BATCH;
  const synced = await deps.transactor.transaction((tx) =>
    syncApprovals(tx, { now: opts.now }, limit),
  );
  const expired = await deps.transactor.transaction(async (tx) => {
    const due = await tx.approvals.expireDue(opts.now, limit);
    for (const approval of due) {
      await tx.audit.append(ENGINE_ACTOR(approval.workspaceId), {
        action: "approval.expire",
        subjectType: "approval",
        subjectId: approval.id,
        payload: { kind: approval.kind, expiresAt: approval.expiresAt },
      });
      await notifyApprovalEvent(tx, { type: "approval.expired", approval, at: opts.now });
    }
    return due.length;
  });
  return {
    created: synced.created,
    reconciled: synced.reconciled,
    expired,
    more: synced.full || expired === limit,
  };
}
