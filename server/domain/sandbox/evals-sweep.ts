/**
 * Interrupted eval runs resume. A runner lives in the process that started it and moves its eval
 * run's heartbeat while it works (`evals-runner.ts`); an eval run still `running` whose heartbeat
 * is older than {@link STALE_MS} belonged to a process that stopped (a restart, a crash).
 * {@link resumeInterruptedEvalRuns} — run by the server's background loop
 * ({@link startEvalResumeLoop}, every minute from the start) and before each new eval run —
 * claims such a run (moving its heartbeat, so two processes never both take it), rebuilds its
 * plan from the suite, the dataset version and the session, and continues it in this process
 * from the samples not yet recorded (the runner skips recorded ones). When it cannot continue —
 * the suite is archived or gone, the dataset version changed, the session is closed or expired,
 * or the member who started it may no longer run suites — it is marked `failed` with the reason
 * and the metrics of the samples it recorded (they are kept).
 *
 * A sample whose run was in flight when the process stopped is run again (its first run's end
 * was never recorded); the engine still finishes that first run in the session.
 */
import { startBackgroundLoop, type BackgroundLoop } from "../background-loop";
import { AppError } from "../errors";
import { hasRole, type Actor, type Role } from "../types";
import { summarize } from "./evals-metrics";
import type { EvalPlan } from "./evals-plan";
import type { EvalDeps } from "./evals-ports";
import { samplesOf, suiteView } from "./evals-records";
import { executeEvalRun, isRunningHere } from "./evals-runner";
import { ZEvalVariant } from "./evals-schemas";
import { rowsOf } from "./evals-suites";
import { sessionForRun } from "./sessions";

/** A running eval run whose heartbeat is older than this has lost its runner. */
export const STALE_MS = 60_000;
/** Interrupted eval runs one sweep handles at most. */
const SWEEP_BATCH = 20;
/** How often the server looks for interrupted eval runs. */
const LOOP_MS = 60_000;

/** What became of an interrupted eval run. */
export interface ResumeOutcome {
  id: string;
  outcome: "resumed" | "failed";
  reason?: string;
}

interface StaleRun {
  id: string;
  suiteId: string;
  workspaceId: string;
  sessionId: string;
  variant: unknown;
  datasetHash: string;
  total: number;
  done: number;
  startedBy: string;
  heartbeatAt: Date;
}

/** Why an interrupted eval run cannot continue. */
class CannotResume extends Error {}

/** The member who started the eval run, as an actor, if they may still run suites. */
async function starterOf(deps: EvalDeps, r: StaleRun): Promise<Actor> {
  const m = await deps.db.membership.findFirst({
    where: { workspaceId: r.workspaceId, userId: r.startedBy },
    select: { role: true, user: { select: { email: true } } },
  });
  if (!m || !hasRole(m.role as Role, "editor")) {
    throw new CannotResume("the member who started it is no longer an editor of this workspace");
  }
  return {
    userId: r.startedBy,
    label: m.user.email,
    workspaceId: r.workspaceId,
    role: m.role as Role,
    via: "session",
  };
}

/** The runner's plan of an interrupted eval run, rebuilt from what is stored. */
async function planOf(deps: EvalDeps, actor: Actor, r: StaleRun): Promise<EvalPlan> {
  const row = await deps.db.evalSuite.findFirst({
    where: { id: r.suiteId, workspaceId: r.workspaceId },
  });
  if (!row) throw new CannotResume("its suite was deleted");
  const suite = suiteView(row);
  if (suite.archivedAt) throw new CannotResume("its suite was archived");
  const variant = ZEvalVariant.safeParse(r.variant);
  if (!variant.success) throw new CannotResume("its stored variant is unreadable");
  const dataset = await deps.datasets(deps.db, r.workspaceId, suite.datasetVersionId);
  if (!dataset || dataset.hash !== r.datasetHash) {
    throw new CannotResume("its dataset version is gone or changed");
  }
  try {
    await sessionForRun(deps.db, actor, r.sessionId, deps.now?.() ?? Date.now());
  } catch (e) {
    if (e instanceof AppError) throw new CannotResume(`its sandbox session: ${e.message}`);
    throw e;
  }
  return {
    evalRunId: r.id,
    workspaceId: r.workspaceId,
    sessionId: r.sessionId,
    target: suite.target,
    inputMap: suite.inputMap,
    assertions: suite.assertions,
    repetitions: suite.repetitions,
    variant: variant.data,
    rows: rowsOf(dataset.rows),
  };
}

/**
 * Continues (or, when it cannot, fails with the reason) every eval run whose runner stopped:
 * still `running`, heartbeat older than {@link STALE_MS}, not run by this process. Returns
 * what became of each one it claimed. Never rejects for one run's trouble.
 */
export async function resumeInterruptedEvalRuns(
  deps: EvalDeps,
  now = deps.now?.() ?? Date.now(),
): Promise<ResumeOutcome[]> {
  const { db } = deps;
  const staleBefore = new Date(now - STALE_MS);
  const stale: StaleRun[] = await db.evalRun.findMany({
    where: { status: "running", heartbeatAt: { lt: staleBefore } },
    select: {
      id: true,
      suiteId: true,
      workspaceId: true,
      sessionId: true,
      variant: true,
      datasetHash: true,
      total: true,
      done: true,
      startedBy: true,
      heartbeatAt: true,
    },
    orderBy: { heartbeatAt: "asc" },
    take: SWEEP_BATCH,
  });
  const out: ResumeOutcome[] = [];
  for (const r of stale) {
    if (isRunningHere(r.id)) continue;
    // Claimed by moving its heartbeat: another process's sweep now sees it fresh.
    const { count } = await db.evalRun.updateMany({
      where: { id: r.id, status: "running", heartbeatAt: r.heartbeatAt },
      data: { heartbeatAt: new Date(now) },
    });
    if (!count) continue;
    try {
      const actor = await starterOf(deps, r);
      const plan = await planOf(deps, actor, r);
      void executeEvalRun(deps, actor, plan);
      out.push({ id: r.id, outcome: "resumed" });
    } catch (e) {
      const reason =
        e instanceof CannotResume || e instanceof AppError
          ? e.message
          : `an internal error (${(e as Error).message})`;
      const recorded = await samplesOf(db, r.id);
      await db.evalRun.updateMany({
        where: { id: r.id, status: "running" },
        data: {
          status: "failed",
          error: `Could not continue after the server running this suite stopped (no progress since ${r.heartbeatAt.toISOString()}): ${reason}. ${recorded.length} of ${r.total} samples were recorded and are kept; start the suite again for a complete result.`,
          summary: summarize(recorded) as unknown as object,
          finishedAt: new Date(now),
        },
      });
      out.push({ id: r.id, outcome: "failed", reason });
    }
  }
  return out;
}

/**
 * The server's loop resuming interrupted eval runs: at once (after a restart), then every
 * minute (at once again while a full batch was handled).
 */
export function startEvalResumeLoop(
  deps: EvalDeps,
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
): BackgroundLoop {
  return startBackgroundLoop(() =>
    resumeInterruptedEvalRuns(deps).then(
      (handled) => {
        if (handled.length) log.info({ evalRuns: handled }, "interrupted eval runs handled");
        return handled.length >= SWEEP_BATCH ? 1_000 : LOOP_MS;
      },
      (err: unknown) => {
        log.warn({ err: String(err) }, "eval resume sweep failed");
        return LOOP_MS;
      },
    ),
  );
}
