/**
 * The ONE four-eyes guard. Every path that decides an approval (tRPC `approval.decide`,
 * `approval.breakGlass`, `run.resume`, the REST API, bulk decisions, later the guardian) asks
 * {@link checkDecider} before it records anything. Pure: no I/O, no clock.
 *
 * Rules, in the order they are checked:
 * 1. a decided, expired or voided approval is decided no more (CONFLICT);
 * 2. an API token needs the `approve` scope;
 * 3. the requester (who started the run, asked for the replay or the reprocessing) never
 *    decides, break-glass neither; a form is filled in by its assignees, the requester included;
 * 4. one decision per person (`minApprovals` counts distinct people);
 * 5. viewers decide nothing; break-glass is an admin's only;
 * 6. replays and reprocess jobs are decided by approvers and admins;
 * 7. otherwise a person qualifies by matching any of `approvers`: `role` (roles are ordered
 *    viewer < editor < approver < admin, so `role: approver` admits admins), `group` or `users`.
 */
import { hasRole, ROLES, scopeAllows, type Role, type TokenScope } from "../types";
import type { ApprovalKind, ApprovalStatus, ApproverSpec } from "./types";

/** What the guard needs of an approval. */
export interface GuardedApproval {
  kind: ApprovalKind;
  status: ApprovalStatus;
  requesterId: string | null;
  approvers: ApproverSpec;
  decisions: ReadonlyArray<{ userId: string }>;
}

/** Who wants to decide. */
export interface Decider {
  userId: string;
  /** The person's email (matched against `approvers.users`). */
  email: string;
  role: Role;
  /** Names of the workspace groups the person belongs to. */
  groups: readonly string[];
  via: "session" | "token";
  scopes?: readonly TokenScope[];
}

export type GuardResult =
  { ok: true } | { ok: false; code: "FORBIDDEN" | "CONFLICT"; reason: string };

const refuse = (code: "FORBIDDEN" | "CONFLICT", reason: string): GuardResult => ({
  ok: false,
  code,
  reason,
});

const STATUS_TEXT: Record<Exclude<ApprovalStatus, "pending">, string> = {
  approved: "was already approved",
  rejected: "was already rejected",
  submitted: "was already submitted",
  expired: "expired",
  voided: "is void (its run or step ended without it)",
};

/** Whether `approvers` names `decider` (by role, group or email); an empty spec means approvers. */
export function matchesApprovers(approvers: ApproverSpec, decider: Decider): boolean {
  const { role, group, users } = approvers;
  const none = role === undefined && group === undefined && users === undefined;
  if (none) return hasRole(decider.role, "approver");
  if (role !== undefined && isRole(role) && hasRole(decider.role, role)) return true;
  if (group !== undefined && decider.groups.includes(group)) return true;
  if (users !== undefined) {
    const email = decider.email.toLowerCase();
    if (users.some((u) => u.toLowerCase() === email)) return true;
  }
  return false;
}

function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

function describe(approvers: ApproverSpec): string {
  const parts: string[] = [];
  if (approvers.role !== undefined) parts.push(`the ${approvers.role} role or higher`);
  if (approvers.group !== undefined) parts.push(`group ${approvers.group}`);
  if (approvers.users !== undefined) parts.push(`${approvers.users.join(", ")}`);
  return parts.length ? parts.join(" or ") : "the approver role or higher";
}

/**
 * May `decider` decide `approval`? With `breakGlass`, an admin's override: no approver match
 * or quorum needed, but never on the admin's own request and never twice.
 */
export function checkDecider(
  approval: GuardedApproval,
  decider: Decider,
  opts: { breakGlass?: boolean } = {},
): GuardResult {
  if (approval.status !== "pending")
    return refuse("CONFLICT", `This ${approval.kind} approval ${STATUS_TEXT[approval.status]}.`);
  if (decider.via === "token" && !scopeAllows(decider.scopes ?? [], "approve"))
    return refuse(
      "FORBIDDEN",
      `Deciding needs an API token with the approve scope; this one has ${(decider.scopes ?? []).join(", ") || "none"}.`,
    );
  if (
    approval.requesterId !== null &&
    approval.requesterId === decider.userId &&
    (approval.kind !== "form" || opts.breakGlass)
  )
    return refuse(
      "FORBIDDEN",
      opts.breakGlass
        ? "Break-glass is never allowed on your own request: another admin must decide."
        : "You requested this, so another person must decide it (four-eyes rule).",
    );
  if (approval.decisions.some((d) => d.userId === decider.userId))
    return refuse("FORBIDDEN", "You already decided this; each person decides once.");
  if (decider.role === "viewer") return refuse("FORBIDDEN", "Viewers cannot decide approvals.");
  if (opts.breakGlass) {
    return decider.role === "admin"
      ? { ok: true }
      : refuse("FORBIDDEN", "Break-glass decisions are for workspace admins only.");
  }
  if (
    (approval.kind === "replay" || approval.kind === "reprocess") &&
    !hasRole(decider.role, "approver")
  )
    return refuse(
      "FORBIDDEN",
      `A ${approval.kind} is decided by members with the approver or admin role; you are ${decider.role === "editor" ? "an" : "a"} ${decider.role}.`,
    );
  if (!matchesApprovers(approval.approvers, decider))
    return refuse("FORBIDDEN", `This is decided by ${describe(approval.approvers)}.`);
  return { ok: true };
}
