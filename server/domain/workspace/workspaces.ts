import { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { ROLES, type Actor, type Db, type Tx } from "../types";
import { slugify, uniqueSlug } from "./slug";

export async function listMyWorkspaces(db: Db, userId: string) {
  const rows = await db.membership.findMany({
    where: { userId },
    include: { workspace: { select: { id: true, name: true, slug: true } } },
    orderBy: { createdAt: "asc" },
  });
  return rows.map((m) => ({ ...m.workspace, role: m.role }));
}

export const ZCreateWorkspaceInput = z.object({
  name: z.string().trim().min(1, "Name the workspace.").max(80, "Use at most 80 characters."),
});

export async function createWorkspace(
  db: Db,
  user: { id: string; email: string },
  input: z.infer<typeof ZCreateWorkspaceInput>,
) {
  return db.$transaction(async (tx) => {
    const slug = await uniqueSlug(tx, slugify(input.name));
    const ws = await tx.workspace.create({ data: { name: input.name, slug } });
    await tx.membership.create({ data: { userId: user.id, workspaceId: ws.id, role: "admin" } });
    await appendAudit(
      tx,
      { userId: user.id, label: user.email, workspaceId: ws.id },
      {
        action: "workspace.create",
        subjectType: "workspace",
        subjectId: ws.id,
        payload: { name: ws.name, slug },
      },
    );
    return { id: ws.id, name: ws.name, slug: ws.slug, role: "admin" as const };
  });
}

export async function listMembers(db: Db, actor: Actor) {
  const rows = await db.membership.findMany({
    where: { workspaceId: actor.workspaceId },
    include: { user: { select: { id: true, email: true, name: true } } },
    orderBy: { createdAt: "asc" },
  });
  return rows.map((m) => ({ id: m.id, role: m.role, user: m.user, since: m.createdAt }));
}

export const ZSetRoleInput = z.object({ membershipId: z.uuid(), role: z.enum(ROLES) });
export const ZRemoveMemberInput = z.object({ membershipId: z.uuid() });

async function assertNotLastAdmin(
  tx: Parameters<Parameters<Db["$transaction"]>[0]>[0],
  workspaceId: string,
  membershipId: string,
) {
  const admins = await tx.membership.count({
    where: { workspaceId, role: "admin", id: { not: membershipId } },
  });
  if (admins === 0) {
    throw new AppError("PRECONDITION_FAILED", {
      message: "A workspace needs at least one admin. Make someone else admin first.",
    });
  }
}

/** A membership of the actor's workspace; NOT_FOUND for another workspace's. */
async function findMember(tx: Tx, actor: Actor, membershipId: string) {
  const m = await tx.membership.findFirst({
    where: { id: membershipId, workspaceId: actor.workspaceId },
  });
  if (!m) throw notFound("Member");
  return m;
}

export async function setMemberRole(db: Db, actor: Actor, input: z.infer<typeof ZSetRoleInput>) {
  return db.$transaction(async (tx) => {
    const m = await findMember(tx, actor, input.membershipId);
    if (m.role === "admin" && input.role !== "admin")
      await assertNotLastAdmin(tx, actor.workspaceId, m.id);
    const updated = await tx.membership.update({ where: { id: m.id }, data: { role: input.role } });
    await appendAudit(tx, actor, {
      action: "member.set-role",
      subjectType: "membership",
      subjectId: m.id,
      payload: { from: m.role, to: input.role },
    });
    return { id: updated.id, role: updated.role };
  });
}

export async function removeMember(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZRemoveMemberInput>,
) {
  return db.$transaction(async (tx) => {
    const m = await findMember(tx, actor, input.membershipId);
    if (m.role === "admin") await assertNotLastAdmin(tx, actor.workspaceId, m.id);
    await tx.membership.delete({ where: { id: m.id } });
    // Groups hold workspace members only: a removed member leaves this workspace's groups too.
    await tx.workspaceGroupMember.deleteMany({
      where: { userId: m.userId, group: { workspaceId: actor.workspaceId } },
    });
    await appendAudit(tx, actor, {
      action: "member.remove",
      subjectType: "membership",
      subjectId: m.id,
      payload: { userId: m.userId, role: m.role },
    });
    return { id: m.id };
  });
}
