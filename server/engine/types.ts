/**
 * The engine's records: runs, attempts, tasks, dead letters and events as plain data. Times are
 * epoch milliseconds (the engine reads time only through the `Clock` port); stores convert.
 */
import type { FlowIR } from "@/dsl";
import type { Classification, ErrorInfo } from "./errors";

/** Lifecycle of a run. `waiting`: parked on a timer, a person or a subflow. */
export type RunStatus =
  "queued" | "running" | "waiting" | "succeeded" | "failed" | "cancelled" | "compensated";

/** Every run status, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = [
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
  "compensated",
];

/** Statuses a run never leaves. */
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  "succeeded",
  "failed",
  "cancelled",
  "compensated",
]);

/** Whether a run status is final. */
export function isTerminalRun(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.has(status);
}

/** Lifecycle of one attempt of one step. `waiting`: parked (timer, approval, subflow). */
export type AttemptStatus = "running" | "waiting" | "succeeded" | "failed" | "skipped";

/** A run as stored. */
export interface RunRecord {
  id: string;
  workspaceId: string;
  workflowId: string | null;
  /** The workflow version the IR was compiled from, or null for a draft. */
  version: string | null;
  irHash: string;
  /** Snapshot of the IR the run executes (never changes during the run). */
  ir: FlowIR;
  status: RunStatus;
  inputs: Record<string, unknown>;
  output: unknown;
  error: ErrorInfo | null;
  parentRunId: string | null;
  parentStepId: string | null;
  /** Deduplicates run creation (subflow attempts, webhook deliveries). */
  idempotencyKey: string | null;
  /** Who started it (`user@example.com`, `token:ci`, `engine`). */
  startedBy: string | null;
  /**
   * The person (or the API token's creator) who started it: the requester the four-eyes guard
   * refuses. Null (or absent) for webhook, schedule and sub-flow runs.
   */
  startedByUserId?: string | null;
  /** Set on a replay run: the run it replays and its plan (absent or null otherwise). */
  replay?: RunReplay | null;
  /** The sandbox session the run executes in (issue 16); absent or null: none. */
  sandboxSessionId?: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** When a worker should next advance the run; null while parked on a person. */
  dueAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

/**
 * A replay run's link to the run it replays (`server/domain/replay/`): the approved plan's hash
 * and the idempotency keys its steps use instead of `<runId>:<stepId>`: a step re-executed
 * after a failure keeps the key of the failed run's attempt, so a write that happened before
 * the answer was lost is deduplicated by the remote system instead of being done twice.
 */
export interface RunReplay {
  ofRunId: string;
  planHash: string;
  /** Step id -> idempotency key (fan-out children append their `[i]` to their parent's key). */
  keys: Record<string, string>;
}

/** What creating a run needs. */
export interface NewRun {
  id: string;
  workspaceId: string;
  workflowId: string | null;
  version: string | null;
  ir: FlowIR;
  inputs: Record<string, unknown>;
  parentRunId?: string | null;
  parentStepId?: string | null;
  idempotencyKey?: string | null;
  startedBy?: string | null;
  /** The person (or the API token's creator) who started it; null for webhooks and schedules. */
  startedByUserId?: string | null;
  /** A replay run's link (see {@link RunReplay}). */
  replay?: RunReplay | null;
  /** The sandbox session the run executes in (issue 16); sub-flows inherit it. */
  sandboxSessionId?: string | null;
  now: number;
  /** Created already leased (status running, not due): a run started inline by its owner. */
  lease?: { owner: string; expiresAt: number };
}

/** One attempt of one step, unique by (runId, stepId, attempt). */
export interface AttemptRecord {
  runId: string;
  stepId: string;
  attempt: number;
  status: AttemptStatus;
  /** Block id (`crm.deal.update`), for the run view and metrics. */
  blockId: string;
  inputs: unknown;
  output: unknown;
  error: ErrorInfo | null;
  classification: Classification | null;
  idempotencyKey: string;
  consentId: string | null;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  /** When the next attempt is scheduled (a retry row exists); null when final. */
  retryAt: number | null;
  /** Order in which attempts finished (for reverse-order compensation); set by the store. */
  finishSeq: number | null;
  /** The worker that ran it. */
  workerId: string | null;
}

/** Starting an attempt: inserted as `running`; when the row exists, the stored row is returned. */
export type AttemptStart = Omit<
  AttemptRecord,
  | "status"
  | "output"
  | "error"
  | "classification"
  | "finishedAt"
  | "durationMs"
  | "retryAt"
  | "finishSeq"
>;

/** Finishing (or parking) an attempt. The first terminal result wins; later ones are no-ops. */
export interface AttemptFinish {
  runId: string;
  stepId: string;
  attempt: number;
  status: "succeeded" | "failed" | "waiting";
  output?: unknown;
  error?: ErrorInfo | null;
  finishedAt: number;
  durationMs?: number;
  retryAt?: number | null;
  /**
   * The answer a connector or model step's attempt got (issue 16), written with the finish
   * (`recorded-answer.ts`); absent for other blocks and for parks.
   */
  answer?: RecordedAnswerData;
}

/** A connector's or a model's answer to one attempt, before the store caps it. */
export interface RecordedAnswerData {
  kind: "connector" | "model";
  body: unknown;
}

/** Kinds of scheduled rows. */
export type TaskKind = "retry" | "timer" | "resume" | "child";

/** A scheduled row: a retry, a timer, a person's decision, a subflow's completion. */
export interface TaskRecord {
  id: string;
  runId: string;
  stepId: string | null;
  kind: TaskKind;
  dueAt: number;
  payload: unknown;
  createdAt: number;
  /** Set when the engine has applied it. */
  doneAt: number | null;
}

/** A task to schedule. */
export type NewTask = Omit<TaskRecord, "doneAt">;

/** The record of a step whose retries ran out. */
export interface DeadLetterRecord {
  id: string;
  runId: string;
  workspaceId: string;
  stepId: string;
  blockId: string;
  error: ErrorInfo;
  inputs: unknown;
  attempts: number;
  classification: Classification;
  createdAt: number;
}

/** One entry of a run's append-only event log (the live view and the scrubber read it). */
export interface RunEventRecord {
  runId: string;
  /** Strictly increasing per run (gaps possible when a duplicate was dropped). */
  seq: number;
  type: string;
  stepId: string | null;
  data: unknown;
  at: number;
}

/** An event to append; `key` deduplicates (a replayed transition is recorded once). */
export interface NewEvent {
  type: string;
  stepId?: string | null;
  data?: unknown;
  at: number;
  key?: string | null;
}

/** Changes to the run row in a commit. Only applied while the committer holds the lease. */
export interface RunUpdate {
  status?: RunStatus;
  output?: unknown;
  error?: ErrorInfo | null;
  dueAt?: number | null;
  startedAt?: number;
  finishedAt?: number;
  /** Drop the lease (the worker is done with the run for now). */
  release?: boolean;
}
