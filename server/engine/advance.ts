/**
 * Advancing one leased run: rebuild its state from the store, apply due tasks (timers,
 * decisions, subflow completions), run every ready step (pure ones inline, side-effecting ones
 * concurrently up to the limits), record results, then conclude: succeed, fail, compensate or
 * park until the next due task. One instance per advance; the store is the truth between them.
 */
import { setMaxListeners } from "node:events";
import type { FlowIR } from "@/dsl/ir";
import { compileCel } from "@/dsl/expr";
import type { BreakerBoard } from "./breaker";
import { compensationNode, compensationOrder } from "./compensation";
import {
  buildContext,
  evaluateCondition,
  evaluateInputs,
  referencedSteps,
  type ContextSource,
} from "./context";
import {
  BreakerOpenError,
  ConsentError,
  NonRetryableError,
  TrustError,
  toErrorInfo,
  type ErrorInfo,
} from "./errors";
import { DeferredStart, withStart } from "./deferred-start";
import { createChildren, fanoutOutput, fanoutParentInputs } from "./fanout";
import { applyRow, buildGraph, isFatal, isSettled, skippedByNeeds, type Node } from "./graph";
import { attemptTimeout, breakerKey, invokeWithTimeout, isPureRuntime } from "./invoke";
import type { EngineDeps } from "./ports";
import { evaluate } from "@/dsl/expr";
import {
  isPark,
  type BlockRuntime,
  type Checkpoint,
  type CommitResult,
  type EngineLogger,
  type ResumeSignal,
  type RuntimeRequest,
  type RuntimeServices,
  type RunInfo,
  type RunStore,
} from "./ports";
import { retryDelay, shouldRetry } from "./retry";
import { redactSecrets } from "./redact";
import {
  redactingLogger,
  redactingRunStore,
  secretValuesOf,
  usesSecrets,
} from "./secret-redaction";
import { assertSubflowAllowed } from "./subflow-limits";
import { applyInputDefaults } from "./input-defaults";
import { gatedByApproval, trustHalt } from "./trust-gate";
import { missingRuntimeError } from "./runtimes/registry";
import { validatorFor } from "./runtimes/support";
import type { AttemptRecord, NewEvent, NewTask, RunRecord, RunStatus, TaskRecord } from "./types";

/** Why an advance stopped early. */
type Halt = "fatal" | "cancelled" | "lease-lost" | "shutdown";

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

/** The engine's state machine for one run during one lease. */
export class RunAdvance {
  private readonly nodes: Map<string, Node>;
  private readonly all = new Map<string, Node>();
  private readonly ready: Node[] = [];
  private readonly inFlight = new Map<Node, Promise<void>>();
  private bufferAttempts: AttemptRecord[] = [];
  private bufferEvents: NewEvent[] = [];
  private halt: Halt | undefined;
  private readonly abort = new AbortController();
  private readonly log: EngineLogger;
  private readonly info: RunInfo;
  private readonly ctxSource: ContextSource;
  private rows = new Map<string, AttemptRecord>();
  private commits = 0;
  private readonly ir: FlowIR;
  private secrets: Record<string, unknown> = {};
  /** The run's secret values: redacted from everything this advance stores or logs. */
  private secretValues: string[] = [];
  private readonly store: RunStore;

  constructor(
    private readonly deps: EngineDeps & { breakers: BreakerBoard },
    private run: RunRecord,
    private readonly opts: AdvanceOptions = {},
  ) {
    this.ir = run.ir;
    this.store = redactingRunStore(opts.store ?? deps.store, () => this.secretValues);
    // Every step in flight listens to the run's abort signal (up to `maxParallelSteps`).
    setMaxListeners(0, this.abort.signal);
    this.nodes = buildGraph(run.ir);
    for (const n of this.nodes.values()) this.all.set(n.id, n);
    this.log = redactingLogger(deps.logger.child({ runId: run.id }), () => this.secretValues);
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

  private readonly onShutdown = () => this.stop("shutdown");

  /** `value` with the run's secret values replaced (as stored). */
  private redacted<T>(value: T): T {
    return this.secretValues.length ? redactSecrets(value, this.secretValues) : value;
  }

  /** Read through a method: the halt reason changes across awaits. */
  private halted(): Halt | undefined {
    return this.halt;
  }

  /** The first checkpoint of a run started inline (`unrecorded`): it records the run. */
  private firstCommit: Promise<CommitResult> | undefined;

  /** Whether the run is still unknown to the store and nobody is recording it yet. */
  private unrecorded(): boolean {
    return this.opts.unrecorded === true && this.firstCommit === undefined;
  }

  /** Waits until an inline run is in the store; false when recording it failed. */
  private async recorded(): Promise<boolean> {
    if (!this.firstCommit) return true;
    return this.firstCommit.then(
      () => true,
      () => false,
    );
  }

  private get now(): number {
    return this.deps.clock.now();
  }

  private stop(reason: Halt): void {
    if (!this.halt || reason === "cancelled" || reason === "lease-lost") this.halt = reason;
    if (reason !== "fatal") this.abort.abort(new Error(reason));
  }

  /** Runs the advance to its conclusion. */
  async execute(): Promise<AdvanceResult> {
    // Removed at the end: the worker's shutdown signal outlives thousands of advances.
    this.opts.signal?.addEventListener("abort", this.onShutdown, { once: true });
    try {
      return await this.executeLeased();
    } finally {
      this.opts.signal?.removeEventListener("abort", this.onShutdown);
    }
  }

  private async executeLeased(): Promise<AdvanceResult> {
    // Only a flow that reads `secrets` loads (and decrypts) them.
    if (this.deps.secrets && usesSecrets(this.ir)) {
      this.secrets = await this.deps.secrets(this.run.workspaceId);
      this.ctxSource.secrets = this.secrets;
      this.secretValues = secretValuesOf(this.secrets);
    }
    const state = this.opts.unrecorded
      ? { attempts: [], tasks: [] }
      : await this.store.loadState(this.run.id);
    this.restore(state.attempts, state.tasks);
    if (this.run.startedAt === null) {
      this.event({
        type: "run.started",
        key: "run.started",
        data: { flow: this.ir.name, version: this.run.version },
      });
    }
    // A halting trust gate under its minimum stops a fresh run before any step runs.
    const halt = this.rows.size === 0 ? trustHalt(this.ir) : null;
    if (halt) {
      this.event({ type: "run.trust_halted", key: "run.trust_halted", data: halt.detail ?? {} });
      const status = await this.finishRun("failed", null, toErrorInfo(halt));
      return { status, commits: this.commits, halted: this.halt };
    }
    await this.applyDueTasks(state.tasks);
    // A fan-out whose children all finished before a crash: finish the parent now.
    for (const n of this.nodes.values()) {
      if (
        n.fan &&
        n.status === "running" &&
        n.fan.children.every((c) => isSettled(c) || c.status === "failed")
      )
        await this.finishFan(n);
    }
    await this.loop();
    const status = await this.conclude();
    return { status, commits: this.commits, halted: this.halt };
  }

  // -------------------------------------------------------------------------------------------
  // State

  private restore(attempts: AttemptRecord[], tasks: TaskRecord[]): void {
    const now = this.now;
    for (const a of attempts) {
      const prev = this.rows.get(a.stepId);
      if (!prev || a.attempt > prev.attempt) this.rows.set(a.stepId, a);
    }
    for (const t of tasks)
      if (t.kind === "retry" && t.stepId) this.pendingRetryTasks.set(t.stepId, t.id);
    for (const n of this.nodes.values()) {
      const row = this.rows.get(n.id);
      if (row) applyRow(n, row, now);
      n.retryTaskId = this.pendingRetryTasks.get(n.id);
    }
    // Counters in topological order: a node's needs are settled or not, whatever the order.
    for (const n of this.nodes.values()) {
      for (const needId of n.needs) {
        const need = this.nodes.get(needId);
        if (!need) continue;
        if (isSettled(need)) this.countSettledNeed(n, need);
        else n.open++;
      }
    }
    for (const n of this.nodes.values()) {
      if (isFatal(n)) this.stop("fatal");
      if (n.status === "blocked" && (n.open === 0 || (n.joinAny && n.succeededNeeds > 0)))
        n.status = "ready";
      if (n.status === "ready") this.ready.push(n);
      // A fan-out parent caught mid-flight: rebuild its children from its stored inputs.
      if (n.row && (n.row.status === "running" || n.row.status === "waiting") && this.fanKind(n)) {
        this.rebuildFan(n, n.row, now);
      }
    }
  }

  private countSettledNeed(n: Node, need: Node): void {
    if (need.status === "skipped") n.skippedNeeds++;
    if (need.status === "succeeded") n.succeededNeeds++;
  }

  private fanKind(n: Node): "foreach" | "parallel" | undefined {
    return this.deps.runtimes.get(n.block.id)?.fanout;
  }

  private rebuildFan(n: Node, row: AttemptRecord, now: number): void {
    const kind = this.fanKind(n)!;
    try {
      n.fan = createChildren(
        n,
        kind,
        (row.inputs ?? {}) as Record<string, unknown>,
        this.deps.blocks,
      );
    } catch {
      return;
    }
    n.status = "running";
    n.recover = false;
    const i = this.ready.indexOf(n);
    if (i >= 0) this.ready.splice(i, 1);
    for (const c of n.fan.children) {
      this.all.set(c.id, c);
      const crow = this.rows.get(c.id);
      if (crow) applyRow(c, crow, now);
      c.retryTaskId = this.pendingRetryTasks.get(c.id);
      if (c.status === "ready") this.ready.push(c);
      if (c.status === "failed" && !n.fan.continueOnError) n.fan.failed = true;
    }
  }

  private pendingRetryTasks = new Map<string, string>();

  /** Marks a node settled and wakes its dependents. */
  private settle(n: Node): void {
    if (n.kind === "child") {
      this.childSettled(n);
      return;
    }
    if (n.kind !== "step") return;
    for (const d of n.dependents) {
      d.open--;
      this.countSettledNeed(d, n);
      const wake = d.open === 0 || (d.joinAny && n.status === "succeeded");
      if (d.status === "blocked" && wake) {
        d.status = "ready";
        this.ready.push(d);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Events and checkpoints

  private event(e: Omit<NewEvent, "at"> & { at?: number }): void {
    this.bufferEvents.push({ ...e, at: e.at ?? this.now });
  }

  /** Writes a checkpoint, carrying every buffered pure result and event with it. */
  private async commit(cp: Checkpoint): Promise<CommitResult> {
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

  // -------------------------------------------------------------------------------------------
  // The loop

  private async loop(): Promise<void> {
    for (;;) {
      while (!this.halt) {
        const n = this.takeLaunchable();
        if (!n) break;
        const rt = this.deps.runtimes.get(n.block.id);
        if (n.kind === "step" && n.attempt === 0 && !n.recover && this.decideSkip(n)) continue;
        if (n.status !== "ready") continue;
        if (isPureRuntime(rt, n.block) && !n.recover && n.attempt === 0) {
          this.runPure(n, rt!);
          continue;
        }
        const p = this.runAttempt(n, rt).finally(() => {
          this.inFlight.delete(n);
          if (n.parent?.fan) n.parent.fan.inFlight--;
        });
        if (n.parent?.fan) n.parent.fan.inFlight++;
        this.inFlight.set(n, p);
      }
      if (this.inFlight.size === 0) return;
      await Promise.race(this.inFlight.values());
    }
  }

  /** The first ready node the limits let start (children respect their parent's concurrency). */
  private takeLaunchable(): Node | undefined {
    const max = this.deps.maxParallelSteps;
    for (let i = 0; i < this.ready.length; i++) {
      const n = this.ready[i]!;
      const rt = this.deps.runtimes.get(n.block.id);
      const pure = isPureRuntime(rt, n.block) && !n.recover && n.attempt === 0;
      if (!pure && this.inFlight.size >= max) continue;
      if (n.parent?.fan) {
        if (n.parent.fan.failed) continue;
        if (n.parent.fan.inFlight >= n.parent.fan.concurrency) continue;
      }
      this.ready.splice(i, 1);
      return n;
    }
    return undefined;
  }

  /** Skips a node whose need was skipped or whose `if:` is false. True when handled. */
  private decideSkip(n: Node): boolean {
    let reason: string | undefined;
    if (skippedByNeeds(n)) reason = "a need was skipped";
    else if (n.condition) {
      try {
        if (!evaluateCondition(n.condition, buildContext(this.ctxSource, n.refs)))
          reason = "condition is false";
      } catch (e) {
        this.failWithoutRunning(n, e, null);
        return true;
      }
    }
    if (!reason) return false;
    const now = this.now;
    n.status = "skipped";
    n.attempt = 1;
    this.bufferAttempts.push(this.completedRow(n, 1, "skipped", null, null, null, now));
    this.event({ type: "step.skipped", stepId: n.id, key: `skip:${n.id}`, data: { reason } });
    this.deps.metrics.stepFinished(n.block.id, "skipped", 0);
    this.settle(n);
    return true;
  }

  private completedRow(
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

  private idempotencyKey(n: Node): string {
    return `${this.run.id}:${n.id}`;
  }

  // -------------------------------------------------------------------------------------------
  // Pure steps: no checkpoint of their own; buffered until the next durable write.

  private runPure(n: Node, rt: BlockRuntime): void {
    const startedAt = this.now;
    let inputs: Record<string, unknown> = {};
    try {
      inputs = this.evaluateNodeInputs(n);
      const out = rt.execute(this.request(n, inputs, 1, this.abort.signal, null));
      if (out instanceof Promise || isPark(out))
        throw new Error(`pure runtime ${n.block.id} must return synchronously`);
      n.status = "succeeded";
      n.attempt = 1;
      n.output = out;
      this.bufferAttempts.push(this.completedRow(n, 1, "succeeded", inputs, out, null, startedAt));
      this.event({
        type: "step.succeeded",
        stepId: n.id,
        key: `ok:${n.id}:1`,
        data: { attempt: 1 },
      });
      this.deps.metrics.stepFinished(n.block.id, "succeeded", this.now - startedAt);
      this.settle(n);
    } catch (e) {
      // Deterministic: a retry would fail the same way.
      const info = { ...toErrorInfo(e), retryable: false };
      this.failFinal(n, 1, inputs, info, startedAt, true);
    }
  }

  private evaluateNodeInputs(n: Node): Record<string, unknown> {
    if (n.fixedInputs) return n.fixedInputs;
    const extra = n.kind === "child" ? { item: n.item, index: n.childIndex } : undefined;
    const value = this.fanKind(n) && n.kind === "step" ? fanoutParentInputs(n) : n.inputs;
    return evaluateInputs(value, buildContext(this.ctxSource, n.refs, extra));
  }

  /** A failure before the runtime ran (bad expression, consent, trust): one completed row. */
  private failWithoutRunning(n: Node, err: unknown, inputs: unknown): void {
    const info = { ...toErrorInfo(err), retryable: false };
    this.failFinal(n, n.recover ? n.attempt : n.attempt + 1, inputs, info, this.now, true);
  }

  /** Records a final failure into the buffer (pure and pre-run failures). */
  private failFinal(
    n: Node,
    attempt: number,
    inputs: unknown,
    info: ErrorInfo,
    startedAt: number,
    buffer: boolean,
  ): void {
    n.attempt = attempt;
    n.status = "failed";
    n.error = info;
    n.retryAt = null;
    if (buffer) {
      this.bufferAttempts.push(
        this.completedRow(n, attempt, "failed", inputs, null, info, startedAt),
      );
      this.event({
        type: "step.failed",
        stepId: n.id,
        key: `fail:${n.id}:${attempt}`,
        data: { attempt, error: info, final: true },
      });
      this.deps.metrics.stepFinished(n.block.id, "failed", this.now - startedAt);
      if (n.resilience.deadLetter) this.deadLetterLater(n, attempt, inputs, info);
    }
    this.afterFinalFailure(n);
  }

  private pendingDeadLetters: NonNullable<Checkpoint["deadLetters"]> = [];

  private deadLetterLater(n: Node, attempts: number, inputs: unknown, info: ErrorInfo): void {
    this.pendingDeadLetters.push(this.deadLetterRecord(n, attempts, inputs, info));
  }

  private deadLetterRecord(n: Node, attempts: number, inputs: unknown, info: ErrorInfo) {
    this.deps.metrics.deadLettered();
    this.event({
      type: "step.dead_lettered",
      stepId: n.id,
      key: `dlq:${n.id}`,
      data: { attempts, classification: info.classification },
    });
    return {
      id: this.deps.ids.next(),
      runId: this.run.id,
      workspaceId: this.run.workspaceId,
      stepId: n.id,
      blockId: n.block.id,
      error: info,
      inputs,
      attempts,
      classification: info.classification,
      createdAt: this.now,
    };
  }

  private afterFinalFailure(n: Node): void {
    if (n.kind === "child") {
      this.childSettled(n);
      return;
    }
    if (n.kind === "compensation") return;
    if (n.onError === "continue") {
      this.settle(n);
      return;
    }
    this.stop("fatal");
  }

  // -------------------------------------------------------------------------------------------
  // Side-effecting steps: a durable start, the call, a durable finish.

  private async runAttempt(n: Node, rt: BlockRuntime | undefined): Promise<void> {
    const attempt = n.recover ? n.attempt : n.attempt + 1;
    const recovering = n.recover;
    n.recover = false;
    n.attempt = attempt;
    n.status = "running";
    const log = this.log.child({ stepId: n.id, attempt });
    const startedAt = this.now;
    let inputs: Record<string, unknown>;
    let consentId: string | null = null;
    try {
      if (!rt) throw missingRuntimeError(n.block);
      inputs =
        recovering && n.row && n.row.attempt === attempt
          ? ((n.row.inputs ?? {}) as Record<string, unknown>)
          : this.evaluateNodeInputs(n);
      if (
        n.kind === "step" &&
        n.source.trustMin !== null &&
        n.source.trust < n.source.trustMin &&
        !gatedByApproval(this.ir, n.source)
      ) {
        throw new TrustError(
          `trust score ${n.source.trust} is below the step's minimum ${n.source.trustMin}`,
        );
      }
      consentId = this.consentIdFor(n, inputs);
    } catch (e) {
      if (e instanceof ConsentError)
        await this.auditConsent(n, attempt, null, "run.consent.missing").catch(() => undefined);
      this.failFinal(n, attempt, null, { ...toErrorInfo(e), retryable: false }, startedAt, true);
      await this.flushFailure();
      return;
    }
    const fanKind = rt.fanout;
    const start: Checkpoint = {
      start: {
        runId: this.run.id,
        stepId: n.id,
        attempt,
        blockId: n.block.id,
        inputs,
        idempotencyKey: this.idempotencyKey(n),
        consentId,
        startedAt,
        workerId: this.deps.workerId,
      },
      consumeTasks: n.retryTaskId ? [n.retryTaskId] : undefined,
      events: [
        {
          type: "step.started",
          stepId: n.id,
          key: `start:${n.id}:${attempt}`,
          data: { attempt, recovered: recovering },
          at: startedAt,
        },
      ],
    };
    n.retryTaskId = undefined;
    // One durable write per side effect: the start rides with the finish (a crash in between
    // re-runs the attempt under the same number and idempotency key). A fan-out's parent, and
    // the first side effect of a run the store does not hold yet, are recorded before they run;
    // an attempt still running after `lateStartMs` is recorded as started meanwhile (live view).
    const starter = new DeferredStart(start);
    if (fanKind || this.unrecorded()) {
      const started = await this.commit(starter.take()!);
      if (this.halt === "lease-lost" || this.halt === "cancelled") return;
      const row = started.started!;
      if (!started.startedFresh && row.status !== "running") {
        // Another worker finished (or parked) this attempt: adopt its result, run nothing.
        this.adopt(n, row);
        return;
      }
      if (fanKind) {
        await this.startFan(n, fanKind, inputs, row);
        return;
      }
    } else {
      // Never a side effect for a run the store does not hold (its recording may still fail).
      if (!(await this.recorded())) return;
      starter.lateAfter(this.deps.clock, this.deps.lateStartMs, (cp) => this.commit(cp));
    }
    /** The start to merge into the finish; "adopted" when a late start found another's result. */
    const takeStart = async (): Promise<Checkpoint | undefined | "adopted"> => {
      const late = await starter.settle();
      if (late === undefined) return starter.take();
      if (!late.startedFresh && late.started && late.started.status !== "running") {
        this.adopt(n, late.started);
        return "adopted";
      }
      return undefined;
    };
    const fail = async (e: unknown) => {
      const pending = await takeStart();
      if (pending !== "adopted")
        await this.finishFailure(n, attempt, inputs, e, startedAt, log, undefined, pending);
    };
    if (consentId) {
      try {
        await this.auditConsent(n, attempt, consentId, "run.consent.used");
      } catch (e) {
        await fail(e);
        return;
      }
    }
    const key = breakerKey(this.run.workspaceId, n.block, n.source, inputs);
    let probe = false;
    if (key) {
      const d = this.deps.breakers.acquire(key, this.now, n.resilience.breaker);
      if (!d.allowed) {
        await fail(new BreakerOpenError(key, d.retryInMs));
        return;
      }
      probe = d.probe;
    }
    let out: unknown;
    try {
      out = await invokeWithTimeout(
        (signal) => rt.execute(this.request(n, inputs, attempt, signal, consentId)),
        attemptTimeout(n.resilience.timeoutMs, inputs),
        this.deps.clock,
        this.abort.signal,
      );
    } catch (e) {
      if (key) this.breakerVerdict(key, n, e, probe);
      const h = this.halted();
      if (h === "shutdown" || h === "cancelled" || h === "lease-lost") {
        // Abandoned, not failed: recovery re-runs the attempt with the same idempotency key.
        await starter.settle().catch(() => undefined);
        return;
      }
      await fail(e);
      return;
    }
    if (key) this.breakerVerdict(key, n, undefined, probe);
    const pending = await takeStart();
    if (pending !== "adopted")
      await this.finishSuccess(n, attempt, out, startedAt, undefined, pending);
  }

  private breakerVerdict(key: string, n: Node, err: unknown, probe: boolean): void {
    if (err === undefined) {
      this.deps.breakers.success(key);
      return;
    }
    const info = toErrorInfo(err);
    if (
      info.classification.category === "validation" ||
      info.classification.category === "auth" ||
      info.classification.category === "authz"
    ) {
      this.deps.breakers.success(key);
    } else {
      this.deps.breakers.failure(key, this.now, n.resilience.breaker);
    }
    if (probe && info.name === "AbortError") this.deps.breakers.release(key);
  }

  private async finishSuccess(
    n: Node,
    attempt: number,
    out: unknown,
    startedAt: number,
    consume?: string[],
    start?: Checkpoint,
  ): Promise<void> {
    const now = this.now;
    if (isPark(out)) {
      const tasks: NewTask[] = [];
      if (out.until !== undefined) {
        tasks.push({
          id: this.deps.ids.next(),
          runId: this.run.id,
          stepId: n.id,
          kind: "timer",
          dueAt: out.until,
          payload: { attempt },
          createdAt: now,
        });
      }
      const res = await this.commit(
        withStart(start, {
          finish: {
            runId: this.run.id,
            stepId: n.id,
            attempt,
            status: "waiting",
            output: out.data ?? null,
            finishedAt: now,
          },
          tasks,
          consumeTasks: consume,
          events: [
            {
              type: "step.waiting",
              stepId: n.id,
              data: { attempt, reason: out.reason, until: out.until ?? null, ...out.data },
              at: now,
            },
          ],
        }),
      );
      if (res.finished) this.adopt(n, res.finished);
      else n.status = "waiting";
      return;
    }
    const res = await this.commit(
      withStart(start, {
        finish: {
          runId: this.run.id,
          stepId: n.id,
          attempt,
          status: "succeeded",
          output: out ?? null,
          finishedAt: now,
          durationMs: now - startedAt,
        },
        consumeTasks: consume,
        events: [
          {
            type: "step.succeeded",
            stepId: n.id,
            key: `ok:${n.id}:${attempt}`,
            data: { attempt, durationMs: now - startedAt },
            at: now,
          },
        ],
      }),
    );
    if (res.finishedFirst) this.deps.metrics.stepFinished(n.block.id, "succeeded", now - startedAt);
    if (res.finished) this.adopt(n, res.finished);
  }

  private async finishFailure(
    n: Node,
    attempt: number,
    inputs: unknown,
    err: unknown,
    startedAt: number,
    log: EngineLogger,
    consume?: string[],
    start?: Checkpoint,
  ): Promise<void> {
    const now = this.now;
    const info = toErrorInfo(err);
    const cp: Checkpoint = { consumeTasks: consume, events: [] };
    let retryAt: number | null = null;
    if (shouldRetry(n.resilience, attempt, info)) {
      let delay = retryDelay(n.resilience, attempt, this.deps.random.next(), info.retryAfterMs);
      if (err instanceof BreakerOpenError) delay = Math.max(delay, err.retryInMs);
      retryAt = now + delay;
      cp.tasks = [
        {
          id: this.deps.ids.next(),
          runId: this.run.id,
          stepId: n.id,
          kind: "retry",
          dueAt: retryAt,
          payload: { attempt: attempt + 1 },
          createdAt: now,
        },
      ];
      cp.events!.push({
        type: "step.retry_scheduled",
        stepId: n.id,
        key: `retry:${n.id}:${attempt}`,
        data: { attempt, error: info, retryAt, delayMs: delay },
        at: now,
      });
      this.deps.metrics.retryScheduled(n.block.id);
      log.warn({ err: info.message, retryAt }, "step attempt failed; retry scheduled");
    } else {
      cp.events!.push({
        type: "step.failed",
        stepId: n.id,
        key: `fail:${n.id}:${attempt}`,
        data: { attempt, error: info, final: true },
        at: now,
      });
      if (n.resilience.deadLetter)
        cp.deadLetters = [this.deadLetterRecord(n, attempt, inputs, info)];
      log.warn({ err: info.message }, "step failed");
    }
    cp.finish = {
      runId: this.run.id,
      stepId: n.id,
      attempt,
      status: "failed",
      error: info,
      finishedAt: now,
      durationMs: now - startedAt,
      retryAt,
    };
    const res = await this.commit(withStart(start, cp));
    if (res.finishedFirst) this.deps.metrics.stepFinished(n.block.id, "failed", now - startedAt);
    if (res.finished) this.adopt(n, res.finished);
  }

  /** Brings a node in line with its stored row (this worker's result or an earlier one). */
  private adopt(n: Node, row: AttemptRecord): void {
    const was = n.status;
    n.row = row;
    applyRow(n, row, this.now);
    n.recover = false;
    if (n.status === "ready") {
      if (row.status === "running") {
        // Someone else is running it right now; come back after their lease.
        n.status = "waiting";
        return;
      }
      this.ready.push(n);
      return;
    }
    if (n.status === "succeeded" || n.status === "skipped") {
      if (was !== n.status) this.settle(n);
      return;
    }
    if (n.status === "failed") this.afterFinalFailure(n);
  }

  private async flushFailure(): Promise<void> {
    if (this.pendingDeadLetters.length || this.bufferAttempts.length) {
      const deadLetters = this.pendingDeadLetters;
      this.pendingDeadLetters = [];
      await this.commit({ deadLetters });
    }
  }

  private request(
    n: Node,
    inputs: Record<string, unknown>,
    attempt: number,
    signal: AbortSignal,
    consentId: string | null,
  ): RuntimeRequest {
    return {
      step: { id: n.id, block: n.block, source: n.source },
      block: n.block,
      inputs,
      idempotencyKey: this.idempotencyKey(n),
      attempt,
      signal,
      run: this.info,
      consentId,
      services: this.services(n),
    };
  }

  private services(n: Node): RuntimeServices {
    return {
      now: () => this.now,
      evaluate: (source) => {
        const compiled = compileCel(source);
        if (!compiled) throw new NonRetryableError(`invalid CEL expression \`${source}\``);
        const extra = n.kind === "child" ? { item: n.item, index: n.childIndex } : undefined;
        return evaluate(compiled, buildContext(this.ctxSource, referencedSteps([compiled]), extra));
      },
      stepStatus: (id) => {
        const s = this.nodes.get(id)?.status;
        return s === "succeeded" || s === "failed" || s === "skipped" ? s : "pending";
      },
      startChildRun: (ref, inputs) => this.startChildRun(n, ref, inputs),
    };
  }

  private async startChildRun(
    n: Node,
    ref: string,
    inputs: Record<string, unknown>,
  ): Promise<{ runId: string; created: boolean }> {
    const flow = await this.deps.flows?.resolve(this.run.workspaceId, ref);
    if (!flow) throw new NonRetryableError(`subflow ${ref} was not found in this workspace`);
    const validate = validatorFor(flow.ir.inputsSchema);
    if (!validate(inputs)) {
      const e = validate.errors?.[0];
      throw new NonRetryableError(
        `subflow ${ref} inputs are invalid: ${e?.instancePath || "/"} ${e?.message ?? ""}`.trim(),
      );
    }
    // Depth and active-run bounds: a refused child is a non-retryable failure, nothing written.
    await assertSubflowAllowed(this.store, this.run, ref, this.deps);
    const { run, created } = await this.store.createRun({
      id: this.deps.ids.next(),
      workspaceId: this.run.workspaceId,
      workflowId: flow.workflowId,
      version: flow.version,
      ir: flow.ir,
      inputs,
      parentRunId: this.run.id,
      parentStepId: n.id,
      idempotencyKey: `${this.run.id}:${n.id}`,
      startedBy: `run:${this.run.id}`,
      now: this.now,
    });
    if (created) this.deps.onRunQueued?.(run.id);
    return { runId: run.id, created };
  }

  // -------------------------------------------------------------------------------------------
  // Consent and audit

  /**
   * The consent id of a step that needs consent: its `consent.id` evaluated, else the field
   * `require` (default `consentId` / `consent_id`) of its inputs, then of the run's. None: the
   * step fails closed with a {@link ConsentError}.
   */
  private consentIdFor(n: Node, inputs: Record<string, unknown>): string | null {
    const consent = n.kind === "step" ? n.source.consent : undefined;
    if (!consent) return null;
    if (consent.id) {
      let v: unknown;
      try {
        v = evaluate(consent.id, buildContext(this.ctxSource, referencedSteps([consent.id])));
      } catch (e) {
        throw new ConsentError(
          `step ${n.id} needs consent for "${consent.purpose}" but its consent id could not be read: ${(e as Error).message}`,
          { detail: { purpose: consent.purpose, source: "consent.id" }, cause: e },
        );
      }
      if (typeof v === "string" && v.trim() !== "") return v;
      throw new ConsentError(
        `step ${n.id} needs consent for "${consent.purpose}" but its consent id (consent.id) is ${v === null || v === undefined || v === "" ? "empty" : `not a string: ${JSON.stringify(v)}`}`,
        { detail: { purpose: consent.purpose, source: "consent.id" } },
      );
    }
    const fields = consent.require ? [consent.require] : ["consentId", "consent_id"];
    for (const f of fields) {
      for (const src of [inputs, this.info.inputs]) {
        const v = src[f];
        if (typeof v === "string" && v.trim() !== "") return v;
      }
    }
    throw new ConsentError(
      `step ${n.id} needs consent for "${consent.purpose}" but no consent id was given (field ${fields.join(" or ")})`,
      {
        detail: { purpose: consent.purpose, field: fields[0] },
      },
    );
  }

  private auditConsent(
    n: Node,
    attempt: number,
    consentId: string | null,
    action: string,
  ): Promise<void> {
    return this.deps.audit.record(this.run, {
      action,
      payload: {
        runId: this.run.id,
        stepId: n.id,
        attempt,
        block: n.block.id,
        purpose: n.source.consent?.purpose ?? null,
        consentId,
      },
    });
  }

  // -------------------------------------------------------------------------------------------
  // Fan-out

  private async startFan(
    n: Node,
    kind: "foreach" | "parallel",
    inputs: Record<string, unknown>,
    row: AttemptRecord,
  ): Promise<void> {
    try {
      n.fan = createChildren(n, kind, inputs, this.deps.blocks);
    } catch (e) {
      await this.finishFailure(n, row.attempt, inputs, e, row.startedAt, this.log);
      return;
    }
    n.row = row;
    for (const c of n.fan.children) {
      this.all.set(c.id, c);
      this.ready.push(c);
    }
    if (n.fan.children.length === 0) await this.finishFan(n);
  }

  private childSettled(c: Node): void {
    const p = c.parent;
    if (!p?.fan) return;
    if (c.status === "failed" && !p.fan.continueOnError) p.fan.failed = true;
    const done = p.fan.children.every((x) => isSettled(x) || x.status === "failed");
    const stopped = p.fan.failed && p.fan.children.every((x) => !this.inFlight.has(x) || x === c);
    if (done || stopped) {
      const promise = this.finishFan(p);
      this.inFlight.set(
        p,
        promise.finally(() => this.inFlight.delete(p)),
      );
    }
  }

  private async finishFan(p: Node): Promise<void> {
    if (!p.fan || p.status !== "running") return;
    const attempt = p.attempt;
    const startedAt = p.row?.startedAt ?? this.now;
    p.status = "waiting"; // finishing; guards against a second finish
    if (p.fan.failed) {
      const child = p.fan.children.find((x) => x.status === "failed");
      const err = new NonRetryableError(
        `${child?.id ?? p.id} failed: ${child?.error?.message ?? "unknown error"}`,
        {
          classification: child?.error?.classification,
        },
      );
      const info = toErrorInfo(err);
      const now = this.now;
      const res = await this.commit({
        finish: {
          runId: this.run.id,
          stepId: p.id,
          attempt,
          status: "failed",
          error: info,
          finishedAt: now,
          durationMs: now - startedAt,
          retryAt: null,
        },
        events: [
          {
            type: "step.failed",
            stepId: p.id,
            key: `fail:${p.id}:${attempt}`,
            data: { attempt, error: info, final: true },
            at: now,
          },
        ],
      });
      p.status = "running";
      if (res.finished) this.adopt(p, res.finished);
      return;
    }
    p.status = "running";
    await this.finishSuccess(p, attempt, fanoutOutput(p.fan), startedAt);
  }

  // -------------------------------------------------------------------------------------------
  // Due tasks: timers, decisions, subflow completions

  private async applyDueTasks(tasks: TaskRecord[]): Promise<void> {
    const now = this.now;
    const rank = { resume: 0, child: 1, timer: 2, retry: 3 } as const;
    const due = tasks
      .filter((t) => t.dueAt <= now && t.kind !== "retry")
      .sort((a, b) => rank[a.kind] - rank[b.kind] || a.dueAt - b.dueAt);
    for (const t of due) {
      if (this.halt && this.halt !== "fatal") return;
      const n = t.stepId ? this.all.get(t.stepId) : undefined;
      if (!n || n.status !== "waiting") {
        // Stale (the step already finished) or early (not parked yet: keep it for later).
        if (!n || isSettled(n) || n.status === "failed")
          await this.commit({ consumeTasks: [t.id] });
        continue;
      }
      const signal: ResumeSignal =
        t.kind === "timer"
          ? { kind: "timer", at: t.dueAt }
          : t.kind === "child"
            ? {
                kind: "child",
                payload: t.payload as Extract<ResumeSignal, { kind: "child" }>["payload"],
              }
            : {
                kind: "decision",
                payload: t.payload as Extract<ResumeSignal, { kind: "decision" }>["payload"],
              };
      await this.resumeNode(n, signal, t.id);
    }
  }

  private async resumeNode(n: Node, signal: ResumeSignal, taskId: string): Promise<void> {
    const rt = this.deps.runtimes.get(n.block.id);
    const row = n.row!;
    const inputs = (row.inputs ?? {}) as Record<string, unknown>;
    const log = this.log.child({ stepId: n.id, attempt: row.attempt });
    this.event({
      type: "step.resumed",
      stepId: n.id,
      // A person's decision names who decided, when and why (the run view's step drawer).
      data:
        signal.kind === "decision"
          ? {
              attempt: row.attempt,
              by: signal.kind,
              approved: signal.payload.approved,
              decidedBy: signal.payload.by,
              decidedAt: signal.payload.at,
              comment: signal.payload.comment ?? null,
            }
          : { attempt: row.attempt, by: signal.kind },
    });
    let out: unknown;
    try {
      if (!rt?.resume) throw new NonRetryableError(`${n.block.id} cannot be resumed`);
      out = await rt.resume(
        this.request(n, inputs, row.attempt, this.abort.signal, row.consentId),
        signal,
      );
    } catch (e) {
      n.status = "running";
      await this.finishFailure(n, row.attempt, inputs, e, row.startedAt, log, [taskId]);
      return;
    }
    if (isPark(out)) {
      // Parked again (an escalated approval): keep waiting, the task is used up.
      await this.commit({
        consumeTasks: [taskId],
        events: [
          {
            type: "step.waiting",
            stepId: n.id,
            data: { attempt: row.attempt, reason: out.reason, ...out.data },
            at: this.now,
          },
        ],
      });
      return;
    }
    n.status = "running";
    await this.finishSuccess(n, row.attempt, out, row.startedAt, [taskId]);
  }

  // -------------------------------------------------------------------------------------------
  // Conclusion

  private async conclude(): Promise<RunStatus> {
    const now = this.now;
    if (this.halt === "lease-lost") {
      await this.flushOwnerless();
      return this.run.status;
    }
    if (this.halt === "cancelled") {
      await this.flushOwnerless();
      await this.notifyParent("cancelled", null, null);
      this.deps.metrics.runStatus("cancelled");
      return "cancelled";
    }
    if (this.halt === "shutdown") {
      await this.commit({
        deadLetters: this.takeDeadLetters(),
        run: { release: true, startedAt: this.run.startedAt ?? now },
      });
      return "running";
    }
    const fatal = [...this.nodes.values()].find(isFatal);
    if (fatal) {
      if (fatal.onError === "compensate") {
        const outcome = await this.compensate(fatal);
        if (outcome === "parked") return this.park();
        if (outcome === "halted") return this.conclude();
        if (outcome === "done") return this.finishRun("compensated", null, fatal.error ?? null);
        return this.finishRun("failed", null, outcome.error);
      }
      return this.finishRun("failed", null, fatal.error ?? null);
    }
    const steps = [...this.nodes.values()];
    if (steps.every(isSettled)) {
      let output: Record<string, unknown> = {};
      try {
        for (const [k, v] of Object.entries(this.ir.outputs))
          output[k] = evaluate(v, buildContext(this.ctxSource, "all"));
      } catch (e) {
        output = {};
        return this.finishRun("failed", null, {
          ...toErrorInfo(e),
          retryable: false,
          message: `flow outputs: ${(e as Error).message}`,
        });
      }
      return this.finishRun("succeeded", output, null);
    }
    if (
      steps.some(
        (n) =>
          n.status === "waiting" ||
          n.status === "scheduled" ||
          n.status === "running" ||
          n.status === "ready",
      )
    ) {
      return this.park();
    }
    const stuck = steps.filter((n) => !isSettled(n)).map((n) => n.id);
    return this.finishRun("failed", null, {
      name: "EngineError",
      message: `no step can run: ${stuck.join(", ")}`,
      retryable: false,
      classification: { severity: "critical", category: "system" },
    });
  }

  private takeDeadLetters() {
    const d = this.pendingDeadLetters;
    this.pendingDeadLetters = [];
    return d.length ? d : undefined;
  }

  private async flushOwnerless(): Promise<void> {
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

  /** Releases the lease; the run is due again at its earliest task (the store computes it). */
  private async park(): Promise<RunStatus> {
    const waiting = [...this.all.values()].some((n) => n.status === "waiting");
    const status: RunStatus = waiting ? "waiting" : "running";
    if (status === "waiting") this.event({ type: "run.waiting", data: {} });
    const res = await this.commit({
      deadLetters: this.takeDeadLetters(),
      run: { status, release: true, startedAt: this.run.startedAt ?? this.now },
    });
    if (res.leaseHeld) this.deps.metrics.runStatus(status);
    return res.runStatus;
  }

  private async finishRun(
    status: RunStatus,
    output: unknown,
    error: ErrorInfo | null,
  ): Promise<RunStatus> {
    const now = this.now;
    this.event({ type: `run.${status}`, key: `run.${status}`, data: error ? { error } : {} });
    const ledger = {
      action: `run.${status}`,
      payload: { runId: this.run.id, flow: this.ir.name, error: error?.message ?? null },
    };
    const res = await this.commit({
      audit: [ledger],
      deadLetters: this.takeDeadLetters(),
      run: {
        status,
        output,
        error,
        finishedAt: now,
        release: true,
        startedAt: this.run.startedAt ?? now,
      },
    });
    if (!res.leaseHeld) return res.runStatus;
    const startedAt = this.run.startedAt ?? this.run.createdAt;
    this.deps.metrics.runStatus(status);
    this.deps.metrics.runFinished(status, now - startedAt);
    this.log.info({ status }, "run finished");
    // The ledger entry first, then the waiters (a webhook's `?wait=1`, the run view): whoever
    // is told that the run ended finds its end in the ledger.
    if (!res.audited)
      await this.deps.audit
        .record(this.run, this.redacted(ledger))
        .catch((e: unknown) => this.log.error({ err: String(e) }, "audit of run end failed"));
    this.deps.onRunFinished?.({
      runId: this.run.id,
      status,
      output: this.redacted(output),
      error: this.redacted(error),
    });
    await this.notifyParent(status, output, error);
    return status;
  }

  private async notifyParent(
    status: RunStatus,
    output: unknown,
    error: ErrorInfo | null,
  ): Promise<void> {
    if (!this.run.parentRunId || !this.run.parentStepId) return;
    const ok = await this.store.signal(this.run.parentRunId, {
      id: this.deps.ids.next(),
      runId: this.run.parentRunId,
      stepId: this.run.parentStepId,
      kind: "child",
      dueAt: this.now,
      payload: { runId: this.run.id, status, output, error },
      createdAt: this.now,
    });
    if (ok) this.deps.onRunQueued?.(this.run.parentRunId);
  }

  // -------------------------------------------------------------------------------------------
  // Compensation (saga): completed write steps undone in reverse completion order, one by one.

  private async compensate(
    fatal: Node,
  ): Promise<"done" | "parked" | "halted" | { error: ErrorInfo }> {
    this.event({
      type: "run.compensating",
      key: "run.compensating",
      data: { failedStep: fatal.id },
    });
    for (const target of compensationOrder([...this.all.values()])) {
      const c = compensationNode(target, this.rows.get(`${target.id}~compensate`), this.now);
      this.all.set(c.id, c);
      for (;;) {
        if (c.status === "succeeded") break;
        if (c.status === "failed") {
          return {
            error: {
              ...(c.error ?? toErrorInfo(new Error("compensation failed"))),
              message: `compensation of ${target.id} failed: ${c.error?.message ?? ""}`,
            },
          };
        }
        if (c.status === "scheduled" || c.status === "waiting") return "parked";
        c.retryTaskId = this.pendingRetryTasks.get(c.id);
        await this.runAttempt(c, this.deps.runtimes.get(c.block.id));
        if (this.halt && this.halt !== "fatal") return "halted";
      }
    }
    return "done";
  }
}
