/**
 * The demo history's fast path: a run whose every call succeeds at its first attempt, with
 * every circuit breaker it meets closed, recorded as the engine records it — the same attempts,
 * events (sequence, keys, data, times), checkpoints, completion order, agent usage and ledger
 * entry — without executing the engine (most runs are such runs; the engine costs about a
 * millisecond of CPU per run, the fast path a few microseconds). It handles the shapes of the
 * history's own flows: steps in topological order, side effects run concurrently, pure steps
 * and skips buffered until the next checkpoint, starts written late after `lateStartMs`,
 * `control.parallel` fan-outs. Anything else (a failure, a retry, an open breaker) is left to
 * the engine (`history-simulate.ts`). `history-fastpath.test.ts` executes many runs both ways
 * and requires identical records.
 */
import { compileCel, evaluate, type StepIR } from "@/dsl";
import { runLedgerEntry } from "../audit/chain";
import type { BreakerBoard } from "@/server/engine/breaker";
import {
  buildContext,
  evaluateCondition,
  evaluateInputs,
  referencedSteps,
  type ContextSource,
} from "@/server/engine/context";
import { breakerKey } from "@/server/engine/invoke";
import type { RuntimeRegistry, RuntimeServices } from "@/server/engine/ports";
import type { AttemptRecord, NewEvent } from "@/server/engine/types";
import { BEHAVIOUR, HISTORY_WORKER } from "./history-plan";
import type { RunStart, SimulatedRun, StepLogRecord } from "./history-simulate";
import { HistoryWorld, type CallDraw, type UsageRecord } from "./history-world";

/** The engine's default delay before a still-running side effect's start is written alone. */
const LATE_START_MS = 250;

interface FNode {
  step: StepIR;
  status: "blocked" | "running" | "succeeded" | "skipped";
  output?: unknown;
  /** A fan-out parent's children still running, and their outputs. */
  fan?: { left: number; results: unknown[]; start: number; row: AttemptRecord };
}

interface Call {
  node: FNode;
  stepId: string;
  blockId: string;
  inputs: Record<string, unknown>;
  start: number;
  draw: CallDraw;
  late: boolean;
  child?: number;
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
  const { ir } = start;
  const t0 = start.createdAt + start.queueLagMs;
  const nodes = new Map<string, FNode>(ir.steps.map((s) => [s.id, { step: s, status: "blocked" }]));
  const src: ContextSource = {
    inputs: start.inputs,
    run: {},
    secrets: {},
    output: (id) => {
      const n = nodes.get(id);
      return n?.status === "succeeded" ? { output: n.output } : undefined;
    },
    stepIds: ir.steps.map((s) => s.id),
  };
  const key = (stepId: string) => `${start.id}:${stepId}`;
  let bufEvents: NewEvent[] = [];
  let bufAttempts: AttemptRecord[] = [];
  const logs: StepLogRecord[] = [];
  const rows: AttemptRecord[] = [];
  const usage: UsageRecord[] = [];
  const calls: Call[] = [];
  const queue: Array<{ at: number; order: number; late: boolean; call: Call }> = [];
  let order = 0;
  let seq = 0;
  let finishSeq = 0;
  const commit = (events: NewEvent[], row?: AttemptRecord) => {
    const all = [...bufEvents, ...events];
    for (const a of bufAttempts) a.finishSeq = ++finishSeq;
    if (row && row.status !== "running") row.finishSeq = ++finishSeq;
    if (all.length || bufAttempts.length)
      logs.push({ firstSeq: seq + 1, attempts: bufAttempts, events: all });
    seq += all.length;
    bufEvents = [];
    bufAttempts = [];
  };
  const completed = (
    step: StepIR,
    status: "succeeded" | "skipped",
    inputs: unknown,
    output: unknown,
    at: number,
  ): AttemptRecord => ({
    runId: start.id,
    stepId: step.id,
    attempt: 1,
    status,
    blockId: step.block.id,
    inputs,
    output,
    error: null,
    classification: null,
    idempotencyKey: key(step.id),
    consentId: null,
    startedAt: at,
    finishedAt: at,
    durationMs: 0,
    retryAt: null,
    finishSeq: null,
    workerId: HISTORY_WORKER,
  });

  const startCall = (
    node: FNode,
    stepId: string,
    blockId: string,
    inputs: Record<string, unknown>,
    at: number,
    child?: number,
  ) => {
    const draw = world.draw(start.id, stepId, 1, blockId, at);
    const block =
      child === undefined
        ? node.step.block
        : {
            ...node.step.block,
            id: blockId,
            kind: "connector" as const,
            system: blockId.split(".")[0]!,
          };
    const call: Call = {
      node,
      stepId,
      blockId,
      inputs,
      start: at,
      draw,
      late: draw.latencyMs >= LATE_START_MS,
      key: breakerKey(start.workspaceId, block, node.step, inputs),
      ...(child === undefined ? {} : { child }),
    };
    calls.push(call);
    if (call.late) queue.push({ at: at + LATE_START_MS, order: order++, late: true, call });
    queue.push({ at: at + draw.latencyMs, order: order++, late: false, call });
  };

  const pump = (now: number): boolean => {
    for (let changed = true; changed;) {
      changed = false;
      for (const n of nodes.values()) {
        if (n.status !== "blocked") continue;
        const needs = n.step.needs.map((id) => nodes.get(id)!);
        if (needs.some((x) => x.status !== "succeeded" && x.status !== "skipped")) continue;
        changed = true;
        const refs = referencedSteps([n.step.inputs, n.step.condition]);
        let reason: string | null = null;
        if (needs.some((x) => x.status === "skipped")) reason = "a need was skipped";
        else if (n.step.condition && !evaluateCondition(n.step.condition, buildContext(src, refs)))
          reason = "condition is false";
        if (reason) {
          n.status = "skipped";
          bufAttempts.push(completed(n.step, "skipped", null, null, now));
          bufEvents.push({
            type: "step.skipped",
            stepId: n.step.id,
            key: `skip:${n.step.id}`,
            data: { reason },
            at: now,
          });
          continue;
        }
        const rt = runtimes.get(n.step.block.id);
        if (rt?.fanout === "parallel") {
          if (!startFan(n, now, refs)) return false;
          continue;
        }
        const inputs = evaluateInputs(n.step.inputs, buildContext(src, refs));
        if (rt?.pure && n.step.block.sideEffect === "none") {
          n.output = rt.execute({ inputs, services: services(src) } as never);
          n.status = "succeeded";
          bufAttempts.push(completed(n.step, "succeeded", inputs, n.output, now));
          bufEvents.push({
            type: "step.succeeded",
            stepId: n.step.id,
            key: `ok:${n.step.id}:1`,
            data: { attempt: 1 },
            at: now,
          });
          continue;
        }
        if (!(n.step.block.id in BEHAVIOUR)) return false;
        n.status = "running";
        startCall(n, n.step.id, n.step.block.id, inputs, now);
      }
    }
    return true;
  };

  const startFan = (n: FNode, now: number, refs: ReturnType<typeof referencedSteps>): boolean => {
    const entries = n.step.inputs.entries;
    const branches = entries.branches;
    if (branches?.kind !== "array") return false;
    const { branches: _b, ...rest } = entries;
    const parentInputs = evaluateInputs({ kind: "object", entries: rest }, buildContext(src, refs));
    const row: AttemptRecord = {
      ...completed(n.step, "succeeded", parentInputs, null, now),
      status: "running",
      finishedAt: null,
      durationMs: null,
    };
    commit(
      [
        {
          type: "step.started",
          stepId: n.step.id,
          key: `start:${n.step.id}:1`,
          data: { attempt: 1, recovered: false },
          at: now,
        },
      ],
      row,
    );
    rows.push(row);
    n.status = "running";
    n.fan = { left: branches.items.length, results: [], start: now, row };
    for (const [i, b] of branches.items.entries()) {
      if (b.kind !== "object" || b.entries.uses?.kind !== "literal") return false;
      const blockId = String(b.entries.uses.value).split("@")[0]!;
      if (!(blockId in BEHAVIOUR)) return false;
      const inputs = evaluateInputs(
        b.entries.with,
        buildContext(src, referencedSteps([b.entries.with])),
      );
      startCall(n, `${n.step.id}[${i}]`, blockId, inputs, now, i);
    }
    return true;
  };

  bufEvents.push({
    type: "run.started",
    key: "run.started",
    data: { flow: ir.name, version: start.version },
    at: t0,
  });
  if (!pump(t0)) return null;
  let now = t0;
  while (queue.length) {
    let i = 0;
    for (let j = 1; j < queue.length; j++)
      if (
        queue[j]!.at < queue[i]!.at ||
        (queue[j]!.at === queue[i]!.at && queue[j]!.order < queue[i]!.order)
      )
        i = j;
    const { at, late, call } = queue.splice(i, 1)[0]!;
    now = at;
    if (!HistoryWorld.clean(call.draw)) return null;
    const started: NewEvent = {
      type: "step.started",
      stepId: call.stepId,
      key: `start:${call.stepId}:1`,
      data: { attempt: 1, recovered: false },
      at: call.start,
    };
    const row: AttemptRecord = {
      runId: start.id,
      stepId: call.stepId,
      attempt: 1,
      status: "running",
      blockId: call.blockId,
      inputs: call.inputs,
      output: null,
      error: null,
      classification: null,
      idempotencyKey: key(call.stepId),
      consentId: null,
      startedAt: call.start,
      finishedAt: null,
      durationMs: null,
      retryAt: null,
      finishSeq: null,
      workerId: HISTORY_WORKER,
    };
    if (late) {
      commit([started], row);
      continue;
    }
    const agent = call.blockId.startsWith("agent.");
    if (agent)
      usage.push(
        world.usageOf({ id: start.id, flow: ir.name }, call.stepId, 1, call.blockId, call.draw, at),
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
    commit(
      [
        ...(call.late ? [] : [started]),
        {
          type: "step.succeeded",
          stepId: call.stepId,
          key: `ok:${call.stepId}:1`,
          data: { attempt: 1, durationMs: at - call.start },
          at,
        },
      ],
      row,
    );
    rows.push(row);
    const n = call.node;
    if (n.fan && call.child !== undefined) {
      n.fan.results[call.child] = output;
      if (--n.fan.left > 0) continue;
      Object.assign(n.fan.row, {
        status: "succeeded",
        output: { results: n.fan.results },
        finishedAt: at,
        durationMs: at - n.fan.start,
      });
      commit(
        [
          {
            type: "step.succeeded",
            stepId: n.step.id,
            key: `ok:${n.step.id}:1`,
            data: { attempt: 1, durationMs: at - n.fan.start },
            at,
          },
        ],
        n.fan.row,
      );
    }
    n.status = "succeeded";
    n.output = n.fan ? { results: n.fan.results } : output;
    if (!pump(at)) return null;
  }
  if ([...nodes.values()].some((n) => n.status !== "succeeded" && n.status !== "skipped"))
    return null;
  // Every call was clean: only now do the breakers hear of them (the engine acquires and closes).
  for (const c of calls) {
    if (c.key === null) continue;
    if (breakers.state(c.key, c.start, c.node.step.resilience.breaker) !== "closed") return null;
  }
  for (const c of [...calls].sort(
    (a, b) => a.start + a.draw.latencyMs - (b.start + b.draw.latencyMs),
  )) {
    if (c.key === null) continue;
    breakers.acquire(c.key, c.start, c.node.step.resilience.breaker);
    breakers.success(c.key);
  }
  const output: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ir.outputs))
    output[k] = evaluate(v, buildContext(src, "all"));
  commit([{ type: "run.succeeded", key: "run.succeeded", data: {}, at: now }]);
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
    eventSeq: seq,
  };
  return {
    run,
    ir,
    rows: rows.sort(
      (a, b) =>
        a.startedAt - b.startedAt ||
        (a.stepId < b.stepId ? -1 : a.stepId > b.stepId ? 1 : a.attempt - b.attempt),
    ),
    logs,
    tasks: [],
    deadLetters: [],
    usage,
    ends: [
      runLedgerEntry(run, {
        action: "run.succeeded",
        payload: { runId: run.id, flow: ir.name, error: null },
      }),
    ],
  };
}

/** The services a pure runtime uses: CEL over the run's context. */
function services(src: ContextSource): RuntimeServices {
  return {
    now: () => 0,
    evaluate: (source) => {
      const compiled = compileCel(source);
      if (!compiled) throw new Error(`invalid CEL expression \`${source}\``);
      return evaluate(compiled, buildContext(src, referencedSteps([compiled])));
    },
    stepStatus: () => "pending",
    startChildRun: () => Promise.reject(new Error("no sub-flows in the demo history")),
  };
}
