/**
 * The run engine as server tests drive it: on a test database, ticked by hand until a run ends
 * (`runToEnd`), or served by a worker with the ends of runs collected (`watchRunEnds`).
 */
import type { Database } from "@/server/adapters/prisma";
import type { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine, RunEnd } from "@/server/engine/engine";
import { isTerminalRun } from "@/server/engine/types";
import type { EngineOverrides } from "@/server/wiring/services";
import { servicesFor, testNotifier } from "./services";

/** A compiled flow's IR, as `engine.createRun` takes it. */
export type FlowIr = NonNullable<ReturnType<typeof compileFlow>["ir"]>;

/**
 * The server's run engine on `db`'s services (its SQL run store, the ledger on the raw driver),
 * with the given options (egress guard, logger, runtimes, limits).
 */
export function engineFor(db: Database, opts: EngineOverrides = {}): Engine {
  return servicesFor(db).newEngine(opts);
}

/**
 * Creates a run of `ir` in `workspaceId` (no workflow) and ticks `engine` (10 tasks a tick, at
 * most `ticks` ticks) until the run ends; returns the ended run. Throws if it does not end.
 */
export async function runToEnd(
  engine: Engine,
  run: {
    workspaceId: string;
    ir: FlowIr;
    inputs?: Record<string, unknown>;
    startedBy?: string;
    ticks?: number;
  },
) {
  const created = await engine.createRun({
    workspaceId: run.workspaceId,
    workflowId: null,
    version: null,
    ir: run.ir,
    inputs: run.inputs ?? {},
    startedBy: run.startedBy ?? "tester@example.com",
  });
  return tickToEnd(engine, created.id, run.ticks ?? 20);
}

/**
 * Ticks `engine` (10 tasks a tick, at most `ticks` ticks) until the run `runId` (already created,
 * e.g. by `run.start`) ends; returns the ended run. Throws if it does not end.
 */
export async function tickToEnd(engine: Engine, runId: string, ticks = 60) {
  for (let i = 0; i < ticks; i++) {
    await engine.tick({ limit: 10 });
    const now = await engine.deps.store.getRun(runId);
    if (now && isTerminalRun(now.status)) return now;
  }
  throw new Error(`run ${runId} did not finish`);
}

/**
 * Creates `count` runs of `ir` (version `version` of `workflowId` in `workspaceId`, no inputs,
 * started by tester@example.com) and ticks `engine` (50 tasks a tick, at most 200 ticks) until
 * all have ended; returns the ended runs in order. Throws if they do not end.
 */
export async function runManyToEnd(
  engine: Engine,
  run: { workspaceId: string; workflowId: string; version: string; ir: FlowIr },
  count: number,
) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await engine.createRun({ ...run, inputs: {}, startedBy: "tester@example.com" });
    ids.push(created.id);
  }
  for (let i = 0; i < 200; i++) {
    await engine.tick({ limit: 50 });
    const runs = await Promise.all(ids.map((id) => engine.deps.store.getRun(id)));
    if (runs.every((x) => x && isTerminalRun(x.status))) return runs.map((x) => x!);
  }
  throw new Error("runs did not finish");
}

/**
 * Collects the ends of runs (of any engine of this process) from now on: `ended(runId)` resolves
 * when that run ends, even if it ended before the call. `stop()` in `afterAll`.
 */
export function watchRunEnds() {
  const ends = new Map<string, RunEnd>();
  const waiters = new Map<string, (end: RunEnd) => void>();
  const stop = testNotifier.onRunFinished((end) => {
    ends.set(end.runId, end);
    waiters.get(end.runId)?.(end);
  });
  return {
    ended(runId: string): Promise<RunEnd> {
      const known = ends.get(runId);
      if (known) return Promise.resolve(known);
      return new Promise((resolve) => waiters.set(runId, resolve));
    },
    stop,
  };
}

/**
 * Ticks `engine` while `work` runs (a guardian proof's runs, replays, anything that waits for
 * runs started on it), then returns `work`'s result.
 */
export async function whileTicking<T>(engine: Engine, work: Promise<T>): Promise<T> {
  let done = false;
  const settled = work.finally(() => (done = true));
  while (!done) {
    await engine.tick({ limit: 20 });
    await new Promise((r) => setTimeout(r, 25));
  }
  return settled;
}
