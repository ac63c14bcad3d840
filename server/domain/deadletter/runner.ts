/**
 * The durable reprocess runner: advances approved reprocess jobs from their stored state, so a
 * worker killed at any instant loses nothing and repeats nothing; a new runner (or another
 * process's) continues where the database says the job is.
 *
 * One advance of a job is a few short transactions, each under the job's row lock (taken with
 * `SKIP LOCKED`: two runners never advance one job at once):
 *
 * 1. observe: every running item whose replay run ended becomes `succeeded` (its dead letter
 *    `reprocessed`) or `failed` (its dead letter open again); the first failure stops the job
 *    (`stopOnFailure`), a failed canary always does; a canary that all succeeded lets the rest
 *    start (`canary` → `running`); a job with nothing left is `completed`.
 * 2. start, one item per transaction: claim the next pending item (`FOR UPDATE SKIP LOCKED`),
 *    plan its resume replay again (the approved plan hash must still hold), start the replay
 *    run (idempotency key `reprocess:<item id>`: one run per item, however often this runs) and
 *    mark the item running with the run's id, all in ONE transaction: a crash before the commit
 *    leaves the item pending and no run; after it, both exist. A dead letter already reprocessed
 *    (by another job or by a replay of its run) is skipped, never redone. Starts are at least
 *    `60 000 / ratePerMinute` ms apart (`nextStartAt`, on the injected clock); at most
 *    {@link MAX_IN_FLIGHT} items of a job run at once.
 *
 * Every state change is a ledger entry (actor {@link RUNNER_LABEL}); the replay run's start is
 * the replay's own `run.replay.start`, naming the job, the item and the dead letter.
 */
import { startBackgroundLoop } from "../background-loop";
import type { EngineLogger } from "@/server/engine/ports";
import { isTerminalRun } from "@/server/engine/types";
import { AppError } from "../errors";
import type { RunNotifier, Transactor, TxScope } from "../run/ports";
import { plan, sourceRun, startReplayRun } from "../replay/replays";
import { resumeOn, RUNNER_LABEL } from "./common";
import type { ReprocessItemRecord, ReprocessJobPatch, ReprocessJobRecord } from "./types";

/** Items of one job running at once, at most. */
export const MAX_IN_FLIGHT = 10;
/** Items one advance starts at most (the next advance starts more). */
const MAX_STARTS_PER_ADVANCE = 20;
/** Running items one observation checks at most. */
const OBSERVE_BATCH = 200;

/** What the runner needs. */
export interface ReprocessRunnerDeps {
  transactor: Transactor;
  /** The runner's time (the rate limit): injected, so tests move it. */
  clock: { now(): number };
  /** Wakes a worker for a started replay run (after the commit). */
  notifier?: Pick<RunNotifier, "runDue">;
}

const runnerActor = (job: ReprocessJobRecord) => ({
  workspaceId: job.workspaceId,
  label: RUNNER_LABEL,
  userId: null,
});

/** The job's state change (counters included) and its ledger entry, when the state changes. */
async function setJob(
  tx: TxScope,
  job: ReprocessJobRecord,
  patch: ReprocessJobPatch,
  now: number,
  entry?: { action: string; payload: Record<string, unknown> },
): Promise<ReprocessJobRecord> {
  await tx.reprocess.updateJob(job.id, patch, now);
  if (entry)
    await tx.audit.append(runnerActor(job), {
      action: entry.action,
      subjectType: "reprocess-job",
      subjectId: job.id,
      payload: entry.payload,
    });
  return { ...job, ...patch, updatedAt: now } as ReprocessJobRecord;
}

/**
 * Records a failed item (its dead letter open again) and stops the job when the failure stops
 * it: `stopOnFailure`, or a failure of the canary (the rest never start then).
 */
async function failItem(
  tx: TxScope,
  job: ReprocessJobRecord,
  item: ReprocessItemRecord,
  error: string,
  now: number,
): Promise<ReprocessJobRecord> {
  await tx.reprocess.setItem(item.id, item.state, { state: "failed", error, finishedAt: now });
  await tx.reprocess.setDeadLetter(item.deadLetterId, ["reprocessing"], { status: "open" });
  await tx.audit.append(runnerActor(job), {
    action: "deadletter.reprocess.item.fail",
    subjectType: "dead-letter",
    subjectId: item.deadLetterId,
    payload: { jobId: job.id, itemId: item.id, replayRunId: item.replayRunId, error },
  });
  const inCanary = item.position < job.canary;
  const stops =
    (job.stopOnFailure || inCanary) && ["canary", "running", "paused"].includes(job.state);
  if (!stops) return setJob(tx, job, { failed: job.failed + 1 }, now);
  const stopReason = `${inCanary ? "The canary failed" : "Stopped on the first failure"}: item ${item.position + 1} (dead letter ${item.deadLetterId}): ${error}`;
  return setJob(
    tx,
    job,
    { failed: job.failed + 1, state: "stopped", stopReason, finishedAt: now },
    now,
    { action: "deadletter.reprocess.stop", payload: { reason: stopReason, itemId: item.id } },
  );
}

/** Step 1 (see the module's comment): item outcomes, canary, completion. Null: job locked. */
async function observe(tx: TxScope, jobId: string, now: number) {
  let job = await tx.reprocess.lockJob(jobId, { skipLocked: true });
  if (!job) return null;
  if (job.state === "pending-approval") {
    const status = job.approvalId ? await tx.reprocess.approvalStatus(job.approvalId) : null;
    if (status === "expired" || status === "voided" || status === null)
      job = await setJob(
        tx,
        job,
        {
          state: "rejected",
          stopReason: `The approval was ${status ?? "removed"}.`,
          finishedAt: now,
        },
        now,
        { action: "deadletter.reprocess.reject", payload: { approvalStatus: status } },
      );
    return job;
  }
  for (const item of await tx.reprocess.items(jobId, "running", OBSERVE_BATCH)) {
    const run = item.replayRunId ? await tx.runs.getRun(item.replayRunId) : null;
    if (!run) {
      job = await failItem(tx, job, item, "Its replay run is missing.", now);
      continue;
    }
    if (!isTerminalRun(run.status)) continue;
    if (run.status === "succeeded") {
      await tx.reprocess.setItem(item.id, "running", { state: "succeeded", finishedAt: now });
      await tx.reprocess.setDeadLetter(item.deadLetterId, ["reprocessing", "open"], {
        status: "reprocessed",
        reprocessedRunId: run.id,
      });
      await tx.audit.append(runnerActor(job), {
        action: "deadletter.reprocess.item.succeed",
        subjectType: "dead-letter",
        subjectId: item.deadLetterId,
        payload: { jobId: job.id, itemId: item.id, replayRunId: run.id },
      });
      job = await setJob(tx, job, { succeeded: job.succeeded + 1 }, now);
      continue;
    }
    const why =
      run.error && typeof run.error === "object"
        ? (run.error as { message?: unknown }).message
        : null;
    job = await failItem(
      tx,
      job,
      item,
      `Replay run ${run.id} ended ${run.status}${typeof why === "string" && why ? `: ${why}` : ""}.`,
      now,
    );
  }
  if (job.state === "canary") {
    const canary = await tx.reprocess.itemCounts(jobId, job.canary);
    if (canary.pending === 0 && canary.running === 0 && canary.failed === 0)
      job = await setJob(tx, job, { state: "running" }, now, {
        action: "deadletter.reprocess.canary",
        payload: { passed: canary.succeeded + canary.skipped },
      });
  }
  if (job.state === "running") {
    const all = await tx.reprocess.itemCounts(jobId, null);
    if (all.pending === 0 && all.running === 0)
      job = await setJob(tx, job, { state: "completed", finishedAt: now }, now, {
        action: "deadletter.reprocess.complete",
        payload: { succeeded: job.succeeded, failed: job.failed, skipped: job.skipped },
      });
  }
  return job;
}

type Started =
  | { kind: "none"; why: "locked" | "state" | "rate" | "in-flight" | "empty" }
  | { kind: "skipped" | "failed" }
  | { kind: "started"; runId: string };

/** Step 2 (see the module's comment): starts (or skips) the next item, in one transaction. */
async function startNext(tx: TxScope, jobId: string, now: number): Promise<Started> {
  const job = await tx.reprocess.lockJob(jobId, { skipLocked: true });
  if (!job) return { kind: "none", why: "locked" };
  if (job.state !== "canary" && job.state !== "running") return { kind: "none", why: "state" };
  if (job.nextStartAt !== null && now < job.nextStartAt) return { kind: "none", why: "rate" };
  const counts = await tx.reprocess.itemCounts(jobId, null);
  if (counts.running >= MAX_IN_FLIGHT) return { kind: "none", why: "in-flight" };
  // The canary's items alone until they all succeeded.
  const item = await tx.reprocess.claimNext(jobId, job.state === "canary" ? job.canary : null);
  if (!item) return { kind: "none", why: "empty" };

  const dl = await tx.reprocess.lockDeadLetter(item.deadLetterId);
  const prior =
    dl && dl.status !== "discarded"
      ? (dl.reprocessedRunId ?? (await tx.reprocess.succeededReplayOf(item.runId)))
      : null;
  const skip = !dl
    ? "The dead letter no longer exists."
    : dl.status === "discarded"
      ? "The dead letter was discarded."
      : prior
        ? `Already reprocessed: replay run ${prior} of its run succeeded.`
        : dl.status === "reprocessing"
          ? "Another reprocess job is reprocessing this dead letter."
          : dl.status === "reprocessed"
            ? "The dead letter was already reprocessed."
            : null;
  if (skip) {
    await tx.reprocess.setItem(item.id, "pending", {
      state: "skipped",
      error: skip,
      finishedAt: now,
    });
    if (prior && dl?.status === "open")
      await tx.reprocess.setDeadLetter(item.deadLetterId, ["open"], {
        status: "reprocessed",
        reprocessedRunId: prior,
      });
    await tx.audit.append(runnerActor(job), {
      action: "deadletter.reprocess.item.skip",
      subjectType: "dead-letter",
      subjectId: item.deadLetterId,
      payload: { jobId: job.id, itemId: item.id, reason: skip },
    });
    await setJob(tx, job, { skipped: job.skipped + 1 }, now);
    return { kind: "skipped" };
  }

  // The approved plan must still hold: planned again, the same hash.
  let planned: Awaited<ReturnType<typeof plan>>;
  let workflowId: string | null;
  try {
    const run = await sourceRun(tx.runs, job.workspaceId, item.runId);
    workflowId = run.workflowId;
    planned = await plan(tx.versions, tx.runs, run, resumeOn(job.selection.version));
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    await failItem(tx, job, item, `Its replay cannot be planned: ${e.message}`, now);
    return { kind: "failed" };
  }
  if (planned.plan.hash !== item.planHash) {
    await failItem(tx, job, item, "Its replay plan changed since the job was approved.", now);
    return { kind: "failed" };
  }
  const { runId } = await startReplayRun(tx, {
    workspaceId: job.workspaceId,
    workflowId,
    sourceRunId: item.runId,
    planned,
    // One run per item, even when a runner died after starting it.
    idempotencyKey: `reprocess:${item.id}`,
    requester: { workspaceId: job.workspaceId, label: job.requesterLabel, userId: job.requesterId },
    ledger: { reprocessJobId: job.id, reprocessItemId: item.id, deadLetterId: item.deadLetterId },
    now,
  });
  await tx.reprocess.setDeadLetter(item.deadLetterId, ["open"], { status: "reprocessing" });
  await tx.reprocess.setItem(item.id, "pending", {
    state: "running",
    replayRunId: runId,
    startedAt: now,
  });
  await setJob(tx, job, { nextStartAt: now + Math.ceil(60_000 / job.ratePerMinute) }, now);
  return { kind: "started", runId };
}

/**
 * Advances one job: observes its items, then starts what its canary, rate limit and in-flight
 * bound allow. Returns the job's state after it (null: another runner holds it, or no job).
 */
export async function advanceReprocessJob(
  deps: ReprocessRunnerDeps,
  jobId: string,
): Promise<{ state: ReprocessJobRecord["state"] | null; started: string[] }> {
  const job = await deps.transactor.transaction((tx) => observe(tx, jobId, deps.clock.now()));
  const started: string[] = [];
  if (!job || (job.state !== "canary" && job.state !== "running"))
    return { state: job?.state ?? null, started };
  for (let i = 0; i < MAX_STARTS_PER_ADVANCE; i++) {
    const r = await deps.transactor.transaction((tx) => startNext(tx, jobId, deps.clock.now()));
    if (r.kind === "none") break;
    if (r.kind === "started") {
      started.push(r.runId);
      deps.notifier?.runDue(r.runId);
    }
  }
  return { state: job.state, started };
}

/**
 * Advances every job with work (approved and not ended, or with running items, or awaiting an
 * approval that expired): what the background loop calls. `active`: some job still has work.
 */
export async function advanceReprocessJobs(
  deps: ReprocessRunnerDeps,
  opts: { limit?: number } = {},
): Promise<{ jobs: number; active: boolean; started: number }> {
  const ids = await deps.transactor.transaction((tx) =>
    tx.reprocess.activeJobIds(opts.limit ?? 20),
  );
  let started = 0;
  for (const id of ids) started += (await advanceReprocessJob(deps, id)).started.length;
  return { jobs: ids.length, active: ids.length > 0, started };
}

/** A running reprocess loop. */
export interface Reprocessor {
  /** Stops the loop; waits for an advance in progress. */
  stop(): Promise<void>;
}

/**
 * Starts the background loop of a process (the embedded worker's, `npm run worker`'s): every
 * `busyMs` while a job has work, every `idleMs` otherwise, and soon after a run ends (a replay
 * run's end is an item's outcome). Several processes may run it: a job is advanced by one at
 * a time.
 */
export function startReprocessor(
  deps: ReprocessRunnerDeps & { logger: Pick<EngineLogger, "error"> },
  notifier: Pick<RunNotifier, "onRunFinished">,
  opts: { busyMs?: number; idleMs?: number } = {},
): Reprocessor {
  const busyMs = opts.busyMs ?? 1_000;
  const idleMs = opts.idleMs ?? 5_000;
  const loop = startBackgroundLoop(() =>
    advanceReprocessJobs(deps).then(
      (r) => (r.active ? busyMs : idleMs),
      (err: unknown) => {
        deps.logger.error({ err: String(err) }, "reprocess jobs could not advance");
        return idleMs;
      },
    ),
  );
  const unsubscribe = notifier.onRunFinished(() => loop.wake(busyMs));
  return {
    async stop() {
      unsubscribe();
      await loop.stop();
    },
  };
}
