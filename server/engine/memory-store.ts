/**
 * The reference {@link RunStore}: everything in memory, synchronous under the hood. Unit tests
 * run the engine on it; the SQL store must behave the same (`store-contract.ts`).
 */
import type {
  Checkpoint,
  ClaimOptions,
  CommitResult,
  RunFilter,
  RunState,
  RunStore,
} from "./ports";
import {
  isTerminalRun,
  type AttemptRecord,
  type DeadLetterRecord,
  type NewRun,
  type NewTask,
  type RunEventRecord,
  type RunRecord,
  type TaskRecord,
} from "./types";

const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
const key = (runId: string, stepId: string, attempt: number) =>
  `${runId}\u0000${stepId}\u0000${attempt}`;

interface RunRow extends RunRecord {
  eventSeq: number;
}

/** In-memory run store. `clock` is only used by {@link MemoryRunStore.cancelRun} callers' `now`. */
export class MemoryRunStore implements RunStore {
  private runs = new Map<string, RunRow>();
  private order: string[] = [];
  private attempts = new Map<string, AttemptRecord>();
  private tasks = new Map<string, TaskRecord>();
  private deadLetters: DeadLetterRecord[] = [];
  private events = new Map<string, RunEventRecord[]>();
  private eventKeys = new Set<string>();
  private finishSeq = 0;
  /** Counts commits (tests assert how many durable writes a run took). */
  commits = 0;

  async createRun(input: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    if (input.idempotencyKey) {
      for (const r of this.runs.values()) {
        if (r.workspaceId === input.workspaceId && r.idempotencyKey === input.idempotencyKey) {
          return { run: this.view(r), created: false };
        }
      }
    }
    const row: RunRow = {
      id: input.id,
      workspaceId: input.workspaceId,
      workflowId: input.workflowId,
      version: input.version,
      irHash: input.ir.hash,
      ir: clone(input.ir),
      status: input.lease ? "running" : "queued",
      inputs: clone(input.inputs),
      output: null,
      error: null,
      parentRunId: input.parentRunId ?? null,
      parentStepId: input.parentStepId ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      startedBy: input.startedBy ?? null,
      startedByUserId: input.startedByUserId ?? null,
      replay: input.replay ? clone(input.replay) : null,
      sandboxSessionId: input.sandboxSessionId ?? null,
      leaseOwner: input.lease?.owner ?? null,
      leaseExpiresAt: input.lease?.expiresAt ?? null,
      dueAt: input.lease ? null : input.now,
      createdAt: input.now,
      startedAt: null,
      finishedAt: null,
      updatedAt: input.now,
      eventSeq: 0,
    };
    if (this.runs.has(row.id)) throw new Error(`run ${row.id} exists`);
    this.runs.set(row.id, row);
    this.order.push(row.id);
    return { run: this.view(row), created: true };
  }

  private view(r: RunRow): RunRecord {
    const { eventSeq: _s, ...rest } = r;
    return clone(rest);
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const r = this.runs.get(id);
    return r ? this.view(r) : null;
  }

  async listRuns(f: RunFilter): Promise<{ runs: RunRecord[]; nextCursor: string | null }> {
    let rows = [...this.order]
      .reverse()
      .map((id) => this.runs.get(id)!)
      .filter(
        (r) =>
          r.workspaceId === f.workspaceId &&
          (!f.status?.length || f.status.includes(r.status)) &&
          (f.workflowId === undefined || r.workflowId === f.workflowId) &&
          (f.version === undefined || r.version === f.version) &&
          (f.parentRunId === undefined || r.parentRunId === f.parentRunId) &&
          (f.from === undefined || r.createdAt >= f.from) &&
          (f.to === undefined || r.createdAt < f.to),
      );
    rows.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    if (f.cursor) {
      const i = rows.findIndex((r) => r.id === f.cursor);
      rows = i >= 0 ? rows.slice(i + 1) : [];
    }
    const page = rows.slice(0, f.limit);
    return {
      runs: page.map((r) => this.view(r)),
      nextCursor: rows.length > f.limit ? page.at(-1)!.id : null,
    };
  }

  async claimRuns(o: ClaimOptions): Promise<RunRecord[]> {
    const leased = new Map<string, number>();
    for (const r of this.runs.values()) {
      if (r.leaseOwner && r.leaseExpiresAt !== null && r.leaseExpiresAt > o.now) {
        leased.set(r.workspaceId, (leased.get(r.workspaceId) ?? 0) + 1);
      }
    }
    const due = [...this.runs.values()]
      .filter(
        (r) =>
          (r.status === "queued" || r.status === "running" || r.status === "waiting") &&
          // Due, or leased by a worker that died (its lease expired mid-advance).
          ((r.dueAt !== null && r.dueAt <= o.now) || (r.dueAt === null && r.leaseOwner !== null)) &&
          (r.leaseExpiresAt === null || r.leaseExpiresAt <= o.now),
      )
      .sort((a, b) => (a.dueAt ?? 0) - (b.dueAt ?? 0) || a.createdAt - b.createdAt);
    const out: RunRecord[] = [];
    for (const r of due) {
      if (out.length >= o.limit) break;
      const n = leased.get(r.workspaceId) ?? 0;
      if (o.perWorkspaceLimit !== undefined && n >= o.perWorkspaceLimit) continue;
      leased.set(r.workspaceId, n + 1);
      const view = this.view(r);
      r.leaseOwner = o.owner;
      r.leaseExpiresAt = o.now + o.leaseMs;
      // While leased, dueAt is null; a signal during the lease sets it, so release sees it.
      r.dueAt = null;
      if (r.status !== "running") r.status = "running";
      r.updatedAt = o.now;
      out.push({
        ...view,
        status: "running",
        leaseOwner: o.owner,
        leaseExpiresAt: r.leaseExpiresAt,
      });
    }
    return out;
  }

  async renewLease(runId: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const r = this.runs.get(runId);
    if (!r || r.leaseOwner !== owner || isTerminalRun(r.status)) return false;
    r.leaseExpiresAt = now + leaseMs;
    return true;
  }

  async loadState(runId: string): Promise<RunState> {
    return {
      attempts: [...this.attempts.values()].filter((a) => a.runId === runId).map(clone),
      tasks: [...this.tasks.values()]
        .filter((t) => t.runId === runId && t.doneAt === null)
        .map(clone),
    };
  }

  async commit(runId: string, owner: string | null, cp: Checkpoint): Promise<CommitResult> {
    this.commits++;
    const run = this.runs.get(runId);
    if (!run) throw new Error(`run ${runId} not found`);
    const result: CommitResult = {
      leaseHeld: owner !== null && run.leaseOwner === owner,
      runStatus: run.status,
    };
    for (const a of cp.attempts ?? []) {
      const k = key(a.runId, a.stepId, a.attempt);
      if (this.attempts.has(k)) continue;
      const row = clone(a);
      if (row.status === "succeeded" || row.status === "failed" || row.status === "skipped")
        row.finishSeq = ++this.finishSeq;
      this.attempts.set(k, row);
    }
    if (cp.start) {
      const k = key(cp.start.runId, cp.start.stepId, cp.start.attempt);
      const existing = this.attempts.get(k);
      if (existing) {
        result.started = clone(existing);
        result.startedFresh = false;
      } else {
        const row: AttemptRecord = {
          ...clone(cp.start),
          status: "running",
          output: null,
          error: null,
          classification: null,
          finishedAt: null,
          durationMs: null,
          retryAt: null,
          finishSeq: null,
        };
        this.attempts.set(k, row);
        result.started = clone(row);
        result.startedFresh = true;
      }
    }
    if (cp.finish) {
      const f = cp.finish;
      const k = key(f.runId, f.stepId, f.attempt);
      const row = this.attempts.get(k);
      if (!row)
        throw new Error(`attempt ${f.stepId}#${f.attempt} of run ${f.runId} was never started`);
      const open = row.status === "running" || (row.status === "waiting" && f.status !== "waiting");
      if (open) {
        row.status = f.status;
        row.output = clone(f.output ?? null);
        row.error = clone(f.error ?? null);
        row.classification = f.error ? clone(f.error.classification) : null;
        row.finishedAt = f.status === "waiting" ? null : f.finishedAt;
        row.durationMs = f.durationMs ?? null;
        row.retryAt = f.retryAt ?? null;
        if (f.status !== "waiting") row.finishSeq = ++this.finishSeq;
      }
      result.finished = clone(row);
      result.finishedFirst = open;
    }
    for (const t of cp.tasks ?? []) this.tasks.set(t.id, { ...clone(t), doneAt: null });
    for (const id of cp.consumeTasks ?? []) {
      const t = this.tasks.get(id);
      if (t && t.doneAt === null) t.doneAt = cp.run?.finishedAt ?? t.dueAt;
    }
    for (const d of cp.deadLetters ?? []) {
      if (!this.deadLetters.some((x) => x.runId === d.runId && x.stepId === d.stepId))
        this.deadLetters.push(clone(d));
    }
    const evs = this.events.get(runId) ?? [];
    for (const e of cp.events ?? []) {
      if (e.key) {
        const ek = `${runId}\u0000${e.key}`;
        if (this.eventKeys.has(ek)) continue;
        this.eventKeys.add(ek);
      }
      evs.push({
        runId,
        seq: ++run.eventSeq,
        type: e.type,
        stepId: e.stepId ?? null,
        data: clone(e.data ?? null),
        at: e.at,
      });
    }
    this.events.set(runId, evs);
    if (cp.run && result.leaseHeld && !isTerminalRun(run.status)) {
      const u = cp.run;
      if (u.status !== undefined) run.status = u.status;
      if (u.output !== undefined) run.output = clone(u.output);
      if (u.error !== undefined) run.error = clone(u.error);
      if (u.dueAt !== undefined) run.dueAt = u.dueAt;
      if (u.startedAt !== undefined && run.startedAt === null) run.startedAt = u.startedAt;
      if (u.finishedAt !== undefined) run.finishedAt = u.finishedAt;
      if (u.release && !isTerminalRun(run.status)) {
        // Due at the earliest pending task: a signal that arrived while the run was leased
        // is never lost, whatever the releasing worker saw.
        let due: number | null = null;
        for (const t of this.tasks.values()) {
          if (t.runId === runId && t.doneAt === null && (due === null || t.dueAt < due))
            due = t.dueAt;
        }
        run.dueAt = due;
      }
      if (isTerminalRun(run.status)) run.dueAt = null;
      run.updatedAt = u.finishedAt ?? run.updatedAt;
    }
    if (cp.run && (cp.run.release || isTerminalRun(run.status)) && result.leaseHeld) {
      run.leaseOwner = null;
      run.leaseExpiresAt = null;
    }
    result.runStatus = run.status;
    return result;
  }

  async signal(runId: string, task: NewTask): Promise<boolean> {
    const run = this.runs.get(runId);
    if (!run || isTerminalRun(run.status)) return false;
    this.tasks.set(task.id, { ...clone(task), doneAt: null });
    if (run.status === "waiting") run.status = "running";
    run.dueAt = run.dueAt === null ? task.dueAt : Math.min(run.dueAt, task.dueAt);
    return true;
  }

  async cancelRun(runId: string, now: number, reason: string): Promise<RunRecord | null> {
    const run = this.runs.get(runId);
    if (!run) return null;
    if (!isTerminalRun(run.status)) {
      run.status = "cancelled";
      run.finishedAt = now;
      run.updatedAt = now;
      run.dueAt = null;
      run.error = {
        name: "Cancelled",
        message: reason,
        retryable: false,
        classification: { severity: "low", category: "system" },
      };
      const evs = this.events.get(runId) ?? [];
      evs.push({
        runId,
        seq: ++run.eventSeq,
        type: "run.cancelled",
        stepId: null,
        data: { reason },
        at: now,
      });
      this.events.set(runId, evs);
    }
    return this.view(run);
  }

  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    return [...this.attempts.values()]
      .filter((a) => a.runId === runId)
      .sort(
        (a, b) =>
          a.startedAt - b.startedAt ||
          (a.stepId < b.stepId ? -1 : a.stepId > b.stepId ? 1 : a.attempt - b.attempt),
      )
      .map(clone);
  }

  async listEvents(runId: string, afterSeq = 0, limit = 1000): Promise<RunEventRecord[]> {
    return (this.events.get(runId) ?? [])
      .filter((e) => e.seq > afterSeq)
      .slice(0, limit)
      .map(clone);
  }

  async listTasks(runId: string): Promise<TaskRecord[]> {
    return [...this.tasks.values()]
      .filter((t) => t.runId === runId)
      .sort((a, b) => a.dueAt - b.dueAt)
      .map(clone);
  }

  async listDeadLetters(f: {
    workspaceId?: string;
    runId?: string;
    limit?: number;
  }): Promise<DeadLetterRecord[]> {
    return this.deadLetters
      .filter(
        (d) =>
          (f.workspaceId === undefined || d.workspaceId === f.workspaceId) &&
          (f.runId === undefined || d.runId === f.runId),
      )
      .slice(0, f.limit ?? 100)
      .map(clone);
  }

  async countDeadLetters(workspaceId?: string): Promise<number> {
    return this.deadLetters.filter(
      (d) => workspaceId === undefined || d.workspaceId === workspaceId,
    ).length;
  }

  async runDepth(runId: string, max: number): Promise<number> {
    let depth = 0;
    let parent = this.runs.get(runId)?.parentRunId ?? null;
    while (parent && depth < max) {
      depth += 1;
      parent = this.runs.get(parent)?.parentRunId ?? null;
    }
    return depth;
  }

  async countActiveRuns(workspaceId: string, cap: number): Promise<number> {
    let n = 0;
    for (const r of this.runs.values()) {
      if (r.workspaceId === workspaceId && !isTerminalRun(r.status) && ++n >= cap) break;
    }
    return n;
  }

  /** Test helper: forces a run's lease to expire (a worker died). */
  expireLease(runId: string): void {
    const r = this.runs.get(runId);
    if (r) r.leaseExpiresAt = 0;
  }
}
