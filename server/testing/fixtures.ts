import { createAccount } from "@/server/domain/auth/sign-up";
import type { Actor, Db, Role } from "@/server/domain/types";
import { createContextInner } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";
import { servicesOfClient } from "@/server/wiring/services";

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

/** A user made by {@link makeUser}. */
export type TestUser = Awaited<ReturnType<typeof makeUser>>;

/** `owner` acting in their own workspace as its admin, signed in (for domain functions). */
export function adminActor(owner: {
  user: { id: string; email: string };
  workspace: { id: string };
}): Actor {
  return {
    userId: owner.user.id,
    label: owner.user.email,
    workspaceId: owner.workspace.id,
    role: "admin",
    via: "session",
  };
}

/** Adds `user` to `workspaceId` with `role` (bypassing the API, for arranging tests). */
export async function addMembership(db: Db, userId: string, workspaceId: string, role: Role) {
  return db.membership.create({ data: { userId, workspaceId, role } });
}

/**
 * A tRPC caller acting as `user` in `workspaceId`, with no HTTP in between, on the services of
 * `db`'s test database (`openTestDatabase` builds them).
 */
export function callerFor(
  db: Db,
  user: { id: string; email: string; name: string },
  workspaceId?: string,
) {
  const services = servicesOfClient(db);
  return createCaller(createContextInner({ db, services, user, workspaceId: workspaceId ?? null }));
}
