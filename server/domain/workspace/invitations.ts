import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { ZEmail } from "../auth/schemas";
import { AppError, notFound } from "../errors";
import { ROLES, type Actor, type Db } from "../types";

/**
 * Invitations: adding someone to a workspace by email is an offer the owner of that email
 * accepts. An admin invites an email with a role and gets a link with a one-time token, shown
 * once (there is no mail: the admin passes the link on); only its SHA-256 is stored. The person
 * signs in (or signs up) with THAT email and accepts on `/invite/<token>`; only then does a
 * membership exist. The link expires after `INVITATION_DAYS`, can be revoked, and works once.
 * Each step is a ledger entry of the workspace.
 */
export const INVITATION_DAYS = 7;
const TOKEN_PREFIX = "tfi_";

export const ZInviteInput = z.object({ email: ZEmail, role: z.enum(ROLES) });
export const ZRevokeInvitationInput = z.object({ invitationId: z.uuid() });
export const ZInvitationTokenInput = z.object({
  token: z.string().trim().min(1, "The invitation link is incomplete.").max(200),
});

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export async function createInvitation(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZInviteInput>,
  now = new Date(),
) {
  return db.$transaction(async (tx) => {
    const member = await tx.membership.findFirst({
      where: { workspaceId: actor.workspaceId, user: { email: input.email } },
      select: { id: true },
    });
    if (member) {
      throw new AppError("CONFLICT", {
        message: `${input.email} is already a member of this workspace.`,
        details: { field: "email" },
      });
    }
    const pending = await tx.invitation.findFirst({
      where: {
        workspaceId: actor.workspaceId,
        email: input.email,
        acceptedAt: null,
        revokedAt: null,
        expiresAt: { gt: now },
      },
      select: { id: true },
    });
    if (pending) {
      throw new AppError("CONFLICT", {
        message: `${input.email} already has a pending invitation. Revoke it to send a new link.`,
        details: { field: "email" },
      });
    }
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const inv = await tx.invitation.create({
      data: {
        workspaceId: actor.workspaceId,
        email: input.email,
        role: input.role,
        tokenHash: hashToken(token),
        invitedById: actor.userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + INVITATION_DAYS * 86_400_000),
      },
    });
    await appendAudit(
      tx,
      actor,
      {
        action: "invitation.create",
        subjectType: "invitation",
        subjectId: inv.id,
        payload: { email: inv.email, role: inv.role, expiresAt: inv.expiresAt.toISOString() },
      },
      now,
    );
    return {
      id: inv.id,
      email: inv.email,
      role: inv.role,
      expiresAt: inv.expiresAt,
      /** Shown once; the invitation link is `/invite/<token>`. */
      token,
    };
  });
}

/** Invitations of the actor's workspace not yet accepted or revoked (expired ones flagged). */
export async function listInvitations(db: Db, actor: Actor, now = new Date()) {
  const rows = await db.invitation.findMany({
    where: { workspaceId: actor.workspaceId, acceptedAt: null, revokedAt: null },
    orderBy: { createdAt: "desc" },
    take: 200,
  });
  return rows.map((i) => ({
    id: i.id,
    email: i.email,
    role: i.role,
    createdAt: i.createdAt,
    expiresAt: i.expiresAt,
    expired: i.expiresAt.getTime() <= now.getTime(),
  }));
}

export async function revokeInvitation(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZRevokeInvitationInput>,
  now = new Date(),
) {
  return db.$transaction(async (tx) => {
    const inv = await tx.invitation.findFirst({
      where: { id: input.invitationId, workspaceId: actor.workspaceId },
    });
    if (!inv) throw notFound("Invitation");
    if (inv.acceptedAt) {
      throw new AppError("PRECONDITION_FAILED", {
        message: `${inv.email} already accepted this invitation: remove the member instead.`,
      });
    }
    if (!inv.revokedAt) {
      await tx.invitation.update({ where: { id: inv.id }, data: { revokedAt: now } });
      await appendAudit(
        tx,
        actor,
        {
          action: "invitation.revoke",
          subjectType: "invitation",
          subjectId: inv.id,
          payload: { email: inv.email, role: inv.role },
        },
        now,
      );
    }
    return { id: inv.id };
  });
}

type InvitationState = "pending" | "accepted" | "revoked" | "expired";

function stateOf(
  inv: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now: Date,
): InvitationState {
  if (inv.acceptedAt) return "accepted";
  if (inv.revokedAt) return "revoked";
  if (inv.expiresAt.getTime() <= now.getTime()) return "expired";
  return "pending";
}

const UNUSABLE: Record<Exclude<InvitationState, "pending">, string> = {
  accepted: "This invitation was already used.",
  revoked: "This invitation was revoked. Ask the workspace admin for a new link.",
  expired: "This invitation has expired. Ask the workspace admin for a new link.",
};

/**
 * What the holder of an invitation link may see before accepting: the workspace's name, the
 * role and the invited email (so they know which account to sign in with). NOT_FOUND for an
 * unknown token.
 */
export async function previewInvitation(db: Db, token: string, now = new Date()) {
  const inv = await db.invitation.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!inv) {
    throw new AppError("NOT_FOUND", { message: "This invitation link is not valid." });
  }
  const workspace = await db.workspace.findUniqueOrThrow({
    where: { id: inv.workspaceId },
    select: { name: true },
  });
  return {
    workspaceName: workspace.name,
    email: inv.email,
    role: inv.role,
    expiresAt: inv.expiresAt,
    state: stateOf(inv, now),
  };
}

/**
 * Accepts an invitation for the signed-in `user`, whose email must be the invited one. Creates
 * the membership and consumes the token in one transaction: a link works once.
 */
export async function acceptInvitation(
  db: Db,
  user: { id: string; email: string },
  token: string,
  now = new Date(),
) {
  return db.$transaction(async (tx) => {
    const inv = await tx.invitation.findUnique({ where: { tokenHash: hashToken(token) } });
    if (!inv) throw new AppError("NOT_FOUND", { message: "This invitation link is not valid." });
    const state = stateOf(inv, now);
    if (state !== "pending")
      throw new AppError("PRECONDITION_FAILED", { message: UNUSABLE[state] });
    if (inv.email !== user.email.toLowerCase()) {
      throw new AppError("FORBIDDEN", {
        message: `This invitation is for ${inv.email}. Sign in with that email to accept it.`,
      });
    }
    // Consumed first and conditionally: of two concurrent accepts, one wins.
    const { count } = await tx.invitation.updateMany({
      where: { id: inv.id, acceptedAt: null, revokedAt: null },
      data: { acceptedAt: now },
    });
    if (count !== 1) throw new AppError("PRECONDITION_FAILED", { message: UNUSABLE.accepted });
    const existing = await tx.membership.findUnique({
      where: { userId_workspaceId: { userId: user.id, workspaceId: inv.workspaceId } },
    });
    if (existing) {
      throw new AppError("CONFLICT", { message: "You are already a member of this workspace." });
    }
    const m = await tx.membership.create({
      data: { userId: user.id, workspaceId: inv.workspaceId, role: inv.role },
    });
    await appendAudit(
      tx,
      { userId: user.id, label: user.email, workspaceId: inv.workspaceId },
      {
        action: "invitation.accept",
        subjectType: "membership",
        subjectId: m.id,
        payload: { invitationId: inv.id, email: inv.email, role: inv.role },
      },
      now,
    );
    return { workspaceId: inv.workspaceId, role: m.role };
  });
}
