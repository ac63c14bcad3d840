/** Workspace roles as the server orders them (server/domain/types.ts), for hiding controls. */
export const ROLES = ["viewer", "editor", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, editor: 1, approver: 2, admin: 3 };

/** True when `role` is at least `required`. The server enforces the same rule on every call. */
export function hasRole(role: Role | undefined, required: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[required];
}
