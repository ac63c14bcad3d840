/**
 * Requesting an approval that no parked step asks for: replays and reprocess jobs (later the
 * guardian) record theirs in their own transaction with `requestApproval`.
 */
import { randomUUID } from "node:crypto";
import { notifyApprovalEvent } from "../notification/notify";
import type { TxScope } from "../run/ports";
import type { ApprovalKind, ApprovalRecord, ApproverSpec } from "./types";

/** What {@link requestApproval} records. */
export interface ApprovalRequest {
  workspaceId: string;
  kind: Extract<ApprovalKind, "replay" | "reprocess" | "fix">;
  /** The run concerned (a replay's source run). */
  runId?: string | null;
  workflowId?: string | null;
  /** Who asks: never decides it. */
  requester: { userId: string; label: string };
  /** Default: the workspace's approvers (`role: approver`, admins included). */
  approvers?: ApproverSpec;
  minApprovals?: number;
  /** What is decided: `{ plan, inputs, message? }` for a replay. */
  subject: Record<string, unknown>;
  /** The plan's hash: a decision must name it (a changed plan is stale). */
  planHash: string;
  expiresAt?: number | null;
}

/**
 * Creates a pending approval of a replay or reprocess job in `tx`, with its ledger entry
 * (`approval.request`). The caller's transaction also records what it requests.
 */
export async function requestApproval(
  tx: TxScope,
  request: ApprovalRequest,
): Promise<ApprovalRecord> {
  const now = Date.now();
  const { approval } = await tx.approvals.insert({
    id: randomUUID(),
    workspaceId: request.workspaceId,
    kind: request.kind,
    runId: request.runId ?? null,
    workflowId: request.workflowId ?? null,
    stepId: null,
    attempt: null,
    requesterId: request.requester.userId,
    requesterLabel: request.requester.label,
    approvers: request.approvers ?? { role: "approver" },
    minApprovals: Math.min(10, Math.max(1, Math.trunc(request.minApprovals ?? 1))),
    subject: request.subject,
    planHash: request.planHash,
    expiresAt: request.expiresAt ?? null,
    now,
  });
  await tx.audit.append(
    {
      workspaceId: request.workspaceId,
      label: request.requester.label,
      userId: request.requester.userId,
    },
    {
      action: "approval.request",
      subjectType: "approval",
      subjectId: approval.id,
      payload: {
        kind: approval.kind,
        runId: approval.runId,
        planHash: approval.planHash,
        approvers: approval.approvers,
        minApprovals: approval.minApprovals,
      },
    },
  );
  await notifyApprovalEvent(tx, { type: "approval.requested", approval, at: now });
  return approval;
}
