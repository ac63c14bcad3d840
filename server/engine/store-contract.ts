/**
 * The RunStore contract: one vitest suite every store implementation must pass (memory in
 * `memory-store.test.ts`, SQL on PGlite/PostgreSQL in `server/adapters/store/*.int.test.ts`).
 */
import { describe, expect, it } from "vitest";
import type { FlowIR } from "@/dsl";
import type { RunStore } from "./ports";
import type { AttemptRecord, AttemptStart } from "./types";

/** What a contract run needs: a store, a workspace id it may use, and fresh UUIDs. */
export interface StoreFixture {
  store: RunStore;
  workspaceId: string;
  /** A second workspace (per-workspace limits, isolation). */
  otherWorkspaceId: string;
  uuid(): string;
}

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

const IR: FlowIR = {
  name: "contract",
  version: "1.0.0",
  sla: "T1",
  trustMin: null,
  trust: 1,
  consentPurposes: [],
  trigger: { type: "manual" },
  inputsSchema: { type: "object" },
  outputs: {},
  steps: [],
  policies: [],
  sandboxOnly: false,
  hash: "c0ffee",
};

/** Defines the contract tests for a store built by `make` (called once per test). */
export function defineStoreContract(name: string, make: () => Promise<StoreFixture>): void {
  async function newRun(
    f: StoreFixture,
    extra: { workspaceId?: string; now?: number; idempotencyKey?: string } = {},
  ) {
    const { run } = await f.store.createRun({
      id: f.uuid(),
      workspaceId: extra.workspaceId ?? f.workspaceId,
      workflowId: null,
      version: "1.0.0",
      ir: IR,
      inputs: { n: 1, nested: { a: [1, "x"] } },
      startedBy: "tester",
      idempotencyKey: extra.idempotencyKey ?? null,
      now: extra.now ?? T0,
    });
    return run;
  }

  function start(runId: string, stepId: string, attempt: number, at = T0): AttemptStart {
    return {
      runId,
      stepId,
      attempt,
      blockId: "test.write",
      inputs: { a: attempt },
      idempotencyKey: `${runId}:${stepId}`,
      consentId: null,
      startedAt: at,
      workerId: "w1",
    };
  }

  function done(
    runId: string,
    stepId: string,
    status: AttemptRecord["status"] = "succeeded",
  ): AttemptRecord {
    return {
      ...start(runId, stepId, 1),
      status,
      output: { v: stepId },
      error: null,
      classification: null,
      finishedAt: T0 + 5,
      durationMs: 5,
      retryAt: null,
      finishSeq: null,
    };
  }

  describe(`RunStore contract: ${name}`, () => {
    it("creates and reads a run; an idempotency key returns the existing run", async () => {
      const f = await make();
      const run = await newRun(f, { idempotencyKey: "k1" });
      expect(run).toMatchObject({
        status: "queued",
        dueAt: T0,
        createdAt: T0,
        inputs: { n: 1, nested: { a: [1, "x"] } },
        irHash: "c0ffee",
      });
      expect((await f.store.getRun(run.id))?.ir).toEqual(IR);
      const again = await f.store.createRun({
        id: f.uuid(),
        workspaceId: f.workspaceId,
        workflowId: null,
        version: null,
        ir: IR,
        inputs: {},
        idempotencyKey: "k1",
        now: T0,
      });
      expect(again).toMatchObject({ created: false, run: { id: run.id } });
      expect(await f.store.getRun(f.uuid())).toBeNull();
    });

    it("keeps a replay run's link and keys; other runs have none", async () => {
      const f = await make();
      const source = await newRun(f);
      expect(source.replay ?? null).toBeNull();
      const replay = { ofRunId: source.id, planHash: "ab12", keys: { a: `${source.id}:a` } };
      const { run } = await f.store.createRun({
        id: f.uuid(),
        workspaceId: f.workspaceId,
        workflowId: null,
        version: "1.0.0",
        ir: IR,
        inputs: {},
        replay,
        now: T0,
      });
      expect(run.replay).toEqual(replay);
      expect((await f.store.getRun(run.id))?.replay).toEqual(replay);
      const claimed = await f.store.claimRuns({ owner: "A", now: T0, leaseMs: 1000, limit: 10 });
      expect(claimed.find((r) => r.id === run.id)?.replay).toEqual(replay);
    });

    it("leases a due run to one owner; another owner gets it after the lease expires", async () => {
      const f = await make();
      const run = await newRun(f);
      const a = await f.store.claimRuns({ owner: "A", now: T0, leaseMs: 1000, limit: 10 });
      expect(a.map((r) => r.id)).toContain(run.id);
      expect(a.find((r) => r.id === run.id)).toMatchObject({
        status: "running",
        leaseOwner: "A",
        dueAt: T0,
      });
      expect(
        (await f.store.claimRuns({ owner: "B", now: T0 + 999, leaseMs: 1000, limit: 10 })).map(
          (r) => r.id,
        ),
      ).not.toContain(run.id);
      expect(await f.store.renewLease(run.id, "B", T0, 1000)).toBe(false);
      expect(await f.store.renewLease(run.id, "A", T0 + 500, 1000)).toBe(true);
      expect(
        (await f.store.claimRuns({ owner: "B", now: T0 + 1400, leaseMs: 1000, limit: 10 })).map(
          (r) => r.id,
        ),
      ).not.toContain(run.id);
      const b = await f.store.claimRuns({ owner: "B", now: T0 + 1500, leaseMs: 1000, limit: 10 });
      expect(b.find((r) => r.id === run.id)?.leaseOwner).toBe("B");
      const res = await f.store.commit(run.id, "A", { run: { status: "succeeded" } });
      expect(res.leaseHeld).toBe(false);
      expect((await f.store.getRun(run.id))?.status).toBe("running");
    });

    it("respects the per-workspace concurrency limit", async () => {
      const f = await make();
      const r1 = await newRun(f);
      const r2 = await newRun(f);
      const r3 = await newRun(f, { workspaceId: f.otherWorkspaceId });
      const got = await f.store.claimRuns({
        owner: "A",
        now: T0,
        leaseMs: 1000,
        limit: 10,
        perWorkspaceLimit: 1,
      });
      const ids = got.map((r) => r.id);
      expect(ids.filter((id) => id === r1.id || id === r2.id)).toHaveLength(1);
      expect(ids).toContain(r3.id);
      const more = await f.store.claimRuns({
        owner: "B",
        now: T0,
        leaseMs: 1000,
        limit: 10,
        perWorkspaceLimit: 1,
      });
      expect(more.map((r) => r.id).filter((id) => [r1.id, r2.id, r3.id].includes(id))).toEqual([]);
    });

    it("records an attempt once: a second start returns the stored row", async () => {
      const f = await make();
      const run = await newRun(f);
      const first = await f.store.commit(run.id, null, { start: start(run.id, "w", 1) });
      expect(first).toMatchObject({
        startedFresh: true,
        started: { status: "running", inputs: { a: 1 }, attempt: 1 },
      });
      const second = await f.store.commit(run.id, null, {
        start: { ...start(run.id, "w", 1), inputs: { a: 99 } },
      });
      expect(second.startedFresh).toBe(false);
      expect(second.started?.inputs).toEqual({ a: 1 });
      expect(await f.store.listAttempts(run.id)).toHaveLength(1);
    });

    it("keeps the first completion of an attempt; a second is a no-op returning the first", async () => {
      const f = await make();
      const run = await newRun(f);
      await f.store.commit(run.id, null, { start: start(run.id, "w", 1) });
      const one = await f.store.commit(run.id, null, {
        finish: {
          runId: run.id,
          stepId: "w",
          attempt: 1,
          status: "succeeded",
          output: { id: "first" },
          finishedAt: T0 + 10,
          durationMs: 10,
        },
      });
      expect(one).toMatchObject({
        finishedFirst: true,
        finished: {
          status: "succeeded",
          output: { id: "first" },
          finishedAt: T0 + 10,
          durationMs: 10,
        },
      });
      const two = await f.store.commit(run.id, null, {
        finish: {
          runId: run.id,
          stepId: "w",
          attempt: 1,
          status: "failed",
          error: {
            name: "E",
            message: "late",
            retryable: true,
            classification: { severity: "low", category: "system" },
          },
          finishedAt: T0 + 20,
        },
      });
      expect(two.finishedFirst).toBe(false);
      expect(two.finished).toMatchObject({ status: "succeeded", output: { id: "first" } });
      const [row] = await f.store.listAttempts(run.id);
      expect(row).toMatchObject({
        status: "succeeded",
        output: { id: "first" },
        idempotencyKey: `${run.id}:w`,
      });
    });

    it("records a start and its finish in one checkpoint, and keeps an earlier result", async () => {
      const f = await make();
      const run = await newRun(f);
      const ok = (stepId: string, output: unknown) => ({
        runId: run.id,
        stepId,
        attempt: 1,
        status: "succeeded" as const,
        output,
        finishedAt: T0 + 7,
        durationMs: 7,
      });
      // Nothing stored yet: the attempt is inserted finished.
      const one = await f.store.commit(run.id, null, {
        start: start(run.id, "a", 1),
        finish: ok("a", { n: 1 }),
      });
      expect(one).toMatchObject({
        startedFresh: true,
        finishedFirst: true,
        finished: { status: "succeeded", output: { n: 1 }, inputs: { a: 1 }, durationMs: 7 },
      });
      expect(one.finished?.finishSeq).not.toBeNull();
      // A crashed worker's running row: finished by this checkpoint.
      await f.store.commit(run.id, null, { start: start(run.id, "b", 1) });
      const two = await f.store.commit(run.id, null, {
        start: { ...start(run.id, "b", 1), inputs: { a: 2 } },
        finish: ok("b", { n: 2 }),
      });
      expect(two).toMatchObject({
        startedFresh: false,
        finishedFirst: true,
        finished: { status: "succeeded", output: { n: 2 }, inputs: { a: 1 } },
      });
      // Another worker's result is kept and returned.
      const three = await f.store.commit(run.id, null, {
        start: start(run.id, "a", 1),
        finish: { ...ok("a", { n: 3 }), status: "failed" as const },
      });
      expect(three).toMatchObject({
        finishedFirst: false,
        finished: { status: "succeeded", output: { n: 1 } },
      });
      const rows = await f.store.listAttempts(run.id);
      expect(rows.map((r) => [r.stepId, r.status]).sort()).toEqual([
        ["a", "succeeded"],
        ["b", "succeeded"],
      ]);
    });

    it("parks an attempt as waiting and finishes it later", async () => {
      const f = await make();
      const run = await newRun(f);
      await f.store.commit(run.id, null, { start: start(run.id, "h", 1) });
      const parked = await f.store.commit(run.id, null, {
        finish: {
          runId: run.id,
          stepId: "h",
          attempt: 1,
          status: "waiting",
          output: { reason: "approval" },
          finishedAt: T0,
        },
      });
      expect(parked.finished).toMatchObject({
        status: "waiting",
        finishedAt: null,
        finishSeq: null,
      });
      const fin = await f.store.commit(run.id, null, {
        finish: {
          runId: run.id,
          stepId: "h",
          attempt: 1,
          status: "succeeded",
          output: { approved: true },
          finishedAt: T0 + 50,
        },
      });
      expect(fin).toMatchObject({
        finishedFirst: true,
        finished: { status: "succeeded", output: { approved: true } },
      });
    });

    it("checkpoints completed attempts in batch, ignoring duplicates, in completion order", async () => {
      const f = await make();
      const run = await newRun(f);
      await f.store.commit(run.id, null, {
        attempts: [done(run.id, "a"), done(run.id, "b"), done(run.id, "s", "skipped")],
      });
      await f.store.commit(run.id, null, {
        attempts: [{ ...done(run.id, "a"), output: { v: "dup" } }, done(run.id, "c")],
      });
      const rows = await f.store.listAttempts(run.id);
      expect(rows.map((r) => r.stepId).sort()).toEqual(["a", "b", "c", "s"]);
      expect(rows.find((r) => r.stepId === "a")?.output).toEqual({ v: "a" });
      const seq = (id: string) => rows.find((r) => r.stepId === id)!.finishSeq!;
      expect(seq("a")).toBeLessThan(seq("b"));
      expect(seq("b")).toBeLessThan(seq("c"));
    });

    it("restores completed attempts and side-effect attempts alike (what a claimer reads)", async () => {
      const f = await make();
      const run = await newRun(f);
      await f.store.commit(run.id, null, {
        attempts: [done(run.id, "a"), done(run.id, "s", "skipped")],
        events: [{ type: "step.succeeded", stepId: "a", at: T0, key: "ok:a:1" }],
      });
      await f.store.commit(run.id, null, { start: start(run.id, "w", 1) });
      const state = await f.store.loadState(run.id);
      const byStep = Object.fromEntries(state.attempts.map((a) => [a.stepId, a]));
      expect(Object.keys(byStep).sort()).toEqual(["a", "s", "w"]);
      expect(byStep.a).toMatchObject({ status: "succeeded", attempt: 1, output: { v: "a" } });
      expect(byStep.s).toMatchObject({ status: "skipped" });
      expect(byStep.w).toMatchObject({ status: "running", finishSeq: null });
      expect(byStep.a!.finishSeq).not.toBeNull();
    });

    it("schedules tasks; release makes the run due at the earliest pending task", async () => {
      const f = await make();
      const run = await newRun(f);
      await f.store.claimRuns({ owner: "A", now: T0, leaseMs: 60_000, limit: 10 });
      const t1 = f.uuid();
      const t2 = f.uuid();
      await f.store.commit(run.id, "A", {
        tasks: [
          {
            id: t1,
            runId: run.id,
            stepId: "w",
            kind: "retry",
            dueAt: T0 + 5_000,
            payload: { attempt: 2 },
            createdAt: T0,
          },
          {
            id: t2,
            runId: run.id,
            stepId: "t",
            kind: "timer",
            dueAt: T0 + 9_000,
            payload: null,
            createdAt: T0,
          },
        ],
      });
      const res = await f.store.commit(run.id, "A", {
        consumeTasks: [t1],
        run: { status: "waiting", release: true },
      });
      expect(res).toMatchObject({ leaseHeld: true, runStatus: "waiting" });
      const after = await f.store.getRun(run.id);
      expect(after).toMatchObject({ status: "waiting", dueAt: T0 + 9_000, leaseOwner: null });
      expect((await f.store.loadState(run.id)).tasks.map((t) => t.id)).toEqual([t2]);
      expect(
        await f.store.claimRuns({ owner: "B", now: T0 + 8_999, leaseMs: 1000, limit: 10 }),
      ).toEqual([]);
      expect(
        (await f.store.claimRuns({ owner: "B", now: T0 + 9_000, leaseMs: 1000, limit: 10 })).map(
          (r) => r.id,
        ),
      ).toEqual([run.id]);
    });

    it("does not lose a signal that arrives while the run is leased", async () => {
      const f = await make();
      const run = await newRun(f);
      await f.store.claimRuns({ owner: "A", now: T0, leaseMs: 60_000, limit: 10 });
      const ok = await f.store.signal(run.id, {
        id: f.uuid(),
        runId: run.id,
        stepId: "h",
        kind: "resume",
        dueAt: T0 + 10,
        payload: { approved: true },
        createdAt: T0 + 10,
      });
      expect(ok).toBe(true);
      await f.store.commit(run.id, "A", { run: { status: "waiting", release: true } });
      expect((await f.store.getRun(run.id))?.dueAt).toBe(T0 + 10);
      const parked = await newRun(f);
      await f.store.claimRuns({ owner: "A", now: T0, leaseMs: 60_000, limit: 10 });
      await f.store.commit(parked.id, "A", { run: { status: "waiting", release: true } });
      expect(await f.store.getRun(parked.id)).toMatchObject({ status: "waiting", dueAt: null });
      await f.store.signal(parked.id, {
        id: f.uuid(),
        runId: parked.id,
        stepId: "h",
        kind: "resume",
        dueAt: T0 + 20,
        payload: {},
        createdAt: T0 + 20,
      });
      expect(await f.store.getRun(parked.id)).toMatchObject({ status: "running", dueAt: T0 + 20 });
    });

    it("appends events with increasing sequence numbers and drops duplicate keys", async () => {
      const f = await make();
      const run = await newRun(f);
      await f.store.commit(run.id, null, {
        events: [
          { type: "a", at: T0, key: "k" },
          { type: "b", stepId: "s", data: { x: 1 }, at: T0 + 1 },
        ],
      });
      await f.store.commit(run.id, null, {
        events: [
          { type: "a", at: T0 + 2, key: "k" },
          { type: "c", at: T0 + 3 },
        ],
      });
      const events = await f.store.listEvents(run.id);
      expect(events.map((e) => e.type)).toEqual(["a", "b", "c"]);
      const seqs = events.map((e) => e.seq);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);
      expect(events[1]).toMatchObject({ stepId: "s", data: { x: 1 }, at: T0 + 1 });
      expect((await f.store.listEvents(run.id, events[0]!.seq)).map((e) => e.type)).toEqual([
        "b",
        "c",
      ]);
    });

    it("reads a run's events in one sequence, whoever wrote them (checkpoints, a cancel)", async () => {
      const f = await make();
      const run = await newRun(f);
      await f.store.commit(run.id, null, {
        events: [
          { type: "run.started", at: T0, key: "run.started" },
          { type: "step.succeeded", stepId: "a", at: T0 + 1, key: "ok:a:1" },
        ],
      });
      await f.store.cancelRun(run.id, T0 + 2, "stop");
      // A late checkpoint of the worker that had the run: its events come after the cancel.
      await f.store.commit(run.id, null, {
        events: [
          { type: "step.succeeded", stepId: "a", at: T0 + 3, key: "ok:a:1" },
          { type: "step.succeeded", stepId: "b", at: T0 + 3, key: "ok:b:1" },
        ],
      });
      const events = await f.store.listEvents(run.id);
      expect(events.map((e) => [e.type, e.stepId])).toEqual([
        ["run.started", null],
        ["step.succeeded", "a"],
        ["run.cancelled", null],
        ["step.succeeded", "b"],
      ]);
      const seqs = events.map((e) => e.seq);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      expect((await f.store.listEvents(run.id, seqs[1])).map((e) => e.type)).toEqual([
        "run.cancelled",
        "step.succeeded",
      ]);
      expect(await f.store.listEvents(run.id, 0, 2)).toEqual(events.slice(0, 2));
    });

    it("writes dead letters once per step and counts them", async () => {
      const f = await make();
      const run = await newRun(f);
      const dl = {
        id: f.uuid(),
        runId: run.id,
        workspaceId: f.workspaceId,
        stepId: "w",
        blockId: "test.write",
        error: {
          name: "E",
          message: "down",
          retryable: true,
          classification: { severity: "high" as const, category: "integration" as const },
        },
        inputs: { a: 1 },
        attempts: 3,
        classification: { severity: "high" as const, category: "integration" as const },
        createdAt: T0,
      };
      const before = await f.store.countDeadLetters(f.workspaceId);
      await f.store.commit(run.id, null, { deadLetters: [dl] });
      await f.store.commit(run.id, null, { deadLetters: [{ ...dl, id: f.uuid() }] });
      expect(await f.store.countDeadLetters(f.workspaceId)).toBe(before + 1);
      expect(await f.store.listDeadLetters({ runId: run.id })).toEqual([dl]);
    });

    it("cancels an unfinished run; the worker's next commit sees it", async () => {
      const f = await make();
      const run = await newRun(f);
      await f.store.claimRuns({ owner: "A", now: T0, leaseMs: 60_000, limit: 10 });
      const c = await f.store.cancelRun(run.id, T0 + 1, "changed my mind");
      expect(c).toMatchObject({
        status: "cancelled",
        finishedAt: T0 + 1,
        error: { message: "changed my mind" },
      });
      const res = await f.store.commit(run.id, "A", {
        run: { status: "succeeded", release: true },
      });
      expect(res.runStatus).toBe("cancelled");
      expect((await f.store.getRun(run.id))?.status).toBe("cancelled");
      expect(
        await f.store.signal(run.id, {
          id: f.uuid(),
          runId: run.id,
          stepId: null,
          kind: "resume",
          dueAt: T0,
          payload: null,
          createdAt: T0,
        }),
      ).toBe(false);
    });

    it("measures a run's nesting depth and counts active runs up to a cap", async () => {
      const f = await make();
      const base = await f.store.countActiveRuns(f.workspaceId, 1_000_000);
      const root = await newRun(f);
      const childOf = async (parentRunId: string) =>
        (
          await f.store.createRun({
            id: f.uuid(),
            workspaceId: f.workspaceId,
            workflowId: null,
            version: "1.0.0",
            ir: IR,
            inputs: {},
            parentRunId,
            parentStepId: "call",
            now: T0,
          })
        ).run;
      const child = await childOf(root.id);
      const grandchild = await childOf(child.id);
      expect(await f.store.runDepth(root.id, 10)).toBe(0);
      expect(await f.store.runDepth(child.id, 10)).toBe(1);
      expect(await f.store.runDepth(grandchild.id, 10)).toBe(2);
      // The walk stops at `max`, and an unknown run is at depth 0.
      expect(await f.store.runDepth(grandchild.id, 1)).toBe(1);
      expect(await f.store.runDepth(f.uuid(), 10)).toBe(0);

      expect(await f.store.countActiveRuns(f.workspaceId, 1_000_000)).toBe(base + 3);
      await f.store.cancelRun(child.id, T0 + 1, "done with it");
      expect(await f.store.countActiveRuns(f.workspaceId, 1_000_000)).toBe(base + 2);
      expect(await f.store.countActiveRuns(f.workspaceId, base + 1)).toBe(base + 1);
      const other = await f.store.countActiveRuns(f.otherWorkspaceId, 1_000_000);
      await newRun(f);
      expect(await f.store.countActiveRuns(f.otherWorkspaceId, 1_000_000)).toBe(other);
    });

    it("lists runs newest first with filters and a cursor", async () => {
      const f = await make();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await newRun(f, { now: T0 + i * 1000 })).id);
      const page1 = await f.store.listRuns({
        workspaceId: f.workspaceId,
        limit: 2,
        from: T0,
        to: T0 + 5000,
      });
      expect(page1.runs.map((r) => r.id)).toEqual([ids[4], ids[3]]);
      const page2 = await f.store.listRuns({
        workspaceId: f.workspaceId,
        limit: 2,
        from: T0,
        to: T0 + 5000,
        cursor: page1.nextCursor!,
      });
      expect(page2.runs.map((r) => r.id)).toEqual([ids[2], ids[1]]);
      const filtered = await f.store.listRuns({
        workspaceId: f.workspaceId,
        limit: 10,
        status: ["cancelled"],
        from: T0,
        to: T0 + 5000,
      });
      expect(filtered.runs).toEqual([]);
      const other = await f.store.listRuns({
        workspaceId: f.otherWorkspaceId,
        limit: 10,
        from: T0,
        to: T0 + 5000,
      });
      expect(other.runs.map((r) => r.id).filter((id) => ids.includes(id))).toEqual([]);
    });
  });
}
