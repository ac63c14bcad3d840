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
  /** With `via: "token"`: what the token may do (see `scopeAllows`); the role bounds it too. */
  scopes?: readonly TokenScope[];
}

/**
 * API token scopes. `read` reads everything the creator's role may read; `run` starts and
 * cancels runs; `approve` decides human steps; `admin` is every other change (flows, triggers,
 * connectors, settings). Any scope implies `read`, `admin` implies all. A token's effective power
 * is its scope intersected with its creator's current role in the workspace.
 */
export const TOKEN_SCOPES = ["read", "run", "approve", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export function scopeAllows(scopes: readonly TokenScope[], required: TokenScope): boolean {
  if (scopes.length === 0) return false;
  return required === "read" || scopes.includes(required) || scopes.includes("admin");
}

/** What an actor may do: its role, and for a token its scopes as well. */
export function actorMay(actor: Actor, role: Role, scope: TokenScope): boolean {
  if (!hasRole(actor.role, role)) return false;
  return actor.via !== "token" || scopeAllows(actor.scopes ?? [], scope);
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, approver: 2, admin: 3 };

/**
 * Role checks. Ranks are ordered except for approvals: an editor may edit, an approver may
 * approve and edit, an admin may do everything (including managing members).
 */
export function hasRole(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}
