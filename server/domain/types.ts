import type { PrismaClient, Prisma, Role } from "@/server/adapters/prisma";

/** What domain functions receive: the Prisma client (or a transaction of it). */
export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;
export type { Role };

export const ROLES = ["viewer", "editor", "approver", "admin"] as const satisfies readonly Role[];

/** Who is acting, in which workspace, with which role. Built by the tRPC context. */
export interface Actor {
  userId: string;
  /** Shown in the audit ledger: the user's email, or `token:<name>`. */
  label: string;
  workspaceId: string;
  role: Role;
  via: "session" | "token";
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, approver: 2, admin: 3 };

/**
 * Role checks. Ranks are ordered except for approvals: an editor may edit, an approver may
 * approve and edit, an admin may do everything (including managing members).
 */
export function hasRole(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}
