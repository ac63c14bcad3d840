/**
 * The demo history's fast path: a run whose every call succeeds at its first attempt, with
 * every circuit breaker it meets closed, recorded as the engine records it — the same attempts,
 * events (sequence, keys, data, times), checkpoints, completion order, agent usage and ledger
 * entry — without executing the engine (most runs are such runs; the engine costs about a
 * millisecond of CPU per run, the fast path a few tens of microseconds). It handles the shapes of
 * the history's own flows: steps in topological order, side effects run concurrently, pure steps
 * and skips buffered until the next checkpoint, starts written late after `lateStartMs`,
 * `control.parallel` fan-outs. Anything else (a failure, a retry, an open breaker) is left to
 * the engine (`history-simulate.ts`). `history-fastpath.test.ts` executes many runs both ways
 * and requires identical records.
 */
import { evaluate } from "@/dsl";
import { runLedgerEntry } from "../audit/chain";
import type { BreakerBoard } from "@/server/engine/breaker";
import {
  buildContext,
  evaluateCondition,
  evaluateInputs,
  type ContextSource,
} from "@/server/engine/context";
import { breakerKey } from "@/server/engine/invoke";
import type { RuntimeRegistry } from "@/server/engine/ports";
import type { AttemptRecord, NewEvent } from "@/server/engine/types";
import { attemptRow, events, planOf, pureServices, type StepPlan } from "./history-records";
import { HistoryWorld, type CallDraw } from "./history-world";
import type { RunStart, SimulatedRun, StepLogRecord, UsageRecord } from "./ports";

/** The engine's default delay before a still-running side effect's start is written alone. */
const LATE_START_MS = 250;

type Status = "blocked" | "running" | "succeeded" | "skipped";

interface Call {
  step: number;
  stepId: string;
  blockId: string;
  inputs: Record<string, unknown>;
  start: number;
  draw: CallDraw;
  late: boolean;
  child: number;
  key: string | null;
}

/**
 * The records of `start` when all its calls are clean, or null (then the engine executes it).
 * Breakers are told of the run's calls only when it is clean.
 */
export function cleanRun(
  start: RunStart,
  world: HistoryWorld,
  breakers: BreakerBoard,
  runtimes: RuntimeRegistry,
): SimulatedRun | null {
  const plan = planOf(start.ir, runtimes);
  return plan ? new FastRun(start, world, plan, runtimes).record(breakers) : null;
}

/** One run on the fast path: its steps' states, the engine's buffer, its checkpoints. */
class FastRun implements ContextSource {
  readonly inputs: Record<string, unknown>;
  readonly run = {};
  readonly secrets = {};
  readonly stepIds: string[];
  private readonly status: Status[];
  private readonly outputs: unknown[];
  private readonly index: Map<string, number>;
  private bufEvents: NewEvent[] = [];
  private bufAttempts: AttemptRecord[] = [];
  private readonly logs: StepLogRecord[] = [];
  private readonly rows: AttemptRecord[] = [];
  private readonly usage: UsageRecord[] = [];
  private readonly calls: Call[] = [];
  private readonly queue: Array<{ at: number; order: number; late: boolean; call: Call }> = [];
  /** Fan-out parents: children still running, their outputs, the parent's start and row. */
  private readonly fans = new Map<
    number,
    { left: number; results: unknown[]; row: AttemptRecord }
  >();
  private order = 0;
  private seq = 0;
  private finishSeq = 0;

  constructor(
    private readonly start: RunStart,
    private readonly world: HistoryWorld,
    private readonly plan: StepPlan[],
    private readonly runtimes: RuntimeRegistry,
  ) {
    this.inputs = start.inputs;
    this.stepIds = plan.map((p) => p.step.id);
    this.index = new Map(this.stepIds.map((id, i) => [id, i]));
    this.status = plan.map(() => "blocked");
    this.outputs = plan.map(() => undefined);
  }

  output(stepId: string): { output: unknown } | undefined {
    const i = this.index.get(stepId);
    return i !== undefined && this.status[i] === "succeeded"
      ? { output: this.outputs[i] }
      : undefined;
  }

  /** A checkpoint: the buffer, then `evs`; completion order as the store assigns it. */
  private commit(evs: NewEvent[], row?: AttemptRecord): void {
    const all = this.bufEvents.length ? [...this.bufEvents, ...evs] : evs;
    for (const a of this.bufAttempts) a.finishSeq = ++this.finishSeq;
    if (row && row.status !== "running") row.finishSeq = ++this.finishSeq;
    if (all.length || this.bufAttempts.length)
      this.logs.push({ firstSeq: this.seq + 1, attempts: this.bufAttempts, events: all });
    this.seq += all.length;
    this.bufEvents = [];
    this.bufAttempts = [];
  }

  private startCall(
    step: number,
    stepId: string,
    blockId: string,
    inputs: Record<string, unknown>,
    at: number,
    child = -1,
  ) {
    const s = this.plan[step]!.step;
    const draw = this.world.draw(this.start.id, stepId, 1, blockId, at);
    const block =
      child < 0
        ? s.block
        : { ...s.block, id: blockId, kind: "connector" as const, system: blockId.split(".")[0]! };
    const call: Call = {
      step,
      stepId,
      blockId,
      inputs,
      start: at,
      draw,
      late: draw.latencyMs >= LATE_START_MS,
      child,
      key: breakerKey(this.start.workspaceId, block, s, inputs),
    };
    this.calls.push(call);
    if (call.late)
      this.queue.push({ at: at + LATE_START_MS, order: this.order++, late: true, call });
    this.queue.push({ at: at + draw.latencyMs, order: this.order++, late: false, call });
  }

  /** Runs what is ready at `now`, in topological order, as the engine's loop does. */
  private pump(now: number): void {
    for (let changed = true; changed;) {
      changed = false;
      for (let i = 0; i < this.plan.length; i++) {
        if (this.status[i] !== "blocked") continue;
        const p = this.plan[i]!;
        if (p.needs.some((n) => this.status[n] !== "succeeded" && this.status[n] !== "skipped"))
          continue;
        changed = true;
        const id = p.step.id;
        let reason: string | null = null;
        if (p.needs.some((n) => this.status[n] === "skipped")) reason = "a need was skipped";
        else if (
          p.step.condition &&
          !evaluateCondition(p.step.condition, buildContext(this, p.refs))
        )
          reason = "condition is false";
        if (reason) {
          this.status[i] = "skipped";
          this.bufAttempts.push(
            attemptRow(this.start.id, id, p.step.block.id, "skipped", null, null, now, now),
          );
          this.bufEvents.push(events.skipped(id, reason, now));
        } else if (p.kind === "parallel") this.startFan(i, now);
        else {
          const inputs = evaluateInputs(p.step.inputs, buildContext(this, p.refs));
          if (p.kind === "pure") {
            const out = this.runtimes
              .get(p.step.block.id)!
              .execute({ inputs, services: pureServices(this) } as never);
            this.status[i] = "succeeded";
            this.outputs[i] = out;
            this.bufAttempts.push(
              attemptRow(this.start.id, id, p.step.block.id, "succeeded", inputs, out, now, now),
            );
            this.bufEvents.push(events.succeeded(id, now));
          } else {
            this.status[i] = "running";
            this.startCall(i, id, p.step.block.id, inputs, now);
          }
        }
      }
    }
  }

  /** A `control.parallel` parent: its start written first, then its children. */
  private startFan(i: number, now: number): void {
    const p = this.plan[i]!;
    const id = p.step.id;
    const inputs = evaluateInputs(p.parentInputs, buildContext(this, p.refs));
    const row = attemptRow(this.start.id, id, p.step.block.id, "running", inputs, null, now, null);
    this.commit([events.started(id, now)], row);
    this.rows.push(row);
    this.status[i] = "running";
    this.fans.set(i, { left: p.branches!.length, results: [], row });
    for (const [c, b] of p.branches!.entries()) {
      const childInputs = evaluateInputs(b.with, buildContext(this, b.refs));
      this.startCall(i, `${id}[${c}]`, b.blockId, childInputs, now, c);
    }
  }

  /** Plays the run's calls in time order; null as soon as one is not clean. */
  record(breakers: BreakerBoard): SimulatedRun | null {
    const { start } = this;
    const t0 = start.createdAt + start.queueLagMs;
    this.bufEvents.push(
      events.run("run.started", { flow: start.ir.name, version: start.version }, t0),
    );
    this.pump(t0);
    let now = t0;
    while (this.queue.length) {
      let k = 0;
      for (let j = 1; j < this.queue.length; j++) {
        const a = this.queue[j]!;
        const b = this.queue[k]!;
        if (a.at < b.at || (a.at === b.at && a.order < b.order)) k = j;
      }
      const { at, late, call } = this.queue.splice(k, 1)[0]!;
      now = at;
      if (!HistoryWorld.clean(call.draw)) return null;
      const row = attemptRow(
        start.id,
        call.stepId,
        call.blockId,
        "running",
        call.inputs,
        null,
        call.start,
        null,
      );
      if (late) {
        this.commit([events.started(call.stepId, call.start)], row);
        continue;
      }
      this.finish(call, row, at);
    }
    if (this.status.some((s) => s !== "succeeded" && s !== "skipped")) return null;
    // Every call was clean: only now do the breakers hear of them (the engine acquires and closes).
    for (const c of this.calls)
      if (
        c.key !== null &&
        breakers.state(c.key, c.start, this.plan[c.step]!.step.resilience.breaker) !== "closed"
      )
        return null;
    for (const c of [...this.calls].sort(
      (a, b) => a.start + a.draw.latencyMs - (b.start + b.draw.latencyMs),
    )) {
      if (c.key === null) continue;
      breakers.acquire(c.key, c.start, this.plan[c.step]!.step.resilience.breaker);
      breakers.success(c.key);
    }
    return this.end(now);
  }

  /** A call's success at `at`: its checkpoint, its fan-out parent's, what becomes ready. */
  private finish(call: Call, row: AttemptRecord, at: number): void {
    const agent = call.blockId.startsWith("agent.");
    const { start, world } = this;
    if (agent)
      this.usage.push(
        world.usageOf(
          { id: start.id, flow: start.ir.name },
          call.stepId,
          1,
          call.blockId,
          call.draw,
          at,
        ),
      );
    const output = agent
      ? world.modelOutput(call.blockId, call.inputs, call.draw.rand)
      : world.connectorOutput(call.blockId, call.inputs, call.draw.rand, at);
    Object.assign(row, {
      status: "succeeded",
      output,
      finishedAt: at,
      durationMs: at - call.start,
    });
    const done = events.succeeded(call.stepId, at, at - call.start);
    this.commit(call.late ? [done] : [events.started(call.stepId, call.start), done], row);
    this.rows.push(row);
    const fan = this.fans.get(call.step);
    if (fan) {
      fan.results[call.child] = output;
      if (--fan.left > 0) return;
      const r = fan.row;
      Object.assign(r, {
        status: "succeeded",
        output: { results: fan.results },
        finishedAt: at,
        durationMs: at - r.startedAt,
      });
      this.commit([events.succeeded(this.plan[call.step]!.step.id, at, at - r.startedAt)], r);
    }
    this.status[call.step] = "succeeded";
    this.outputs[call.step] = fan ? { results: fan.results } : output;
    this.pump(at);
  }

  /** The run's end: its outputs, the last checkpoint, the run row and the ledger entry. */
  private end(now: number): SimulatedRun {
    const { start } = this;
    const ir = start.ir;
    const output: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(ir.outputs))
      output[k] = evaluate(v, buildContext(this, "all"));
    this.commit([events.run("run.succeeded", {}, now)]);
    const run = {
      id: start.id,
      workspaceId: start.workspaceId,
      workflowId: start.workflowId,
      version: start.version,
      irHash: ir.hash,
      status: "succeeded" as const,
      inputs: start.inputs,
      output,
      error: null,
      startedBy: start.startedBy,
      createdAt: start.createdAt,
      startedAt: now,
      finishedAt: now,
      eventSeq: this.seq,
    };
    return {
      run,
      ir,
      rows: this.rows.sort(
        (a, b) =>
          a.startedAt - b.startedAt ||
          (a.stepId < b.stepId ? -1 : a.stepId > b.stepId ? 1 : a.attempt - b.attempt),
      ),
      logs: this.logs,
      tasks: [],
      deadLetters: [],
      usage: this.usage,
      ends: [
        runLedgerEntry(run, {
          action: "run.succeeded",
          payload: { runId: run.id, flow: ir.name, error: null },
        }),
      ],
    };
  }
}
