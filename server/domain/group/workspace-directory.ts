/**
 * The workspace's directory for design-time compiles (`CompileOptions.directory`): its group
 * names and its members' emails, so a flow addressing an unknown `group:` or a `users:` email
 * that is not a member gets TF3060 before anything runs.
 */
import type { FlowDirectory } from "@/dsl";
import type { Db, Tx } from "../types";

/** Group names (sorted) and member emails (sorted) of a workspace. Two indexed queries. */
export async function workspaceDirectory(db: Db | Tx, workspaceId: string): Promise<FlowDirectory> {
  // One after the other: `db` may be a transaction, which runs one query at a time anyway.
  const groups = await db.workspaceGroup.findMany({
    where: { workspaceId },
    orderBy: { name: "asc" },
    select: { name: true },
  });
  const members = await db.membership.findMany({
    where: { workspaceId },
    select: { user: { select: { email: true } } },
  });
  return {
    groups: groups.map((g) => g.name),
    users: members.map((m) => m.user.email).sort(),
  };
}
