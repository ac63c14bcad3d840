import { afterEach, describe, expect, it } from "vitest";
import { createRunNotifier } from "@/server/adapters/notify/run-notifier";
import type { RunRecord } from "@/server/engine/types";
import type { FindingStore, RunFinding } from "./ports";
import { RECONCILE_RECORDS, startReconciler, type Reconciler } from "./reconciler";
import type { ReconcileDeps } from "./reconcile-runs";

const IR = {
  steps: [
    {
      id: "only",
      block: { id: "data.transform", version: "1.0.0", major: 1, kind: "data", sideEffect: "none" },
      inputs: { kind: "object", entries: {} },
      onError: "fail",
    },
  ],
};

/** Ended runs in memory: `failed` ones are clean (unreached steps), `succeeded` ones are not. */
function fakes(ended: Array<{ id: string; status: "failed" | "succeeded" }>, eventsPerRun = 0) {
  const pending = new Map(ended.map((r) => [r.id, r.status]));
  const limits: number[] = [];
  const recorded = new Map<string, RunFinding[]>();
  const counted: string[] = [];
  const errors: unknown[] = [];
  let batches = 0;
  const findings: FindingStore = {
    async unreconciled(limit) {
      batches++;
      limits.push(limit);
      return [...pending.keys()].slice(0, limit);
    },
    async record(run, list) {
      if (!pending.delete(run.id)) return false;
      recorded.set(run.id, list);
      return true;
    },
    async load(ids) {
      // Like a database whose batch read fails on one unreadable run.
      const subjects = [];
      for (const id of ids) {
        const run = await deps.runs.getRun(id);
        const events = Array.from({ length: eventsPerRun }, (_, i) => ({
          runId: id,
          seq: i + 1,
          type: "step.log",
          stepId: null,
          data: {},
          at: 0,
        }));
        if (run) subjects.push({ run, attempts: [], events, deadLetters: [] });
      }
      return subjects;
    },
    async recordMany(items, at) {
      const claimed = new Set<string>();
      for (const { run, findings: list } of items)
        if (await findings.record(run, list, at)) claimed.add(run.id);
      return claimed;
    },
  };
  const deps: ReconcileDeps & { logger: { warn(): void; error(o: unknown): void } } = {
    runs: {
      async getRun(id) {
        if (id === "broken") throw new Error("unreadable");
        const status = pending.get(id);
        return status ? ({ id, workspaceId: "ws", status, ir: IR } as unknown as RunRecord) : null;
      },
      listAttempts: async () => [],
      listEvents: async () => [],
      listDeadLetters: async () => [],
    },
    findings,
    metrics: { findingRecorded: (kind) => counted.push(kind) },
    clock: { now: () => 1 },
    logger: { warn() {}, error: (o) => errors.push(o) },
  };
  return {
    deps,
    pending,
    recorded,
    counted,
    errors,
    batches: () => batches,
    limits,
    add: (id: string) => pending.set(id, "failed"),
  };
}

async function until(ok: () => boolean, ms = 2_000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 2));
  }
}

let reconciler: Reconciler | undefined;
afterEach(async () => {
  await reconciler?.stop();
  reconciler = undefined;
});

describe("startReconciler", () => {
  it("catches up at start in bounded batches, one after the other", async () => {
    const f = fakes(
      Array.from({ length: 120 }, (_, i) => ({
        id: `r${i}`,
        status: i === 7 ? ("succeeded" as const) : ("failed" as const),
      })),
    );
    reconciler = startReconciler(f.deps, createRunNotifier(), {
      batch: 50,
      gapMs: 1,
      idleMs: 60_000,
    });
    await until(() => f.pending.size === 0);
    expect(f.recorded.size).toBe(120);
    // 20 (the first batch: how many records its runs have is not known yet) + 50 + 50: the third
    // batch is full, so a fourth finds nothing and the loop goes idle.
    await until(() => f.batches() === 4);
    expect(f.limits).toEqual([20, 50, 50, 50]);
    expect(f.recorded.get("r7")).toEqual([
      {
        kind: "step_unaccounted",
        stepId: "only",
        detail: { status: "missing", onError: "fail", run: "succeeded" },
      },
    ]);
    expect(f.counted).toEqual(["step_unaccounted"]);
  });

  it("reads fewer runs per batch while runs have many records, at least ten", async () => {
    // 500 events a run: 200 runs are 100,000 rows read and checked in one go.
    const f = fakes(
      Array.from({ length: 240 }, (_, i) => ({ id: `r${i}`, status: "failed" as const })),
      500,
    );
    reconciler = startReconciler(f.deps, createRunNotifier(), { gapMs: 1, idleMs: 60_000 });
    await until(() => f.pending.size === 0);
    expect(f.recorded.size).toBe(240);
    // The first batch knows nothing yet (twenty runs); after it, RECONCILE_RECORDS / 500 runs.
    expect(f.limits.slice(0, 3)).toEqual([20, RECONCILE_RECORDS / 500, RECONCILE_RECORDS / 500]);
    // With 5,000 events a run: ten at least.
    const g = fakes(
      Array.from({ length: 230 }, (_, i) => ({ id: `r${i}`, status: "failed" as const })),
      5_000,
    );
    await reconciler.stop();
    reconciler = startReconciler(g.deps, createRunNotifier(), { gapMs: 1, idleMs: 60_000 });
    await until(() => g.pending.size === 0, 10_000);
    expect(g.limits.slice(0, 2)).toEqual([20, 10]);
  });

  it("a run's end wakes it; while idle nothing is read", async () => {
    const f = fakes([]);
    const notifier = createRunNotifier();
    reconciler = startReconciler(f.deps, notifier, { gapMs: 5, idleMs: 60_000 });
    await until(() => f.batches() === 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(f.batches()).toBe(1);
    f.add("late");
    notifier.runFinished({ runId: "late", status: "failed", output: null, error: null });
    await until(() => f.recorded.has("late"));
    expect(f.recorded.get("late")).toEqual([]);
  });

  it("a run that cannot be read is logged and left; the others are recorded", async () => {
    const f = fakes([
      { id: "a", status: "failed" },
      { id: "broken", status: "failed" },
      { id: "b", status: "failed" },
    ]);
    reconciler = startReconciler(f.deps, createRunNotifier(), { gapMs: 1, idleMs: 60_000 });
    await until(() => f.recorded.size === 2);
    expect([...f.recorded.keys()].sort()).toEqual(["a", "b"]);
    expect(f.pending.has("broken")).toBe(true);
    expect(f.errors).toContainEqual(expect.objectContaining({ runId: "broken" }));
  });

  it("stop() ends the loop: later run ends are not read", async () => {
    const f = fakes([]);
    const notifier = createRunNotifier();
    reconciler = startReconciler(f.deps, notifier, { gapMs: 1, idleMs: 60_000 });
    await until(() => f.batches() === 1);
    await reconciler.stop();
    f.add("after");
    notifier.runFinished({ runId: "after", status: "failed", output: null, error: null });
    await new Promise((r) => setTimeout(r, 20));
    expect(f.batches()).toBe(1);
    expect(f.pending.has("after")).toBe(true);
  });
});
