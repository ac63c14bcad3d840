/**
 * Runs of the demo history executed by the real engine (`server/engine`), on a virtual clock
 * and an in-memory run store, against the simulated world (`history-world.ts`): retries,
 * backoff, Retry-After, per-attempt timeouts, circuit breakers, skips, fan-out children and
 * dead letters happen exactly as they do live, and each run's records come out as the engine
 * checkpointed them (which attempts were side effects with a row of their own, which were
 * logged with their checkpoint's events). The writer stores them in bulk, shaped as the SQL
 * run store writes them (`server/adapters/store/sql-demo-history.ts`).
 */
import type { FlowIR } from "@/dsl";
import { runLedgerEntry, type AuditBatchEntry } from "../audit/chain";
import { Engine } from "@/server/engine/engine";
import { MemoryRunStore } from "@/server/engine/memory-store";
import type { Checkpoint, Clock, CommitResult } from "@/server/engine/ports";
import { isTerminalRun, type NewEvent, type RunRecord } from "@/server/engine/types";
import { HISTORY_WORKER } from "./history-plan";
import { HistoryRandom, seededUuid } from "./history-random";
import { cleanRun } from "./history-fastpath";
import type { RunStart, SimulatedRun, SimulatedRunRow, StepLogRecord } from "./ports";
export type { RunStart, SimulatedRun, SimulatedRunRow, StepLogRecord } from "./ports";
import { HistoryWorld } from "./history-world";
import type { MapRuntimeRegistry } from "@/server/engine/runtimes/registry";

/** A clock that moves only when the simulation says: sleeps fire in time order. */
export class VirtualClock implements Clock {
  private timers: Array<{ at: number; resolve: () => void }> = [];
  private current = 0;

  now(): number {
    return this.current;
  }

  set(at: number): void {
    this.current = at;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const t = { at: this.current + Math.max(0, ms), resolve };
      this.timers.push(t);
      signal?.addEventListener(
        "abort",
        () => {
          this.timers = this.timers.filter((x) => x !== t);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Fires the earliest sleep (moving the time to it); false when none is pending. */
  fireNext(): boolean {
    if (this.timers.length === 0) return false;
    let i = 0;
    for (let j = 1; j < this.timers.length; j++) if (this.timers[j]!.at < this.timers[i]!.at) i = j;
    const [t] = this.timers.splice(i, 1);
    this.current = Math.max(this.current, t!.at);
    t!.resolve();
    return true;
  }
}

/** The memory store, noting which attempts and how many events each checkpoint carried. */
class RecordingStore extends MemoryRunStore {
  readonly commitsLog: Array<{ logged: string[]; events: NewEvent[] }> = [];

  override async commit(
    runId: string,
    owner: string | null,
    cp: Checkpoint,
  ): Promise<CommitResult> {
    const res = await super.commit(runId, owner, cp);
    this.commitsLog.push({
      logged: (cp.attempts ?? []).map((a) => `${a.stepId}#${a.attempt}`),
      // The engine hands each checkpoint fresh event objects and never changes them after.
      events: cp.events ?? [],
    });
    return res;
  }
}

/** The engine on the virtual clock and the simulated world, for one generation. */
export class HistorySimulator {
  readonly clock = new VirtualClock();
  readonly world: HistoryWorld;
  private readonly runtimes: MapRuntimeRegistry;
  private readonly engine: Engine;
  /** Runs the fast path recorded, and runs the engine executed. */
  counts = { fast: 0, engine: 0, stuck: 0 };
  private store = new RecordingStore();
  private ends: AuditBatchEntry[] = [];
  private ids = 0;

  /** `fastPath: false` executes every run with the engine (the fast path's tests compare). */
  constructor(
    seed: number,
    /** Day 0 of the plan (`historyDayZero`). */
    startMs: number,
    private readonly fastPath = true,
  ) {
    this.world = new HistoryWorld(seed, this.clock, startMs);
    this.runtimes = this.world.runtimes();
    const jitter = new HistoryRandom(seed ^ 0x5eed);
    this.engine = new Engine({
      store: this.store,
      clock: this.clock,
      ids: { next: () => seededUuid(seed, `engine-id:${++this.ids}`) },
      random: { next: () => jitter.next() },
      runtimes: this.runtimes,
      workerId: HISTORY_WORKER,
      audit: {
        record: async (run, entry) => {
          this.ends.push(runLedgerEntry(run, entry));
        },
      },
    });
  }

  /** Executes one run to its end; returns its records, or null when the engine never ends it. */
  async run(start: RunStart): Promise<SimulatedRun | null> {
    const fast = this.fastPath
      ? cleanRun(start, this.world, this.engine.deps.breakers, this.runtimes)
      : null;
    if (fast) {
      this.counts.fast++;
      return fast;
    }
    this.counts.engine++;
    const store = (this.store = new RecordingStore());
    this.engine.deps.store = store;
    this.ends = [];
    this.world.usage.length = 0;
    this.clock.set(start.createdAt);
    await this.engine.createRun({
      id: start.id,
      workspaceId: start.workspaceId,
      workflowId: start.workflowId,
      version: start.version,
      ir: start.ir,
      inputs: start.inputs,
      startedBy: start.startedBy,
    });
    this.clock.set(start.createdAt + start.queueLagMs);
    let run: RunRecord | null = null;
    let lastDue = -1;
    for (let advance = 0; advance <= 100; advance++) {
      const [r] = await this.drive(this.engine.tick({ limit: 1, leaseMs: 365 * 86_400_000 }));
      if (r && isTerminalRun(r.status)) break;
      run = await store.getRun(start.id);
      if (!run || isTerminalRun(run.status)) break;
      // Parked (a retry): due at its earliest pending task.
      const due =
        run.dueAt ??
        (await store.listTasks(start.id))
          .filter((t) => t.doneAt === null)
          .reduce((m, t) => Math.min(m, t.dueAt), Infinity);
      // An advance that consumed nothing: the engine leaves this run where it is (a fan-out
      // whose child failed for good while a sibling waits for its retry stays `running`).
      if (due === Infinity || due === lastDue) break;
      lastDue = due;
      this.clock.set(Math.max(this.clock.now(), due));
    }
    run = await store.getRun(start.id);
    if (!run || !isTerminalRun(run.status)) {
      this.counts.stuck++;
      return null;
    }
    return this.records(store, run, start.ir);
  }

  /** Awaits `work`, moving the virtual clock whenever the engine waits on it. */
  private async drive<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => (settled = true));
    for (let idle = 0; !settled;) {
      // Promise callbacks run before a macrotask: when it runs, the engine waits on the clock.
      await new Promise<void>((r) => setImmediate(r));
      if (settled) break;
      if (this.clock.fireNext()) idle = 0;
      else if (++idle > 1_000) throw new Error("demo history: the engine waits on nothing");
    }
    return done;
  }

  private async records(store: RecordingStore, run: RunRecord, ir: FlowIR): Promise<SimulatedRun> {
    const [attempts, tasks, deadLetters] = await Promise.all([
      store.listAttempts(run.id),
      store.listTasks(run.id),
      store.listDeadLetters({ runId: run.id }),
    ]);
    const byKey = new Map(attempts.map((a) => [`${a.stepId}#${a.attempt}`, a]));
    const logged = new Set<string>();
    const logs: StepLogRecord[] = [];
    let seq = 0;
    for (const c of store.commitsLog) {
      const atts = c.logged
        .filter((k) => !logged.has(k) && byKey.has(k))
        .map((k) => (logged.add(k), byKey.get(k)!));
      if (c.events.length || atts.length)
        logs.push({ firstSeq: seq + 1, attempts: atts, events: c.events });
      seq += c.events.length;
    }
    return {
      run: runRow(run, seq),
      ir,
      rows: attempts.filter((a) => !logged.has(`${a.stepId}#${a.attempt}`)),
      logs,
      tasks,
      deadLetters,
      usage: [...this.world.usage],
      ends: [...this.ends],
    };
  }
}

/** The run row of a run record. */
export function runRow(run: RunRecord, eventSeq: number): SimulatedRunRow {
  return {
    id: run.id,
    workspaceId: run.workspaceId,
    workflowId: run.workflowId!,
    version: run.version!,
    irHash: run.irHash,
    status: run.status,
    inputs: run.inputs,
    output: run.output,
    error: run.error,
    startedBy: run.startedBy!,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    eventSeq,
  };
}
