/**
 * The engine's ports: everything it needs from the world. The engine never reads the system
 * clock, never calls Math.random and never touches a database; adapters implement these
 * interfaces (memory for unit tests, SQL on PGlite/PostgreSQL, real clock and crypto ids).
 */
import type { FlowIR, StepIR, BlockRef } from "@/dsl";
import type { RunStatus } from "./types";
import type {
  AttemptFinish,
  AttemptRecord,
  AttemptStart,
  DeadLetterRecord,
  NewEvent,
  NewRun,
  NewTask,
  RunEventRecord,
  RunRecord,
  RunUpdate,
  TaskRecord,
} from "./types";
import type { BreakerState } from "./breaker";
import type { ErrorInfo } from "./errors";
import type { AnswerRecorder } from "./recorded-answer";

export type { AnswerRecorder } from "./recorded-answer";

// ---------------------------------------------------------------------------------------------
// Store

/**
 * One atomic write: everything the engine learned since its last write. A checkpoint is the
 * unit of durability: pure step results buffered in memory reach the store in the next
 * checkpoint (at a side-effect boundary, a park or the end of the run).
 */
export interface Checkpoint {
  /**
   * Completed attempts of steps that are never started (pure results, skips, failures before a
   * runtime ran), to record as they are; duplicates are ignored. A store may record them
   * compactly with the checkpoint (they are recomputed after a crash) as long as its reads
   * (`loadState`, `listAttempts`) return them.
   */
  attempts?: AttemptRecord[];
  /** An attempt to start; when (run, step, attempt) exists, the stored row is returned. */
  start?: AttemptStart;
  /** An attempt to finish or park; a second terminal result is a no-op returning the first. */
  finish?: AttemptFinish;
  tasks?: NewTask[];
  /** Ids of tasks the engine has applied. */
  consumeTasks?: string[];
  deadLetters?: DeadLetterRecord[];
  events?: NewEvent[];
  /** Applied only when `owner` still holds the run's lease. */
  run?: RunUpdate;
  /**
   * Ledger entries of this checkpoint (a run's end). A store that appends them atomically with
   * it says so with {@link CommitResult.audited}; otherwise the engine hands them to the
   * {@link AuditSink} after the commit.
   */
  audit?: RunAuditEntry[];
}

/** What a {@link Checkpoint} did. */
export interface CommitResult {
  /** The stored row of `start` (fresh or pre-existing). */
  started?: AttemptRecord;
  /** True when `start` inserted the row (false: it existed, e.g. a crashed worker's attempt). */
  startedFresh?: boolean;
  /** The stored row after `finish`: this commit's result, or the first one recorded. */
  finished?: AttemptRecord;
  /** True when this commit's `finish` was applied. */
  finishedFirst?: boolean;
  /** Whether `owner` still holds the lease (run updates were applied only then). */
  leaseHeld: boolean;
  /** The run's status after the commit (a cancel from elsewhere shows up here). */
  runStatus: RunStatus;
  /** True when the checkpoint's `audit` entries were appended with it. */
  audited?: boolean;
}

/** Everything the engine needs to rebuild a run's state after a claim. */
export interface RunState {
  attempts: AttemptRecord[];
  /** Tasks not yet applied. */
  tasks: TaskRecord[];
}

/** Filters for listing runs (always within one workspace). */
export interface RunFilter {
  workspaceId: string;
  status?: RunStatus[];
  workflowId?: string;
  version?: string;
  parentRunId?: string;
  /** createdAt >= from, createdAt < to (epoch ms). */
  from?: number;
  to?: number;
  limit: number;
  /** Id of the last run of the previous page (newest first). */
  cursor?: string;
}

/** Options for claiming due runs. */
export interface ClaimOptions {
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** At most this many leased runs per workspace (the per-workspace concurrency limit). */
  perWorkspaceLimit?: number;
}

/**
 * Durable run state. Guarantees every implementation proves with the contract suite in
 * `store-contract.ts`: (runId, stepId, attempt) is unique; the first terminal result of an
 * attempt wins; a commit is atomic; a run is leased to at most one owner at a time; a run whose
 * lease expired can be claimed by another owner.
 */
export interface RunStore {
  /** Creates a run (status `queued`, due now). With an idempotency key an existing run is returned. */
  createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean }>;
  getRun(id: string): Promise<RunRecord | null>;
  /** Newest first. */
  listRuns(filter: RunFilter): Promise<{ runs: RunRecord[]; nextCursor: string | null }>;
  /**
   * Leases due runs: queued, running or waiting with dueAt <= now and no live lease, or runs whose
   * worker died (lease expired). While leased a run's dueAt is null (a signal sets it); the
   * records returned carry the dueAt they had when claimed (for queue-lag metrics). Release
   * sets dueAt to the earliest pending task.
   */
  claimRuns(opts: ClaimOptions): Promise<RunRecord[]>;
  /** Extends a held lease; false when it was lost. */
  renewLease(runId: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  loadState(runId: string): Promise<RunState>;
  /** Applies a checkpoint atomically. `owner` null: no lease (domain actions such as resume). */
  commit(runId: string, owner: string | null, checkpoint: Checkpoint): Promise<CommitResult>;
  /**
   * Adds a task and wakes the run (waiting -> running, due at the task's time at the latest).
   * False when the run is missing or finished.
   */
  signal(runId: string, task: NewTask): Promise<boolean>;
  /** Cancels a run that is not finished; returns the run after the change, null if missing. */
  cancelRun(runId: string, now: number, reason: string): Promise<RunRecord | null>;
  listAttempts(runId: string): Promise<AttemptRecord[]>;
  listEvents(runId: string, afterSeq?: number, limit?: number): Promise<RunEventRecord[]>;
  listTasks(runId: string): Promise<TaskRecord[]>;
  listDeadLetters(filter: {
    workspaceId?: string;
    runId?: string;
    limit?: number;
  }): Promise<DeadLetterRecord[]>;
  countDeadLetters(workspaceId?: string): Promise<number>;
  /**
   * The run's nesting depth: how many ancestors it has through `parentRunId` (0 for a top-level
   * or unknown run), followed at most `max` levels up, so the work is bounded whatever the chain.
   */
  runDepth(runId: string, max: number): Promise<number>;
  /**
   * The workspace's active (queued, running, waiting) runs, counted up to `cap` at most (an
   * index-only count that never scans the run history).
   */
  countActiveRuns(workspaceId: string, cap: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Time, ids, randomness

/** Time, read only through this port. Durable waits are task rows, never sleeps. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` (per-attempt timeouts only); rejects nothing, resolves early on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Unique ids (UUIDs in production, counters in tests). */
export interface IdGen {
  next(): string;
}

/** Randomness for jitter: a number in [0, 1). Seeded in tests. */
export interface Random {
  next(): number;
}

// ---------------------------------------------------------------------------------------------
// Runtimes

/** What a runtime knows about its run. */
export interface RunInfo {
  id: string;
  workspaceId: string;
  workflowId: string | null;
  version: string | null;
  flow: string;
  inputs: Record<string, unknown>;
  startedBy: string | null;
  /**
   * Sandbox (issue 16): the session the run executes in (null: none), and whether its flow says
   * `sandbox: true`. The server's runtimes route such a run to mocks and the demo model only.
   */
  sandboxSessionId?: string | null;
  sandboxOnly?: boolean;
}

/** A step as a runtime sees it: a flow step, or a foreach/parallel child of one. */
export interface ExecStep {
  /** Step id; children are `<parent>[<index>]`, compensations `<step>~compensate`. */
  id: string;
  block: BlockRef;
  /** The flow step (for a child: its parent). */
  source: StepIR;
}

/** Helpers the engine offers to runtimes. */
export interface RuntimeServices {
  now(): number;
  /** Evaluates a CEL source over the step's context (inputs, steps, run, secrets, item, index). */
  evaluate(source: string): unknown;
  /** Status of another step of the run (`control.join` reads its needs). */
  stepStatus(stepId: string): "succeeded" | "failed" | "skipped" | "pending";
  /** Starts another flow of the workspace as a child run (idempotent per step). */
  startChildRun(
    ref: string,
    inputs: Record<string, unknown>,
  ): Promise<{ runId: string; created: boolean }>;
}

/** One call of a block. */
export interface RuntimeRequest {
  step: ExecStep;
  block: BlockRef;
  inputs: Record<string, unknown>;
  /** Stable across the step's retries: pass it on so the remote side deduplicates. */
  idempotencyKey: string;
  attempt: number;
  /** Aborted on timeout, cancel or worker shutdown. */
  signal: AbortSignal;
  run: RunInfo;
  consentId: string | null;
  services: RuntimeServices;
  /**
   * Set for connector and agent steps (issue 16): a runtime reports each remote call's answer
   * here (an agent's model calls); the engine records them with the attempt's outcome.
   */
  answers?: AnswerRecorder;
}

/**
 * One attempt of one step as a remote runtime sees it (connectors, agents): the
 * {@link RuntimeRequest} flattened to the fields a remote call needs.
 */
export interface BlockExecution extends Pick<
  RuntimeRequest,
  "inputs" | "idempotencyKey" | "attempt" | "signal"
> {
  block: Pick<RuntimeRequest["block"], "id" | "version" | "major">;
  workspaceId: RuntimeRequest["run"]["workspaceId"];
  runId: RuntimeRequest["run"]["id"];
  stepId: RuntimeRequest["step"]["id"];
}

/** Why a parked step is resumed. */
export type ResumeSignal =
  | { kind: "timer"; at: number }
  | { kind: "decision"; payload: Decision }
  | {
      kind: "child";
      payload: { runId: string; status: RunStatus; output: unknown; error: unknown };
    };

/** A person's answer to a human step (approval or form). */
export interface Decision {
  approved: boolean;
  by: string;
  /** Every approver's label when a quorum decided (`minApprovals`); default `[by]`. */
  decidedBy?: string[];
  comment?: string;
  values?: Record<string, unknown>;
  at: number;
}

/** Returned by a runtime to park its step: the run waits durably (no process is held). */
export interface Park {
  park: true;
  reason: "timer" | "approval" | "form" | "subflow";
  /** Wake-up time for a timer (or an approval's timeout). */
  until?: number;
  data?: Record<string, unknown>;
}

/** Builds a {@link Park}. */
export function park(reason: Park["reason"], until?: number, data?: Record<string, unknown>): Park {
  const p: Park = { park: true, reason };
  if (until !== undefined) p.until = until;
  if (data) p.data = data;
  return p;
}

/** Whether a runtime result parks the step. */
export function isPark(v: unknown): v is Park {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as Park).park === true &&
    typeof (v as Park).reason === "string"
  );
}

/**
 * Executes one block. Throws an engine error (see `errors.ts`) to fail the attempt, returns
 * the output, or returns {@link park} to wait. `pure` runtimes are deterministic functions of
 * their inputs: the engine may run them without a durable checkpoint and recompute them after
 * a crash.
 */
export interface BlockRuntime {
  readonly pure?: boolean;
  /**
   * Set for blocks the engine fans out itself (`control.foreach`, `control.parallel`): each
   * item or branch becomes a child step with its own attempts, retries and checkpoints.
   */
  readonly fanout?: "foreach" | "parallel";
  /**
   * Set by a runtime that enforces an explicit `timeoutMs` input itself and answers with its
   * own error (the code sandbox): the engine's attempt timeout waits this much longer.
   */
  readonly deadlineGraceMs?: number;
  execute(req: RuntimeRequest): unknown;
  /** Finishes a parked step: returns its output, throws to fail it, or parks again. */
  resume?(req: RuntimeRequest, signal: ResumeSignal): unknown;
}

/** Finds the runtime of a block id. */
export interface RuntimeRegistry {
  get(blockId: string): BlockRuntime | undefined;
}

/** Resolves `name@major` to the latest compiled version of a flow in a workspace (subflows). */
export interface FlowResolver {
  resolve(
    workspaceId: string,
    ref: string,
  ): Promise<{ ir: FlowIR; workflowId: string | null; version: string | null } | null>;
}

/** Finds a block definition for nested steps (`do:` of foreach, parallel branches). */
export interface BlockLookup {
  resolve(uses: string): BlockRef | undefined;
  /** The block (`id@major`) that undoes `id`'s write, if any. */
  compensationOf?(uses: string): BlockRef | undefined;
}

// ---------------------------------------------------------------------------------------------
// Audit, metrics, logs

/** An entry for the audit ledger about a run. */
export interface RunAuditEntry {
  action: string;
  payload: Record<string, unknown>;
}

/** Writes the workspace's audit ledger (consent use, run lifecycle). Throwing fails closed. */
export interface AuditSink {
  record(
    run: Pick<RunRecord, "id" | "workspaceId" | "startedBy">,
    entry: RunAuditEntry,
  ): Promise<void>;
}

/** Engine metrics (prom-client in production: `server/adapters/metrics/prom-metrics.ts`). */
export interface MetricsSink {
  runStatus(status: RunStatus): void;
  runFinished(status: RunStatus, durationMs: number): void;
  stepFinished(
    blockId: string,
    status: "succeeded" | "failed" | "skipped",
    durationMs: number,
  ): void;
  retryScheduled(blockId: string): void;
  deadLettered(): void;
  breakerState(key: string, state: BreakerState): void;
  queueLag(ms: number): void;
}

/** Structured logs (pino-compatible subset). */
export interface EngineLogger {
  child(bindings: Record<string, unknown>): EngineLogger;
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

/**
 * `log` with `bindings` on every line, without a child logger: most runs write no line at the
 * levels enabled, and pino serialises and redacts a child's bindings as soon as it is made.
 */
export function withBindings(log: EngineLogger, bindings: Record<string, unknown>): EngineLogger {
  const line =
    (level: "debug" | "info" | "warn" | "error") => (obj: Record<string, unknown>, msg?: string) =>
      log[level]({ ...bindings, ...obj }, msg);
  return {
    child: (more) => withBindings(log, { ...bindings, ...more }),
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
}

/** Metrics that record nothing. */
export const noopMetrics: MetricsSink = {
  runStatus() {},
  runFinished() {},
  stepFinished() {},
  retryScheduled() {},
  deadLettered() {},
  breakerState() {},
  queueLag() {},
};

/** A logger that drops everything. */
export const noopLogger: EngineLogger = {
  child: () => noopLogger,
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** An audit sink that records nothing (tests that do not look at the ledger). */
export const noopAudit: AuditSink = { async record() {} };

/** What the engine is built from. Optional ports have no-op defaults. */
export interface EngineDeps {
  store: RunStore;
  clock: Clock;
  ids: IdGen;
  random: Random;
  runtimes: RuntimeRegistry;
  /** Resolves nested `uses:` (foreach/parallel). Default: the DSL's primitive registry. */
  blocks: BlockLookup;
  flows?: FlowResolver;
  audit: AuditSink;
  metrics: MetricsSink;
  logger: EngineLogger;
  /** Secrets visible to expressions as `secrets.*` (a vault arrives later). */
  secrets?: (workspaceId: string) => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** This worker's id: the lease owner. */
  workerId: string;
  /** Side-effecting steps in flight per run. Default 16. */
  maxParallelSteps: number;
  /**
   * A side effect's start is written with its finish (one checkpoint); one still running after
   * this many ms is recorded as started on its own meanwhile. Default 250.
   */
  lateStartMs: number;
  /**
   * Sub-flow nesting: a run this many levels below its root cannot start another sub-flow (the
   * step fails non-retryably naming the limit). Default 10.
   */
  maxSubflowDepth: number;
  /**
   * Active (queued, running, waiting) runs per workspace: a sub-flow start beyond it fails the
   * step non-retryably naming the limit (foreach children included). Default 1,000.
   */
  maxActiveRuns: number;
  /** Called when a run becomes due now (in-process wake-up of the embedded worker). */
  onRunQueued?: (runId: string) => void;
  /**
   * Called right after a run's final checkpoint committed (before the ledger write), so a
   * synchronous webhook can answer with the output without polling the store.
   */
  onRunFinished?: (end: RunEnd) => void;
  /**
   * Called after an advance parked the run (`waiting`: a person's decision, a timer, a retry),
   * once its checkpoint committed. Awaited before `advance` returns (a worker's approval rows
   * exist when it moves on); a failure is logged, never the run's.
   */
  onRunParked?: (run: { runId: string; workspaceId: string }) => Promise<void> | void;
  /**
   * The workspace's trust scores earned from run history (issue 17), read at a run's start when
   * its flow has a trust gate: a lookup of block scores, cached by the composition root (never a
   * query per step), with the flow's own findings weighing on each step (`workflowId`; null for
   * a draft run). Absent: the gates use the IR's (baseline) scores.
   */
  earnedTrust?: (
    workspaceId: string,
    workflowId: string | null,
  ) => Promise<EarnedTrustLookup> | EarnedTrustLookup;
  /**
   * The predicted failure risk of a run about to start (issue 17), asked at the start of a T0
   * run whose flow declares `risk.max`; null when there is nothing to predict from (a draft).
   * Absent: no risk gate.
   */
  runRisk?: (run: RunRecord) => Promise<RunRiskAssessment | null>;
}

/** A run's predicted failure risk, as the start gate uses it. */
export interface RunRiskAssessment {
  risk: number;
  /** Whether the workspace's model passed its backtest well enough to gate runs. */
  gateEnabled: boolean;
  reasons: string[];
  modelVersion: number | string | null;
  /** The prediction domain's rule (`riskGateDecision`): whether the run asks for an approval. */
  ask: boolean;
  /** What was decided, in words (the ledger and the run view). */
  why: string;
}

/** A block's score earned from run history, with its credible interval and decayed n. */
export interface EarnedTrust {
  score: number;
  n: number;
  interval: { low: number; high: number; mass: number };
}

/**
 * A block's earned score, by the IR's block reference; undefined when it has too little history
 * (n below the model's minimum: the baseline stands in).
 */
export type EarnedTrustLookup = (block: { id: string; version: string }) => EarnedTrust | undefined;

/** How a run ended, as passed to {@link EngineDeps.onRunFinished}. */
export interface RunEnd {
  runId: string;
  status: RunStatus;
  output: unknown;
  error: ErrorInfo | null;
}
