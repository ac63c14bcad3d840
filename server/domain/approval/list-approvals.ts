/**
 * Reading approvals: list, count and get. Lists and counts only read; `get` reconciles the one
 * approval it shows with its step first (`syncApprovals`).
 */
import type { z } from "zod";
import { notFound } from "../errors";
import type { Actor } from "../types";
import { approvalInclude, approvalViews, type ApprovalView } from "./approval-views";
import { deciderOf } from "./deciders";
import { checkDecider } from "./guard";
import type { ApprovalDeps } from "./ports";
import type { ZApprovalId, ZListApprovalsInput } from "./schemas";
import { syncApprovals } from "./sync-approvals";
import type { ApprovalKind, ApprovalStatus, ApproverSpec } from "./types";

/** Pending approvals `count` evaluates for "for me" at most. */
const COUNT_SCAN = 1000;

const DECIDED: ApprovalStatus[] = ["approved", "rejected", "submitted", "expired", "voided"];

/** The workspace's approvals, newest first, with filters and cursor paging. */
export async function listApprovals(
  deps: ApprovalDeps,
  actor: Actor,
  input: z.infer<typeof ZListApprovalsInput>,
): Promise<{ items: ApprovalView[]; nextCursor: string | null }> {
  const rows = await deps.db.approval.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(input.status === "pending"
        ? { status: "pending" }
        : input.status === "decided"
          ? { status: { in: DECIDED } }
          : {}),
      ...(input.kind ? { kind: input.kind } : {}),
      ...(input.workflowId ? { workflowId: input.workflowId } : {}),
      ...(input.runId ? { runId: input.runId } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    include: approvalInclude,
  });
  const page = rows.slice(0, input.limit);
  const items = await approvalViews(deps.db, actor, page);
  return { items, nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}

/** Pending approvals of the workspace, and those of them the actor may decide now. Reads only. */
export async function countApprovals(
  deps: ApprovalDeps,
  actor: Actor,
): Promise<{ pending: number; forMe: number }> {
  const where = { workspaceId: actor.workspaceId, status: "pending" };
  const [pending, rows, decider] = await Promise.all([
    deps.db.approval.count({ where }),
    deps.db.approval.findMany({
      where,
      orderBy: { createdAt: "desc" },
      take: COUNT_SCAN,
      select: {
        kind: true,
        status: true,
        requesterId: true,
        approvers: true,
        decisions: { select: { userId: true } },
      },
    }),
    deciderOf(deps.db, actor),
  ]);
  const forMe = rows.filter(
    (r) =>
      checkDecider(
        {
          kind: r.kind as ApprovalKind,
          status: r.status as ApprovalStatus,
          requesterId: r.requesterId,
          approvers: (r.approvers ?? {}) as ApproverSpec,
          decisions: r.decisions,
        },
        decider,
      ).ok,
  ).length;
  return { pending, forMe };
}

/** One approval of the workspace. */
export async function getApproval(
  deps: Pick<ApprovalDeps, "db" | "transactor">,
  actor: Actor,
  input: z.infer<typeof ZApprovalId>,
): Promise<ApprovalView> {
  await deps.transactor.transaction((tx) =>
    syncApprovals(tx, { workspaceId: actor.workspaceId, approvalId: input.id }),
  );
  const row = await deps.db.approval.findFirst({
    where: { id: input.id, workspaceId: actor.workspaceId },
    include: approvalInclude,
  });
  if (!row) throw notFound("Approval");
  return (await approvalViews(deps.db, actor, [row]))[0]!;
}
