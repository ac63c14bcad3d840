import { createAccount } from "@/server/domain/auth/sign-up";
import type { Db, Role } from "@/server/domain/types";
import { createContextInner } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";

let n = 0;
const unique = () => `${Date.now().toString(36)}${(n++).toString(36)}`;

/** A user with their own workspace (admin there). Fast enough: one scrypt hash per user. */
export async function makeUser(db: Db, label = "user") {
  const email = `${label}-${unique()}@example.test`;
  const { user, workspace } = await createAccount(db, {
    email,
    name: label,
    password: "correct horse battery",
  });
  return { user, workspace };
}

/** Adds `user` to `workspaceId` with `role` (bypassing the API, for arranging tests). */
export async function addMembership(db: Db, userId: string, workspaceId: string, role: Role) {
  return db.membership.create({ data: { userId, workspaceId, role } });
}

/** A tRPC caller acting as `user` in `workspaceId`, with no HTTP in between. */
export function callerFor(
  db: Db,
  user: { id: string; email: string; name: string },
  workspaceId?: string,
) {
  return createCaller(createContextInner({ db, user, workspaceId: workspaceId ?? null }));
}
