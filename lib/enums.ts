/**
 * The status and role vocabularies, defined once: the client (badges, filters, controls), the
 * server's domain and its routers import them from here. Pure: no imports.
 *
 * Two other places hold the same values on purpose, and tests keep them equal
 * (`server/adapters/prisma/enums.test.ts`):
 * - the database's enums (`prisma/schema.prisma`: `Role`, `RunStatus`), which Prisma generates;
 * - the engine's records (`server/engine/types.ts`: `RunStatus`, `AttemptStatus`), because the
 *   engine imports only itself and the compiler.
 */

// ---------------------------------------------------------------------------------------------
// Roles

/** Workspace roles, least to most powerful. */
export const ROLES = ["viewer", "editor", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** A role's place in {@link ROLES}: 0 for `viewer` up to 3 for `admin`. */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/**
 * True when `role` is at least `required`: an editor may edit, an approver may approve and edit,
 * an admin may do everything (including managing members). No role (not a member) is nothing.
 * The client uses it to hide controls; the server enforces it on every call.
 *
 * @example
 * hasRole("approver", "editor"); // true
 * hasRole("viewer", "editor"); // false
 */
export function hasRole(role: Role | undefined, required: Role): boolean {
  return role !== undefined && roleRank(role) >= roleRank(required);
}

/** Orders roles from least to most powerful (for `Array.prototype.sort`). */
export function compareRoles(a: Role, b: Role): number {
  return roleRank(a) - roleRank(b);
}

/** Whether `value` is a role (untrusted input: URL parameters, stored settings). */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// Runs

/** Every run status, in lifecycle order. `waiting`: parked on a timer, a person or a subflow. */
export const RUN_STATUSES = [
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
  "compensated",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run never leaves. */
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>([
  "succeeded",
  "failed",
  "cancelled",
  "compensated",
]);

/** Whether a run status is final (no more events will come); false for none or an unknown one. */
export function isTerminalRunStatus(status: string | null | undefined): boolean {
  return status ? TERMINAL_RUN_STATUSES.has(status as RunStatus) : false;
}

/** Whether a run with this status may still be cancelled. */
export function isCancellableRunStatus(status: string | null | undefined): boolean {
  return status === "queued" || status === "running" || status === "waiting";
}

/**
 * How a run ended as people read it: its status, except that a success that left a dead letter
 * (a step with `on_error: continue` failed for good) is `succeeded_with_dead_letters`.
 */
export const RUN_OUTCOMES = [...RUN_STATUSES, "succeeded_with_dead_letters"] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

// ---------------------------------------------------------------------------------------------
// Steps and attempts

/** Lifecycle of one attempt of one step. `waiting`: parked (timer, approval, subflow). */
export const ATTEMPT_STATUSES = ["running", "waiting", "succeeded", "failed", "skipped"] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/**
 * What the run view shows for a step: an attempt's status, `pending` before its first attempt,
 * `compensated` once its compensation ran.
 */
export const STEP_STATUSES = [
  "pending",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "skipped",
  "compensated",
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

// ---------------------------------------------------------------------------------------------
// Approvals

/** What an approval decides: a run's human step (approval, policy exception), a `human.form`, a replay, a reprocess job, a guardian fix (issue 18). */
export const APPROVAL_KINDS = ["step", "form", "replay", "reprocess", "fix"] as const;
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];

/** `pending` until decided; `expired` when the step's timeout fired; `voided` when moot. */
export const APPROVAL_STATUSES = [
  "pending",
  "approved",
  "rejected",
  "submitted",
  "expired",
  "voided",
] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** A person's decision. `submit` fills a form. */
export const DECISIONS = ["approve", "reject", "submit"] as const;
export type DecisionKind = (typeof DECISIONS)[number];

// ---------------------------------------------------------------------------------------------
// Dead letters and reprocess jobs

/**
 * A dead letter's status: `open` until a reprocess job takes it (`reprocessing`), `reprocessed`
 * once its replay run succeeded (a failed one reopens it), or `discarded` with a reason.
 */
export const DEAD_LETTER_STATUSES = ["open", "reprocessing", "reprocessed", "discarded"] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

/**
 * A reprocess job's state: waiting for its approval, then its canary alone, then the rest
 * (`running`); `paused` by a person, `stopped` (a failure with stop on failure, or cancelled),
 * `completed`, or `rejected` (its approval rejected, expired or voided).
 */
export const REPROCESS_JOB_STATES = [
  "pending-approval",
  "canary",
  "running",
  "paused",
  "stopped",
  "completed",
  "rejected",
] as const;
export type ReprocessJobState = (typeof REPROCESS_JOB_STATES)[number];

/** One dead letter of a reprocess job. */
export const REPROCESS_ITEM_STATES = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "skipped",
] as const;
export type ReprocessItemState = (typeof REPROCESS_ITEM_STATES)[number];
