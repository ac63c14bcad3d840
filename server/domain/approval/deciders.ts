/**
 * Who may decide an approval: the approvers a step names (`approverSpecOf`) and the acting
 * person as the one guard (`guard.ts`) sees them (`deciderOf`).
 */
import type { Actor, Db } from "../types";
import type { Decider } from "./guard";
import type { ApproverSpec } from "./types";

const str = (v: unknown, max = 200) =>
  typeof v === "string" && v.trim() ? v.trim().slice(0, max) : undefined;

/** A step's `approvers` (or a form's `assignees`) as stored: only the keys the guard reads. */
export function approverSpecOf(value: unknown): ApproverSpec {
  const o = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  const spec: ApproverSpec = {};
  const role = str(o.role, 20);
  const group = str(o.group);
  if (role) spec.role = role;
  if (group) spec.group = group;
  if (Array.isArray(o.users)) {
    const users = o.users.flatMap((u) => (str(u) ? [str(u)!] : [])).slice(0, 50);
    if (users.length) spec.users = users;
  }
  return spec;
}

/** The actor as the guard sees it: email, role, groups and, for a token, its scopes. */
export async function deciderOf(db: Db, actor: Actor): Promise<Decider> {
  const [user, groups] = await Promise.all([
    actor.via === "session"
      ? { email: actor.label }
      : db.user.findUnique({ where: { id: actor.userId }, select: { email: true } }),
    db.workspaceGroupMember.findMany({
      where: { userId: actor.userId, group: { workspaceId: actor.workspaceId } },
      select: { group: { select: { name: true } } },
    }),
  ]);
  return {
    userId: actor.userId,
    email: user?.email ?? "",
    role: actor.role,
    groups: groups.map((g) => g.group.name),
    via: actor.via,
    scopes: actor.scopes,
  };
}
