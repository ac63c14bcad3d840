/**
 * Outcomes: what an attempt's result does to its node, its dependents and the store. A success
 * or a park is one checkpoint (with a deferred start merged in); a failure schedules a retry
 * (a `retry` task with the backoff's due time) or fails the step for good (dead letter when the
 * profile says so, then `on_error`). Settling a node wakes its dependents (incremental
 * readiness); a stored row found by a commit (another worker's result) is adopted.
 */
import { withStart } from "../deferred-start";
import { BreakerOpenError, toErrorInfo, type ErrorInfo } from "../errors";
import { applyRow, countSettledNeed, type Node } from "../graph";
import { isPark, type Checkpoint, type EngineLogger } from "../ports";
import { retryDelay, shouldRetry } from "../retry";
import type { AttemptRecord, NewTask, RecordedAnswerData } from "../types";
import type { AdvanceContext, DeadLetter } from "./context";

/** Marks a node settled and wakes its dependents. */
export function settle(ctx: AdvanceContext, n: Node): void {
  if (n.kind === "child") {
    ctx.childSettled(n);
    return;
  }
  if (n.kind !== "step") return;
  for (const d of n.dependents) {
    d.open--;
    countSettledNeed(d, n);
    const wake = d.open === 0 || (d.joinAny && n.status === "succeeded");
    if (d.status === "blocked" && wake) {
      d.status = "ready";
      ctx.ready.push(d);
    }
  }
}

/** Brings a node in line with its stored row (this worker's result or an earlier one). */
export function adopt(ctx: AdvanceContext, n: Node, row: AttemptRecord): void {
  const was = n.status;
  n.row = row;
  applyRow(n, row, ctx.now);
  n.recover = false;
  if (n.status === "ready") {
    if (row.status === "running") {
      // Someone else is running it right now; come back after their lease.
      n.status = "waiting";
      return;
    }
    ctx.ready.push(n);
    return;
  }
  if (n.status === "succeeded" || n.status === "skipped") {
    if (was !== n.status) settle(ctx, n);
    return;
  }
  if (n.status === "failed") afterFinalFailure(ctx, n);
}

/** `on_error` of a step that failed for good: continue, fail the run (or compensate). */
export function afterFinalFailure(ctx: AdvanceContext, n: Node): void {
  if (n.kind === "child") {
    ctx.childSettled(n);
    return;
  }
  if (n.kind === "compensation") return;
  if (n.onError === "continue") {
    settle(ctx, n);
    return;
  }
  ctx.stop("fatal");
}

/** A failure before the runtime ran (bad expression, consent, trust): one completed row. */
export function failWithoutRunning(ctx: AdvanceContext, n: Node, err: unknown, inputs: unknown) {
  const info = { ...toErrorInfo(err), retryable: false };
  failFinal(ctx, n, n.recover ? n.attempt : n.attempt + 1, inputs, info, ctx.now, true);
}

/** Records a final failure into the buffer (pure and pre-run failures). */
export function failFinal(
  ctx: AdvanceContext,
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
    ctx.bufferAttempts.push(ctx.completedRow(n, attempt, "failed", inputs, null, info, startedAt));
    ctx.event({
      type: "step.failed",
      stepId: n.id,
      key: `fail:${n.id}:${attempt}`,
      data: { attempt, error: info, final: true },
    });
    ctx.deps.metrics.stepFinished(n.block.id, "failed", ctx.now - startedAt);
    if (n.resilience.deadLetter)
      ctx.pendingDeadLetters.push(deadLetterRecord(ctx, n, attempt, inputs, info));
  }
  afterFinalFailure(ctx, n);
}

/** A dead letter of a step whose retries ran out (and its event, buffered). */
function deadLetterRecord(
  ctx: AdvanceContext,
  n: Node,
  attempts: number,
  inputs: unknown,
  info: ErrorInfo,
): DeadLetter {
  ctx.deps.metrics.deadLettered();
  ctx.event({
    type: "step.dead_lettered",
    stepId: n.id,
    key: `dlq:${n.id}`,
    data: { attempts, classification: info.classification },
  });
  return {
    id: ctx.deps.ids.next(),
    runId: ctx.run.id,
    workspaceId: ctx.run.workspaceId,
    stepId: n.id,
    blockId: n.block.id,
    error: info,
    inputs,
    attempts,
    classification: info.classification,
    createdAt: ctx.now,
  };
}

/** Writes the buffered failure (and its dead letter) at once: no side effect follows it. */
export async function flushFailure(ctx: AdvanceContext): Promise<void> {
  if (ctx.pendingDeadLetters.length || ctx.bufferAttempts.length) {
    const deadLetters = ctx.pendingDeadLetters;
    ctx.pendingDeadLetters = [];
    await ctx.commit({ deadLetters });
  }
}

/** Records an attempt's output, or parks the step (a timer task when it has a wake-up time). */
export async function finishSuccess(
  ctx: AdvanceContext,
  n: Node,
  attempt: number,
  out: unknown,
  startedAt: number,
  consume?: string[],
  start?: Checkpoint,
  answer?: RecordedAnswerData,
): Promise<void> {
  const now = ctx.now;
  if (isPark(out)) {
    const tasks: NewTask[] = [];
    if (out.until !== undefined) {
      tasks.push({
        id: ctx.deps.ids.next(),
        runId: ctx.run.id,
        stepId: n.id,
        kind: "timer",
        dueAt: out.until,
        payload: { attempt },
        createdAt: now,
      });
    }
    const res = await ctx.commit(
      withStart(start, {
        finish: {
          runId: ctx.run.id,
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
    if (res.finished) adopt(ctx, n, res.finished);
    else n.status = "waiting";
    return;
  }
  const res = await ctx.commit(
    withStart(start, {
      finish: {
        runId: ctx.run.id,
        stepId: n.id,
        attempt,
        status: "succeeded",
        output: out ?? null,
        finishedAt: now,
        durationMs: now - startedAt,
        ...(answer ? { answer } : {}),
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
  if (res.finishedFirst) ctx.deps.metrics.stepFinished(n.block.id, "succeeded", now - startedAt);
  if (res.finished) adopt(ctx, n, res.finished);
}

/** Records a failed attempt: a retry scheduled, or the step failed for good. */
export async function finishFailure(
  ctx: AdvanceContext,
  n: Node,
  attempt: number,
  inputs: unknown,
  err: unknown,
  startedAt: number,
  log: EngineLogger,
  consume?: string[],
  start?: Checkpoint,
  answer?: (info: ErrorInfo) => RecordedAnswerData,
): Promise<void> {
  const now = ctx.now;
  const info = toErrorInfo(err);
  const cp: Checkpoint = { consumeTasks: consume, events: [] };
  let retryAt: number | null = null;
  if (shouldRetry(n.resilience, attempt, info)) {
    let delay = retryDelay(n.resilience, attempt, ctx.deps.random.next(), info.retryAfterMs);
    if (err instanceof BreakerOpenError) delay = Math.max(delay, err.retryInMs);
    retryAt = now + delay;
    cp.tasks = [
      {
        id: ctx.deps.ids.next(),
        runId: ctx.run.id,
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
    ctx.deps.metrics.retryScheduled(n.block.id);
    log.warn({ err: info.message, retryAt }, "step attempt failed; retry scheduled");
  } else {
    cp.events!.push({
      type: "step.failed",
      stepId: n.id,
      key: `fail:${n.id}:${attempt}`,
      data: { attempt, error: info, final: true },
      at: now,
    });
    if (n.resilience.deadLetter) cp.deadLetters = [deadLetterRecord(ctx, n, attempt, inputs, info)];
    log.warn({ err: info.message }, "step failed");
  }
  cp.finish = {
    runId: ctx.run.id,
    stepId: n.id,
    attempt,
    status: "failed",
    error: info,
    finishedAt: now,
    durationMs: now - startedAt,
    retryAt,
  };
  if (answer) cp.finish.answer = answer(info);
  const res = await ctx.commit(withStart(start, cp));
  if (res.finishedFirst) ctx.deps.metrics.stepFinished(n.block.id, "failed", now - startedAt);
  if (res.finished) adopt(ctx, n, res.finished);
}
