/**
 * Reprocess jobs and dead letters as plain data, and the store the reprocess runner writes them
 * through inside a transaction (`TxScope.reprocess`, implemented on the SQL driver by
 * `server/adapters/store/sql-reprocess.ts`). Times are epoch milliseconds. Like the approvals'
 * types, this module imports nothing of the run domain, so the run ports can hand the store out
 * without an import cycle.
 */
import type { DeadLetterStatus, ReprocessItemState, ReprocessJobState } from "@/lib/enums";

export type { DeadLetterStatus, ReprocessItemState, ReprocessJobState };

/** A reprocess job as stored. */
export interface ReprocessJobRecord {
  id: string;
  workspaceId: string;
  requesterId: string;
  requesterLabel: string;
  approvalId: string | null;
  /** `{ ids }` or `{ filter }`: what was asked for (the items are the frozen list). */
  selection: Record<string, unknown>;
  planHash: string;
  canary: number;
  ratePerMinute: number;
  stopOnFailure: boolean;
  state: ReprocessJobState;
  stopReason: string | null;
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** No item starts before this time (the rate limit); null: at once. */
  nextStartAt: number | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** One dead letter of a job, as stored. */
export interface ReprocessItemRecord {
  id: string;
  jobId: string;
  deadLetterId: string;
  /** The dead letter's run: the replay's source. */
  runId: string;
  position: number;
  /** The hash of the item's resume replay plan, as approved. */
  planHash: string;
  state: ReprocessItemState;
  replayRunId: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
}

/** What the runner reads of a dead letter. */
export interface DeadLetterState {
  id: string;
  workspaceId: string;
  runId: string;
  stepId: string;
  status: DeadLetterStatus;
  reprocessedRunId: string | null;
}

/** The job fields the runner changes. */
export type ReprocessJobPatch = Partial<
  Pick<
    ReprocessJobRecord,
    "state" | "stopReason" | "succeeded" | "failed" | "skipped" | "nextStartAt" | "finishedAt"
  >
>;

/** The item fields the runner changes. */
export type ReprocessItemPatch = Partial<
  Pick<ReprocessItemRecord, "state" | "replayRunId" | "startedAt" | "finishedAt" | "error">
>;

/** Reprocess jobs, their items and the dead letters' status, inside one transaction. */
export interface ReprocessStore {
  /** Inserts a job and its items (positions 0..n-1). */
  insertJob(
    job: Omit<ReprocessJobRecord, "updatedAt" | "finishedAt" | "nextStartAt">,
    items: Omit<
      ReprocessItemRecord,
      "jobId" | "state" | "replayRunId" | "startedAt" | "finishedAt" | "error"
    >[],
  ): Promise<void>;
  /**
   * The job, locked for update until the transaction ends; null when it does not exist or (with
   * `skipLocked`) another runner holds it.
   */
  lockJob(id: string, opts?: { skipLocked?: boolean }): Promise<ReprocessJobRecord | null>;
  /** The job of an approval, locked for update. */
  lockJobOfApproval(approvalId: string): Promise<ReprocessJobRecord | null>;
  updateJob(id: string, patch: ReprocessJobPatch, now: number): Promise<void>;
  /** Jobs a runner has work on (started, or with running items, or awaiting an ended approval). */
  activeJobIds(limit: number): Promise<string[]>;
  /** The job's items in `state`, by position (at most `limit`). */
  items(jobId: string, state: ReprocessItemState, limit: number): Promise<ReprocessItemRecord[]>;
  /** How many items of the job (below `beforePosition` when given) are in each state. */
  itemCounts(
    jobId: string,
    beforePosition: number | null,
  ): Promise<Record<ReprocessItemState, number>>;
  /**
   * Claims the job's first pending item (below `beforePosition` when given), locked for update
   * and skipped by other runners until the transaction ends; null when none.
   */
  claimNext(jobId: string, beforePosition: number | null): Promise<ReprocessItemRecord | null>;
  /** Sets an item's fields when it is in state `from`: false when it was not. */
  setItem(id: string, from: ReprocessItemState, patch: ReprocessItemPatch): Promise<boolean>;
  /** The dead letter, locked for update. */
  lockDeadLetter(id: string): Promise<DeadLetterState | null>;
  /** Sets a dead letter's status (and reprocessed run) when its status is one of `from`. */
  setDeadLetter(
    id: string,
    from: readonly DeadLetterStatus[],
    patch: { status: DeadLetterStatus; reprocessedRunId?: string | null },
  ): Promise<boolean>;
  /** Discards the workspace's open dead letters among `ids`: the ids discarded. */
  discard(
    workspaceId: string,
    ids: readonly string[],
    by: { label: string; reason: string; at: number },
  ): Promise<string[]>;
  /** A succeeded replay run of `runId`, if any. */
  succeededReplayOf(runId: string): Promise<string | null>;
  /** An approval's status (unlocked: the approval's own transaction may hold its row). */
  approvalStatus(approvalId: string): Promise<string | null>;
}
