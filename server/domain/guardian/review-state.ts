/**
 * A fix proposal's life after it is written (issue 18, items 4–5): proposed → proving → proven
 * (its proof passed: an approval of kind `fix` waits in the inbox) or unproven → approved →
 * released; or rejected (with its reason), or void (with why: a newer version of the flow was
 * saved, so the patch no longer applies to what runs). `rejectReason` holds the reason of a
 * rejection and the why of a void.
 */
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import type { Actor, Db, Tx } from "../types";

export const PROPOSAL_STATUSES = [
  "proposed",
  "proving",
  "proven",
  "unproven",
  "approved",
  "rejected",
  "released",
  "void",
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

/**
 * The guardian as an actor: what it does in the background (proofs, their sessions and runs)
 * is recorded under this id and label. No member has this id, so it never decides anything.
 */
export const GUARDIAN_USER_ID = "00000000-0000-4000-8000-000000000018";
export function guardianActor(workspaceId: string): Actor {
  return {
    userId: GUARDIAN_USER_ID,
    label: "guardian",
    workspaceId,
    role: "editor",
    via: "session",
  };
}

/**
 * The guardian's own user row (sessions and scripted models name their creator): it belongs to
 * no workspace and cannot sign in (its password hash matches no password). Created once.
 */
export async function ensureGuardianUser(db: Db): Promise<void> {
  await db.user.upsert({
    where: { id: GUARDIAN_USER_ID },
    create: {
      id: GUARDIAN_USER_ID,
      email: "guardian@trustflow.invalid",
      name: "Guardian",
      passwordHash: "!no-password",
    },
    update: {},
  });
}

export type ProposalRow = Awaited<ReturnType<Db["guardianProposal"]["findFirstOrThrow"]>>;

/** A proposal of the actor's workspace, or NOT_FOUND. */
export async function workspaceProposal(db: Db, actor: Actor, id: string): Promise<ProposalRow> {
  const p = await db.guardianProposal.findFirst({ where: { id, workspaceId: actor.workspaceId } });
  if (!p) throw notFound("Proposal");
  return p;
}

/** The flow's newest saved version (by save time), or null. */
export async function newestVersion(db: Db, workflowId: string) {
  return db.workflowVersion.findFirst({
    where: { workflowId },
    orderBy: { createdAt: "desc" },
    select: { id: true, version: true, irHash: true, dsl: true },
  });
}

/**
 * Voids the proposal when a newer version of its flow was saved since the one it patches
 * (recorded in the ledger); returns the why, or null when it still applies.
 */
export async function voidIfStale(db: Db, p: ProposalRow): Promise<string | null> {
  const newest = await newestVersion(db, p.workflowId);
  if (newest && newest.version === p.baseVersion && newest.irHash === p.baseIrHash) return null;
  const why = newest
    ? `Version ${newest.version} of the flow was saved after version ${p.baseVersion}, which this fix patches: review the failures again on the new version.`
    : `Version ${p.baseVersion}, which this fix patches, no longer exists.`;
  await db.$transaction(async (tx) => {
    const done = await tx.guardianProposal.updateMany({
      where: {
        id: p.id,
        status: { in: ["proposed", "proving", "proven", "unproven", "approved"] },
      },
      data: { status: "void", rejectReason: why, updatedAt: new Date() },
    });
    if (!done.count) return;
    // Its approval, still waiting in the inbox, is moot.
    if (p.approvalId) await voidWaitingApproval(tx, p.approvalId);
    await appendAudit(tx, guardianActor(p.workspaceId), {
      action: "guardian.proposal.void",
      subjectType: "guardian_proposal",
      subjectId: p.id,
      payload: { groupId: p.groupId, baseVersion: p.baseVersion, newest: newest?.version ?? null },
    });
  });
  return why;
}

/** Voids a proposal's `fix` approval if it still waits; false when it was decided (or gone). */
export async function voidWaitingApproval(tx: Tx, approvalId: string): Promise<boolean> {
  const r = await tx.approval.updateMany({
    where: { id: approvalId, status: "pending" },
    data: { status: "voided", decidedAt: new Date() },
  });
  return r.count > 0;
}

/** Refuses with CONFLICT unless the proposal is in one of `allowed`. */
export function requireStatus(p: ProposalRow, allowed: readonly ProposalStatus[], doing: string) {
  if ((allowed as readonly string[]).includes(p.status)) return;
  const why =
    p.status === "void" || p.status === "rejected"
      ? ` (${p.rejectReason ?? "no reason given"})`
      : "";
  throw new AppError("CONFLICT", {
    message: `This proposal is ${p.status}${why}: it cannot be ${doing}.`,
  });
}
