/**
 * Approvals as the inbox and the API show them (`ApprovalView`): read rows with their
 * decisions, their run's version and flow, and whether the caller may decide them now.
 */
import type { Actor, Db } from "../types";
import { deciderOf } from "./deciders";
import { checkDecider } from "./guard";
import type { ApprovalKind, ApprovalStatus, ApproverSpec, DecisionKind } from "./types";
import { flowSlug } from "../workflow/workflows";

/** An approval as the inbox and the API show it. Dates are ISO strings. */
export interface ApprovalView {
  id: string;
  kind: ApprovalKind;
  status: ApprovalStatus;
  runId: string | null;
  stepId: string | null;
  attempt: number | null;
  workflow: { id: string; name: string; slug: string } | null;
  version: string | null;
  requester: { userId: string | null; label: string } | null;
  approvers: ApproverSpec;
  minApprovals: number;
  /** Distinct people who approved so far. */
  approvals: number;
  decisions: Array<{
    userId: string;
    label: string;
    decision: DecisionKind;
    comment: string | null;
    breakGlass: boolean;
    reason: string | null;
    at: string;
  }>;
  message: string | null;
  form: { title: string; schema: unknown; prefill: unknown } | null;
  inputs: unknown;
  plan: unknown;
  planHash: string | null;
  expiresAt: string | null;
  escalated: boolean;
  createdAt: string;
  decidedAt: string | null;
  /** Whether the caller may decide it now (the guard's verdict), and why not. */
  canDecide: boolean;
  whyNot: string | null;
}

/** The decisions read with an approval, in the order they were made. */
export const approvalInclude = {
  decisions: { orderBy: [{ createdAt: "asc" as const }, { id: "asc" as const }] },
};

/** An approval as Prisma reads it, with its decisions (the fields the views use). */
export interface ApprovalRow {
  id: string;
  kind: string;
  status: string;
  runId: string | null;
  workflowId: string | null;
  stepId: string | null;
  attempt: number | null;
  requesterId: string | null;
  requesterLabel: string | null;
  approvers: unknown;
  minApprovals: number;
  subject: unknown;
  planHash: string | null;
  expiresAt: Date | null;
  escalatedAt: Date | null;
  createdAt: Date;
  decidedAt: Date | null;
  decisions: Array<{
    userId: string;
    label: string;
    decision: string;
    comment: string | null;
    breakGlass: boolean;
    reason: string | null;
    createdAt: Date;
  }>;
}

/** Approval rows as `actor` sees them: with their run's version, flow and the guard's verdict. */
export async function approvalViews(
  db: Db,
  actor: Actor,
  rows: ApprovalRow[],
): Promise<ApprovalView[]> {
  if (rows.length === 0) return [];
  const runIds = [...new Set(rows.flatMap((r) => (r.runId ? [r.runId] : [])))];
  const workflowIds = [...new Set(rows.flatMap((r) => (r.workflowId ? [r.workflowId] : [])))];
  const [decider, runs, workflows] = await Promise.all([
    deciderOf(db, actor),
    runIds.length
      ? db.run.findMany({
          where: { id: { in: runIds }, workspaceId: actor.workspaceId },
          select: { id: true, version: true },
        })
      : [],
    workflowIds.length
      ? db.workflow.findMany({
          where: { id: { in: workflowIds }, workspaceId: actor.workspaceId },
          select: { id: true, name: true },
        })
      : [],
  ]);
  const versionOf = new Map(runs.map((r) => [r.id, r.version]));
  const workflowOf = new Map(workflows.map((w) => [w.id, w]));
  return rows.map((r) => {
    const subject = (r.subject ?? {}) as Record<string, unknown>;
    const approvers = (r.approvers ?? {}) as ApproverSpec;
    const wf = r.workflowId ? workflowOf.get(r.workflowId) : undefined;
    const verdict = checkDecider(
      {
        kind: r.kind as ApprovalKind,
        status: r.status as ApprovalStatus,
        requesterId: r.requesterId,
        approvers,
        decisions: r.decisions,
      },
      decider,
    );
    const form = subject.form as ApprovalView["form"] | undefined;
    return {
      id: r.id,
      kind: r.kind as ApprovalKind,
      status: r.status as ApprovalStatus,
      runId: r.runId,
      stepId: r.stepId,
      attempt: r.attempt,
      workflow: wf ? { id: wf.id, name: wf.name, slug: flowSlug(wf.name) } : null,
      version: r.runId ? (versionOf.get(r.runId) ?? null) : null,
      requester:
        r.requesterId || r.requesterLabel
          ? { userId: r.requesterId, label: r.requesterLabel ?? "" }
          : null,
      approvers,
      minApprovals: r.minApprovals,
      approvals: new Set(r.decisions.filter((d) => d.decision === "approve").map((d) => d.userId))
        .size,
      decisions: r.decisions.map((d) => ({
        userId: d.userId,
        label: d.label,
        decision: d.decision as DecisionKind,
        comment: d.comment,
        breakGlass: d.breakGlass,
        reason: d.reason,
        at: d.createdAt.toISOString(),
      })),
      message: typeof subject.message === "string" ? subject.message : null,
      form: form ?? null,
      inputs: subject.inputs ?? null,
      plan: subject.plan ?? null,
      planHash: r.planHash,
      expiresAt: r.expiresAt?.toISOString() ?? null,
      escalated: r.escalatedAt !== null,
      createdAt: r.createdAt.toISOString(),
      decidedAt: r.decidedAt?.toISOString() ?? null,
      canDecide: verdict.ok,
      whyNot: verdict.ok ? null : verdict.reason,
    };
  });
}
