// The domain talks to the database through Prisma's typed client (never SQL). These are types
// only, of the generated client as the Prisma adapter exports them: the one edge from the domain
// into server/adapters the layer rules allow, and only in this file. The client itself is built
// by the adapter and handed in.
import type { Prisma, PrismaClient, Role } from "@/server/adapters/prisma";
import { hasRole } from "@/lib/enums";

/** What domain functions receive: the Prisma client (or a transaction of it). */
export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;
export type { Role };

// Roles and their order are defined once, with the client (`@/lib/enums`); Prisma's `Role` enum
// holds the same values (server/adapters/prisma/enums.test.ts).
export { ROLES } from "@/lib/enums";
export { hasRole };

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
