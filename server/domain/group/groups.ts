/**
 * Workspace groups: named sets of the workspace's members (such as `finance`) that approvals,
 * forms and policy exceptions address as `group: <name>`. Everyone in the workspace reads them
 * (the studio checks flows against them); admins create, rename, describe and delete groups and
 * change their members. A member must belong to the workspace. Every change is a ledger entry in
 * the same transaction; a group id of another workspace is NOT_FOUND.
 */
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db, type Tx } from "../types";
import {
  GROUPS_PER_WORKSPACE,
  ZCreateGroupInput,
  ZGroupIdInput,
  ZGroupMemberInput,
  ZUpdateGroupInput,
  type CreateGroupInput,
  type GroupIdInput,
  type GroupMemberInput,
  type UpdateGroupInput,
} from "./schemas";

const memberUser = { select: { id: true, email: true, name: true } } as const;

const groupSelect = {
  id: true,
  name: true,
  description: true,
  createdAt: true,
  members: { select: { createdAt: true, user: memberUser } },
} as const;

type GroupRow = {
  id: string;
  name: string;
  description: string;
  createdAt: Date;
  members: { createdAt: Date; user: { id: string; email: string; name: string } }[];
};

/** What the API shows of a group: its members by email. */
function view(g: GroupRow) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    createdAt: g.createdAt,
    members: g.members
      .map((m) => ({ ...m.user, since: m.createdAt }))
      .sort((a, b) => a.email.localeCompare(b.email)),
  };
}

export type GroupView = ReturnType<typeof view>;

function requireAdmin(actor: Actor) {
  if (!hasRole(actor.role, "admin")) {
    throw new AppError("FORBIDDEN", {
      message: "Only a workspace admin may change its groups.",
    });
  }
}

function nameTaken(name: string) {
  return new AppError("CONFLICT", {
    message: `A group named "${name}" already exists in this workspace.`,
    details: { field: "name" },
  });
}

/** Two admins creating the same name at once: the unique index decides, reported as CONFLICT. */
function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}

async function findGroup(tx: Tx | Db, actor: Actor, id: string) {
  const g = await tx.workspaceGroup.findFirst({
    where: { id, workspaceId: actor.workspaceId },
    select: groupSelect,
  });
  if (!g) throw notFound("Group");
  return g;
}

/** The workspace's groups by name, each with its members. */
export async function listGroups(db: Db, actor: Actor): Promise<GroupView[]> {
  const rows = await db.workspaceGroup.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: { name: "asc" },
    select: groupSelect,
  });
  return rows.map(view);
}

/** Creates an empty group. */
export async function createGroup(db: Db, actor: Actor, raw: CreateGroupInput) {
  requireAdmin(actor);
  const input = ZCreateGroupInput.parse(raw);
  const description = input.description ?? "";
  try {
    return await db.$transaction(async (tx) => {
      const taken = await tx.workspaceGroup.findUnique({
        where: { workspaceId_name: { workspaceId: actor.workspaceId, name: input.name } },
        select: { id: true },
      });
      if (taken) throw nameTaken(input.name);
      const count = await tx.workspaceGroup.count({ where: { workspaceId: actor.workspaceId } });
      if (count >= GROUPS_PER_WORKSPACE) {
        throw new AppError("PRECONDITION_FAILED", {
          message: `A workspace has at most ${GROUPS_PER_WORKSPACE} groups (limit ${GROUPS_PER_WORKSPACE}): delete one first.`,
          details: { field: "name" },
        });
      }
      const g = await tx.workspaceGroup.create({
        data: { workspaceId: actor.workspaceId, name: input.name, description },
        select: groupSelect,
      });
      await appendAudit(tx, actor, {
        action: "group.create",
        subjectType: "group",
        subjectId: g.id,
        payload: { name: g.name, description, members: [] },
      });
      return view(g);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name);
    throw err;
  }
}

/**
 * Renames and/or describes a group. A rename changes what flows must write: drafts naming the
 * old name get TF3060 from then on; published versions keep running (see `compileFlowCached`).
 * An unchanged group writes nothing.
 */
export async function updateGroup(db: Db, actor: Actor, raw: UpdateGroupInput) {
  requireAdmin(actor);
  const input = ZUpdateGroupInput.parse(raw);
  try {
    return await db.$transaction(async (tx) => {
      const g = await findGroup(tx, actor, input.id);
      const name = input.name ?? g.name;
      const description = input.description ?? g.description;
      if (name === g.name && description === g.description) return view(g);
      if (name !== g.name) {
        const taken = await tx.workspaceGroup.findUnique({
          where: { workspaceId_name: { workspaceId: actor.workspaceId, name } },
          select: { id: true },
        });
        if (taken) throw nameTaken(name);
      }
      const updated = await tx.workspaceGroup.update({
        where: { id: g.id },
        data: { name, description },
        select: groupSelect,
      });
      await appendAudit(tx, actor, {
        action: name !== g.name ? "group.rename" : "group.describe",
        subjectType: "group",
        subjectId: g.id,
        payload: {
          name,
          ...(name !== g.name ? { previousName: g.name } : {}),
          description,
        },
      });
      return view(updated);
    });
  } catch (err) {
    if (isUniqueViolation(err) && input.name) throw nameTaken(input.name);
    throw err;
  }
}

/** Deletes a group and its memberships (the users stay in the workspace). */
export async function deleteGroup(db: Db, actor: Actor, raw: GroupIdInput) {
  requireAdmin(actor);
  const input = ZGroupIdInput.parse(raw);
  return db.$transaction(async (tx) => {
    const g = await findGroup(tx, actor, input.id);
    await tx.workspaceGroup.delete({ where: { id: g.id } });
    await appendAudit(tx, actor, {
      action: "group.delete",
      subjectType: "group",
      subjectId: g.id,
      payload: { name: g.name, members: view(g).members.map((m) => m.email) },
    });
    return { id: g.id, name: g.name };
  });
}

/** Adds a workspace member to a group; adding someone already in it changes nothing. */
export async function addGroupMember(db: Db, actor: Actor, raw: GroupMemberInput) {
  requireAdmin(actor);
  const input = ZGroupMemberInput.parse(raw);
  return db.$transaction(async (tx) => {
    const g = await findGroup(tx, actor, input.groupId);
    const membership = await tx.membership.findFirst({
      where: { workspaceId: actor.workspaceId, userId: input.userId },
      select: { user: memberUser },
    });
    if (!membership) {
      throw new AppError("NOT_FOUND", {
        message: "That user is not a member of this workspace: invite them first.",
        details: { field: "userId" },
      });
    }
    if (g.members.some((m) => m.user.id === input.userId)) return view(g);
    await tx.workspaceGroupMember.create({ data: { groupId: g.id, userId: input.userId } });
    await appendAudit(tx, actor, {
      action: "group.member.add",
      subjectType: "group",
      subjectId: g.id,
      payload: { name: g.name, userId: input.userId, email: membership.user.email },
    });
    return view(await findGroup(tx, actor, g.id));
  });
}

/** Removes a member from a group (they stay in the workspace). */
export async function removeGroupMember(db: Db, actor: Actor, raw: GroupMemberInput) {
  requireAdmin(actor);
  const input = ZGroupMemberInput.parse(raw);
  return db.$transaction(async (tx) => {
    const g = await findGroup(tx, actor, input.groupId);
    const member = g.members.find((m) => m.user.id === input.userId);
    if (!member) {
      throw new AppError("NOT_FOUND", {
        message: `That user is not in group ${g.name}.`,
        details: { field: "userId" },
      });
    }
    await tx.workspaceGroupMember.delete({
      where: { groupId_userId: { groupId: g.id, userId: input.userId } },
    });
    await appendAudit(tx, actor, {
      action: "group.member.remove",
      subjectType: "group",
      subjectId: g.id,
      payload: { name: g.name, userId: input.userId, email: member.user.email },
    });
    return view(await findGroup(tx, actor, g.id));
  });
}
