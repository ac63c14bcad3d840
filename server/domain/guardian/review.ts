/**
 * Review of a fix proposal (issue 18, item 5). Accepting is an approval of kind `fix` under the
 * ONE four-eyes guard (`approval/guard.ts`): it is requested when the proposal's proof passes
 * (so it waits in the Approvals inbox, with an in-app notification to the approvers), its
 * requester is the proposer (the guardian, or the member who proposed it), who therefore never
 * decides it, and it is decided by members with the approver or admin role.
 *
 * A proposal without a passing proof cannot be accepted: there is no override (a fix the sandbox
 * could not prove is proved again after a change, or rejected). An accepted fix is released
 * (`release.ts`) — by the approval's effect and by the accepting request, whichever claims it
 * first in the database — and the approver may choose, in the Approvals inbox or on the
 * Guardian page alike, replays of the group's failed runs and reprocessing of its dead letters
 * on the new version (`release-replays.ts`), asked for once by the release. A rejection keeps
 * its reason. Everything is in the ledger.
 */
import { createHash } from "node:crypto";
import { requestApproval } from "../approval/request-approval";
import { decideApproval } from "../approval/decide-approval";
import type { ApprovalDeps, ApprovalEffect } from "../approval/ports";
import { appendAudit } from "../audit/ledger";
import { MAX_JOB_ITEMS } from "../deadletter/schemas";
import { AppError } from "../errors";
import type { RunDeps } from "../run/ports";
import type { Actor, Db } from "../types";
import type { Proof } from "./proof-evaluate";
import { releaseProposal, type ReleaseDeps, type ReleaseResult } from "./release";
import {
  requestReleaseReplays,
  type ReplayRequestResult,
  type ReprocessRequestResult,
} from "./release-replays";
import { GUARDIAN_USER_ID, requireStatus, voidIfStale, workspaceProposal } from "./review-state";
import type { AcceptProposalInput, RejectProposalInput } from "./review-schemas";

/** The proposer as an approval's requester: the guardian, or the member who proposed it. */
function proposer(p: { proposedBy: string }): { userId: string; label: string } {
  return p.proposedBy === "guardian" || !/^[0-9a-f-]{36}$/i.test(p.proposedBy)
    ? { userId: GUARDIAN_USER_ID, label: "guardian" }
    : { userId: p.proposedBy, label: p.proposedBy };
}

/**
 * Requests the `fix` approval of a proven proposal (once): it enters the Approvals inbox.
 * Returns the approval's id.
 */
export async function requestFixApproval(
  deps: Pick<RunDeps, "db" | "transactor">,
  proposalId: string,
): Promise<string | null> {
  const p = await deps.db.guardianProposal.findUniqueOrThrow({ where: { id: proposalId } });
  if (p.status !== "proven") return null;
  if (p.approvalId) return p.approvalId;
  const group = await deps.db.guardianGroup.findUniqueOrThrow({
    where: { id: p.groupId },
    select: { flowName: true, stepId: true, class: true, count: true },
  });
  const proof = p.proof as unknown as Proof;
  const planHash = `sha256:${createHash("sha256")
    .update(`${p.id}\u0000${p.baseIrHash}\u0000${p.text}`)
    .digest("hex")}`;
  const approval = await deps.transactor.transaction((tx) =>
    requestApproval(tx, {
      workspaceId: p.workspaceId,
      kind: "fix",
      workflowId: p.workflowId,
      requester: proposer(p),
      approvers: { role: "approver" },
      minApprovals: 1,
      subject: {
        message:
          `${p.title}. Version ${p.baseVersion} → ${p.nextVersion} (${p.bump}). ` +
          `Sandbox proof: ${proof.fixed} of ${proof.of} recorded failures of step "${group.stepId}" fixed, ` +
          `${proof.regressions} regression${proof.regressions === 1 ? "" : "s"} in ${proof.regressionOf} successful run${proof.regressionOf === 1 ? "" : "s"}.`,
        flow: group.flowName,
        proposalId: p.id,
        groupId: p.groupId,
        rule: p.rule,
        baseVersion: p.baseVersion,
        nextVersion: p.nextVersion,
      },
      planHash,
    }),
  );
  await deps.db.guardianProposal.updateMany({
    where: { id: p.id, approvalId: null },
    data: { approvalId: approval.id, updatedAt: new Date() },
  });
  return approval.id;
}

/** Marks a proposal rejected with its reason (from the approval's rejection, or directly). */
async function markRejected(
  db: Db,
  actor: Pick<Actor, "workspaceId" | "label"> & { userId: string | null },
  proposalId: string,
  reason: string,
): Promise<void> {
  await db.$transaction(async (tx) => {
    const done = await tx.guardianProposal.updateMany({
      where: { id: proposalId, status: { in: ["proposed", "proven", "unproven"] } },
      data: { status: "rejected", rejectReason: reason, updatedAt: new Date() },
    });
    if (!done.count) return;
    await appendAudit(tx, actor, {
      action: "guardian.proposal.reject",
      subjectType: "guardian_proposal",
      subjectId: proposalId,
      payload: { reason },
    });
  });
}

/** What happens once a `fix` approval is decided (after its transaction commits). */
export async function onFixDecided(
  deps: ReleaseDeps,
  approval: { id: string; workspaceId: string },
  outcome: { decision: string; by: string[]; comment: string | null },
): Promise<ReleaseResult | null> {
  const { db } = deps;
  const p = await db.guardianProposal.findFirst({
    where: { approvalId: approval.id, workspaceId: approval.workspaceId },
  });
  if (!p) return null;
  if (outcome.decision === "rejected") {
    await markRejected(
      db,
      { workspaceId: p.workspaceId, label: outcome.by.join(", "), userId: null },
      p.id,
      outcome.comment ?? "Rejected in the Approvals inbox.",
    );
    return null;
  }
  await db.guardianProposal.updateMany({
    where: { id: p.id, status: "proven" },
    data: { status: "approved", updatedAt: new Date() },
  });
  return releaseProposal(deps, p.id);
}

/**
 * The `fix` effect of approvals: after the decision commits, an approved fix is released and a
 * rejected one keeps its reason. Errors are logged (the proposal stays approved and can be
 * released again from the Guardian page).
 */
export function fixApprovalEffect(
  deps: ReleaseDeps & { logger?: { error(obj: object, msg: string): void } },
): ApprovalEffect {
  return async (_tx, approval, outcome) => ({
    afterCommit: () => {
      void onFixDecided(deps, approval, outcome).catch((err: unknown) =>
        deps.logger?.error(
          { err: String(err), approvalId: approval.id },
          "guardian fix release failed",
        ),
      );
    },
  });
}

/** What review use cases need: deciding approvals, requesting replays. */
export type ReviewDeps = ApprovalDeps;

/** What accepting did: the release, and the replays and reprocessing it asked for. */
export interface AcceptResult {
  release: ReleaseResult;
  /**
   * The replays asked for with the release: by this request, or as recorded when it returned
   * when another caller (the approval's effect) released the fix and asks for them; the
   * proposal's review lists them all once asked.
   */
  replays: ReplayRequestResult[];
  reprocess: ReprocessRequestResult | null;
}

/** The replays and reprocess job a release recorded so far. */
async function recordedReplays(db: Db, proposalId: string) {
  const r = await db.guardianRelease.findUnique({ where: { proposalId } });
  if (!r) return { replays: [], reprocess: null };
  const runIds = r.replayRunIds as string[];
  const approvalIds = r.replayApprovalIds as string[];
  const items = r.reprocessJobId
    ? await db.reprocessItem.findMany({
        where: { jobId: r.reprocessJobId },
        select: { runId: true },
        take: MAX_JOB_ITEMS,
      })
    : [];
  return {
    replays: approvalIds.map((approvalId, i) => ({
      runId: runIds[i] ?? "",
      approvalId,
      error: null,
    })),
    reprocess: r.reprocessJobId
      ? {
          jobId: r.reprocessJobId,
          approvalId: r.reprocessApprovalId,
          deadLetters: items.length,
          runs: new Set(items.map((i) => i.runId)).size,
          error: null,
        }
      : null,
  };
}

/**
 * Accepts a proven proposal as `actor` (approver or admin, never the proposer): decides its
 * `fix` approval through the guard and releases it; with `replay`, the release asks for
 * replays of the group's failed runs and reprocessing of its dead letters on the new version.
 */
export async function acceptProposal(
  deps: ReviewDeps,
  actor: Actor,
  input: AcceptProposalInput,
): Promise<AcceptResult> {
  const p = await workspaceProposal(deps.db, actor, input.id);
  if (p.status === "proposed" || p.status === "proving" || p.status === "unproven") {
    throw new AppError("PRECONDITION_FAILED", {
      message:
        p.status === "unproven"
          ? "This fix did not pass its sandbox proof, so it cannot be accepted. Prove it again after a change, or reject it."
          : p.proof
            ? "This fix is being proved again: its group recorded failures after its last proof, so it cannot be accepted until the new proof passes."
            : "This fix has no sandbox proof yet, so it cannot be accepted. Wait for its proof (or prove it now).",
    });
  }
  requireStatus(p, ["proven", "approved"], "accepted");
  const why = await voidIfStale(deps.db, p);
  if (why) throw new AppError("CONFLICT", { message: `This proposal is void: ${why}` });
  // The choice travels with the proposal: whichever caller releases it asks for the replays.
  if (input.replay)
    await deps.db.guardianProposal.updateMany({
      where: { id: p.id, status: { in: ["proven", "approved"] } },
      data: { replayOnRelease: true },
    });
  if (p.status === "proven") {
    if (!p.approvalId)
      throw new AppError("CONFLICT", { message: "This fix's approval was not requested yet." });
    await decideApproval(deps, actor, {
      id: p.approvalId,
      decision: "approve",
      ...(input.comment ? { comment: input.comment } : {}),
    });
  }
  // The effect released it already, or is releasing it: the same release is awaited.
  await deps.db.guardianProposal.updateMany({
    where: { id: p.id, status: "proven" },
    data: { status: "approved", updatedAt: new Date() },
  });
  const release = await releaseProposal(deps, p.id);
  // Released before this acceptance chose replays (an approval decided without the choice):
  // they are asked for now, once.
  const asked =
    release.replays ??
    (input.replay && release.status === "released" && p.status === "approved"
      ? await requestReleaseReplays(deps, actor, p.id)
      : null);
  if (asked) return { release, ...asked };
  return { release, ...(await recordedReplays(deps.db, p.id)) };
}

/**
 * Rejects a proposal with a reason. One waiting for its approval is rejected through the
 * approval (approvers and admins, the guard's rules); one without (not proven) by an editor.
 */
export async function rejectProposal(
  deps: ReviewDeps,
  actor: Actor,
  input: RejectProposalInput,
): Promise<void> {
  const p = await workspaceProposal(deps.db, actor, input.id);
  requireStatus(p, ["proposed", "proven", "unproven"], "rejected");
  if (p.status === "proven" && p.approvalId) {
    await decideApproval(deps, actor, {
      id: p.approvalId,
      decision: "reject",
      comment: input.reason,
    });
  }
  await markRejected(deps.db, actor, p.id, input.reason);
}
