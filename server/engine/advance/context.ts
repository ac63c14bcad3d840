/**
 * The state of one advance of one leased run, shared by the modules that advance it: the run's
 * DAG and ready queue, the steps in flight, the halt reason, the run's secrets, and the
 * checkpoint buffer (pure results and events waiting for the next durable write). The modules
 * next to this file (restore, attempts, outcomes, fan-out, signals, run end, compensation) are
 * functions of this context; `../advance.ts` wires them into the loop.
 */
import { setMaxListeners } from "node:events";
import type { FlowIR } from "@/dsl";
import type { BreakerBoard } from "../breaker";
import type { ContextSource } from "../context";
import type { ErrorInfo } from "../errors";
import { buildGraph, type Node } from "../graph";
import { applyInputDefaults } from "../input-defaults";
import {
  withBindings,
  type Checkpoint,
  type CommitResult,
  type EngineDeps,
  type EngineLogger,
  type RunInfo,
  type RunStore,
} from "../ports";
import { redactSecrets } from "../redact";
import { redactingLogger, redactingRunStore } from "../secret-redaction";
import type { TrustCheck } from "../trust-gate";
import type { AttemptRecord, NewEvent, RunRecord, RunStatus } from "../types";

/** Why an advance stopped early. */
export type Halt = "fatal" | "cancelled" | "lease-lost" | "shutdown";

/** What an advance ended with. */
export interface AdvanceResult {
  status: RunStatus;
  /** Durable commits made (side-effect boundaries, parks, the end). */
  commits: number;
  halted?: Halt;
}

/** Options for one advance. */
export interface AdvanceOptions {
  /** Aborted on worker shutdown: no new steps start; running ones are abandoned to recovery. */
  signal?: AbortSignal;
  /**
   * The run is not in the store yet (an inline start): its state is empty, `store`'s first
   * checkpoint records it, and that checkpoint is taken before any side effect runs.
   */
  unrecorded?: boolean;
  /** The store of this advance (default: the engine's). */
  store?: RunStore;
}

/** The ports of an advance: the engine's, plus its circuit breakers. */
export type AdvanceDeps = EngineDeps & { breakers: BreakerBoard };

/** A dead letter waiting for the next checkpoint. */
export type DeadLetter = NonNullable<Checkpoint["deadLetters"]>[number];

/** The state machine's data for one run during one lease. */
export class AdvanceContext {
  /** The flow's steps by id. */
  readonly nodes: Map<string, Node>;
  /** Every node: steps, fan-out children, compensations. */
  readonly all = new Map<string, Node>();
  /** Nodes ready to run, in the order they became ready. */
  readonly ready: Node[] = [];
  /** Side-effecting attempts (and fan-out finishes) in flight. */
  readonly inFlight = new Map<Node, Promise<void>>();
  /** The latest stored attempt of every step (from the restore). */
  readonly rows = new Map<string, AttemptRecord>();
  /** Pending retry tasks by step id (from the restore). */
  readonly pendingRetryTasks = new Map<string, string>();
  /** Made on first use: a run of pure steps that nothing aborts never needs one. */
  private abortController: AbortController | undefined;
  readonly log: EngineLogger;
  readonly info: RunInfo;
  readonly ctxSource: ContextSource;
  readonly ir: FlowIR;
  readonly store: RunStore;
  halt: Halt | undefined;
  commits = 0;
  secrets: Record<string, unknown> = {};
  /** The run's secret values: redacted from everything this advance stores or logs. */
  secretValues: string[] = [];
  /**
   * Wired by the advance: a fan-out child settled (`fan-out.ts`). Outcomes call it when a child
   * finishes; the fan-out module finishes the parent through the outcomes module in turn.
   */
  childSettled: (c: Node) => void = () => undefined;

  // The checkpoint buffer: results of pure steps, events and dead letters written by the next
  // durable checkpoint (a side-effect boundary, a park or the end of the run).
  bufferAttempts: AttemptRecord[] = [];
  /** The trust check of the run's start (`advance/trust-start.ts`), in the advance that made it. */
  trustCheck?: TrustCheck;
  bufferEvents: NewEvent[] = [];
  pendingDeadLetters: DeadLetter[] = [];
  /** The first checkpoint of a run started inline (`unrecorded`): it records the run. */
  private firstCommit: Promise<CommitResult> | undefined;

  constructor(
    readonly deps: AdvanceDeps,
    readonly run: RunRecord,
    readonly opts: AdvanceOptions = {},
  ) {
    this.ir = run.ir;
    this.store = redactingRunStore(opts.store ?? deps.store, () => this.secretValues);
    this.nodes = buildGraph(run.ir);
    for (const n of this.nodes.values()) this.all.set(n.id, n);
    this.log = redactingLogger(
      withBindings(deps.logger, { runId: run.id }),
      () => this.secretValues,
    );
    // Defaults first: every expression and runtime sees the inputs the run really has.
    const inputs = applyInputDefaults(run.ir.inputsSchema, run.inputs);
    this.info = {
      id: run.id,
      workspaceId: run.workspaceId,
      workflowId: run.workflowId,
      version: run.version,
      flow: run.ir.name,
      inputs,
      startedBy: run.startedBy,
      sandboxSessionId: run.sandboxSessionId ?? null,
      sandboxOnly: run.ir.sandboxOnly === true,
    };
    const runVars = {
      id: run.id,
      flow: run.ir.name,
      version: run.version ?? run.ir.version,
      workflowId: run.workflowId,
      startedBy: run.startedBy,
    };
    const stepIds = run.ir.steps.map((s) => s.id);
    this.ctxSource = {
      inputs,
      run: runVars,
      secrets: {},
      stepIds,
      output: (id) => {
        const n = this.nodes.get(id);
        return n && n.status === "succeeded" ? { output: n.output } : undefined;
      },
    };
  }

  get now(): number {
    return this.deps.clock.now();
  }

  /** The run's abort: `stop` aborts it, every step's signal follows it. */
  get abort(): AbortController {
    if (!this.abortController) {
      this.abortController = new AbortController();
      // Every step in flight listens to the run's abort signal (up to `maxParallelSteps`).
      setMaxListeners(0, this.abortController.signal);
    }
    return this.abortController;
  }

  /** Read through a method: the halt reason changes across awaits. */
  halted(): Halt | undefined {
    return this.halt;
  }

  stop(reason: Halt): void {
    if (!this.halt || reason === "cancelled" || reason === "lease-lost") this.halt = reason;
    if (reason !== "fatal") this.abort.abort(new Error(reason));
  }

  /** `value` with the run's secret values replaced (as stored). */
  redacted<T>(value: T): T {
    return this.secretValues.length ? redactSecrets(value, this.secretValues) : value;
  }

  /** The runtime's fan-out kind of a node's block, if it fans out. */
  fanKind(n: Node): "foreach" | "parallel" | undefined {
    return this.deps.runtimes.get(n.block.id)?.fanout;
  }

  /**
   * `<runId>:<stepId>`, or the key a replay's plan gave the step (a fan-out child extends its
   * parent's planned key with its `[i]`).
   */
  idempotencyKey(n: Node): string {
    const keys = this.run.replay?.keys;
    if (keys) {
      const own = keys[n.id];
      if (own !== undefined) return own;
      const parent = n.parent && keys[n.parent.id];
      if (parent !== undefined && n.parent && n.id.startsWith(n.parent.id))
        return `${parent}${n.id.slice(n.parent.id.length)}`;
    }
    return `${this.run.id}:${n.id}`;
  }

  // -------------------------------------------------------------------------------------------
  // The checkpoint buffer

  event(e: Omit<NewEvent, "at"> & { at?: number }): void {
    this.bufferEvents.push({ ...e, at: e.at ?? this.now });
  }

  /** Whether the run is still unknown to the store and nobody is recording it yet. */
  unrecorded(): boolean {
    return this.opts.unrecorded === true && this.firstCommit === undefined;
  }

  /** Waits until an inline run is in the store; false when recording it failed. */
  async recorded(): Promise<boolean> {
    if (!this.firstCommit) return true;
    return this.firstCommit.then(
      () => true,
      () => false,
    );
  }

  /** Writes a checkpoint, carrying every buffered pure result and event with it. */
  async commit(cp: Checkpoint): Promise<CommitResult> {
    const full: Checkpoint = { ...cp };
    if (this.bufferAttempts.length)
      full.attempts = [...this.bufferAttempts, ...(cp.attempts ?? [])];
    if (this.bufferEvents.length) full.events = [...this.bufferEvents, ...(cp.events ?? [])];
    this.bufferAttempts = [];
    this.bufferEvents = [];
    this.commits++;
    const pending = this.store.commit(this.run.id, this.deps.workerId, full);
    if (this.opts.unrecorded && !this.firstCommit) this.firstCommit = pending;
    const res = await pending;
    if (!res.leaseHeld) this.stop("lease-lost");
    else if (res.runStatus === "cancelled") this.stop("cancelled");
    return res;
  }

  takeDeadLetters(): DeadLetter[] | undefined {
    const d = this.pendingDeadLetters;
    this.pendingDeadLetters = [];
    return d.length ? d : undefined;
  }

  /** Writes what is buffered without the lease (the run was cancelled or taken over). */
  async flushOwnerless(): Promise<void> {
    if (this.bufferAttempts.length || this.bufferEvents.length || this.pendingDeadLetters.length) {
      const cp: Checkpoint = {
        attempts: this.bufferAttempts,
        events: this.bufferEvents,
        deadLetters: this.takeDeadLetters(),
      };
      this.bufferAttempts = [];
      this.bufferEvents = [];
      await this.store.commit(this.run.id, this.deps.workerId, cp);
    }
  }

  /** A completed attempt row (pure results, skips and failures before the runtime ran). */
  completedRow(
    n: Node,
    attempt: number,
    status: AttemptRecord["status"],
    inputs: unknown,
    output: unknown,
    error: ErrorInfo | null,
    startedAt: number,
  ): AttemptRecord {
    const now = this.now;
    return {
      runId: this.run.id,
      stepId: n.id,
      attempt,
      status,
      blockId: n.block.id,
      inputs,
      output,
      error,
      classification: error?.classification ?? null,
      idempotencyKey: this.idempotencyKey(n),
      consentId: null,
      startedAt,
      finishedAt: now,
      durationMs: now - startedAt,
      retryAt: null,
      finishSeq: null,
      workerId: this.deps.workerId,
    };
  }
}
