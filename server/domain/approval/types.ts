/**
 * Approvals as plain data, and the store the approval use cases write them through inside a
 * transaction (`TxScope.approvals`, implemented on the SQL driver by
 * `server/adapters/store/sql-approvals.ts`). Times are epoch milliseconds. This module imports
 * nothing of the run domain, so the run ports can hand the store out without an import cycle.
 */

// The kinds, statuses and decisions are defined once, with the client (`@/lib/enums`).
import {
  APPROVAL_KINDS,
  APPROVAL_STATUSES,
  DECISIONS,
  type ApprovalKind,
  type ApprovalStatus,
  type DecisionKind,
} from "@/lib/enums";

export { APPROVAL_KINDS, APPROVAL_STATUSES, DECISIONS };
export type { ApprovalKind, ApprovalStatus, DecisionKind };

/** Who may decide: a workspace role (and every higher one), a group, or named members' emails. */
export interface ApproverSpec {
  role?: string;
  group?: string;
  users?: string[];
}

/** An approval as stored. */
export interface ApprovalRecord {
  id: string;
  workspaceId: string;
  kind: ApprovalKind;
  status: ApprovalStatus;
  runId: string | null;
  workflowId: string | null;
  stepId: string | null;
  attempt: number | null;
  /** The requester's user id: never decides. Null for webhook and schedule runs. */
  requesterId: string | null;
  requesterLabel: string | null;
  approvers: ApproverSpec;
  minApprovals: number;
  /** `message`, `form`, `inputs`, `plan`, `flow` (the flow's name), by kind. */
  subject: Record<string, unknown>;
  planHash: string | null;
  expiresAt: number | null;
  escalatedAt: number | null;
  createdAt: number;
  decidedAt: number | null;
}

/** One person's decision as stored. */
export interface ApprovalDecisionRecord {
  id: string;
  approvalId: string;
  userId: string;
  label: string;
  decision: DecisionKind;
  comment: string | null;
  values: Record<string, unknown> | null;
  breakGlass: boolean;
  reason: string | null;
  createdAt: number;
}

/** An approval to create. */
export type NewApproval = Omit<
  ApprovalRecord,
  "status" | "escalatedAt" | "decidedAt" | "createdAt"
> & { now: number };

/** A human step parked on a person (a `waiting` attempt of an active run), as the sync reads it. */
export interface HumanWait {
  runId: string;
  workspaceId: string;
  workflowId: string | null;
  stepId: string;
  attempt: number;
  blockId: string;
  inputs: Record<string, unknown>;
  /** Run.startedByUserId / Run.startedBy. */
  requesterId: string | null;
  requesterLabel: string | null;
  /** The flow's name (`flow:`). */
  flow: string | null;
  /** The pending timeout timer's due time, if any. */
  timeoutAt: number | null;
}

/** Where a pending step or form approval's attempt stands (the sync reconciles the two). */
export interface PendingStepState {
  id: string;
  workspaceId: string;
  runStatus: string | null;
  attemptStatus: string | null;
  /** The attempt's output says `timedOut: true` (an `onTimeout: approve`). */
  timedOut: boolean;
  /** A timeout timer of the step was applied by the engine. */
  timerFired: boolean;
  onTimeout: string | null;
  escalatedAt: number | null;
}

/** The approvals' records inside one transaction. */
export interface ApprovalStore {
  /** Inserts `a`; with a (run, step, attempt) that exists, returns the stored one (`created` false). */
  insert(a: NewApproval): Promise<{ approval: ApprovalRecord; created: boolean }>;
  /** The approval, locked for update until the transaction ends; null when not in `workspaceId`. */
  lock(id: string, workspaceId: string): Promise<ApprovalRecord | null>;
  /** The step or form approval of (run, step, attempt), locked for update. */
  lockForAttempt(runId: string, stepId: string, attempt: number): Promise<ApprovalRecord | null>;
  /** Its decisions, oldest first. */
  decisions(approvalId: string): Promise<ApprovalDecisionRecord[]>;
  /** Records a decision; false when this person already decided (unique per person). */
  addDecision(d: ApprovalDecisionRecord): Promise<boolean>;
  /**
   * Sets a pending approval's status (and `decidedAt` when it is final); a decided one stays,
   * except that an approved one may be voided (a replay whose plan no longer holds, voided by
   * its effect in the transaction that approved it).
   */
  setStatus(id: string, status: ApprovalStatus, at: number): Promise<boolean>;
  /**
   * Marks an escalated approval (its timeout fired with `onTimeout: escalate`); true when this
   * call marked it (false: it was already).
   */
  markEscalated(id: string, at: number): Promise<boolean>;
  /**
   * Expires pending replay and reprocess approvals whose `expiresAt` has passed (at most
   * `limit`); returns them, expired.
   */
  expireDue(now: number, limit: number): Promise<ApprovalRecord[]>;
  /**
   * Waiting attempts of human blocks (`blockIds`) with no approval yet: of the active runs of
   * every workspace, of one workspace, or of one run. At most `limit`.
   */
  humanWaitsWithoutApproval(
    scope: { workspaceId?: string; runId?: string },
    blockIds: readonly string[],
    limit: number,
  ): Promise<HumanWait[]>;
  /**
   * Pending step and form approvals whose step moved on (ended, or timed out with
   * `onTimeout: escalate`), with their attempt's state: of every workspace, of one, of one run
   * or of one approval.
   */
  pendingStepStates(
    scope: { workspaceId?: string; runId?: string; approvalId?: string },
    limit: number,
  ): Promise<PendingStepState[]>;
}
