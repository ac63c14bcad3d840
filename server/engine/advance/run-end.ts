/**
 * The conclusion of an advance: every step settled (the flow's outputs evaluated, `succeeded`),
 * a fatal failure (`failed`, or compensated first), a halt (lease lost, cancelled, shutdown), or
 * a park (`waiting` for a person, a timer or a sub-flow; `running` for a retry) that releases the
 * lease until the earliest pending task. A run's end is one checkpoint with its ledger entry,
 * then the run-end hook and the parent run's signal.
 */
import { evaluate } from "@/dsl";
import { buildContext, referencedSteps } from "../context";
import { toErrorInfo, type ErrorInfo } from "../errors";
import { isFatal, isSettled } from "../graph";
import type { RunStatus } from "../types";
import type { AdvanceContext } from "./context";
import { compensate } from "./saga";

/** Ends or parks the run after the loop; returns its status. */
export async function conclude(ctx: AdvanceContext): Promise<RunStatus> {
  const now = ctx.now;
  if (ctx.halt === "lease-lost") {
    await ctx.flushOwnerless();
    return ctx.run.status;
  }
  if (ctx.halt === "cancelled") {
    await ctx.flushOwnerless();
    await notifyParent(ctx, "cancelled", null, null);
    ctx.deps.metrics.runStatus("cancelled");
    return "cancelled";
  }
  if (ctx.halt === "shutdown") {
    await ctx.commit({
      deadLetters: ctx.takeDeadLetters(),
      run: { release: true, startedAt: ctx.run.startedAt ?? now },
    });
    return "running";
  }
  const fatal = [...ctx.nodes.values()].find(isFatal);
  if (fatal) {
    if (fatal.onError === "compensate") {
      const outcome = await compensate(ctx, fatal);
      if (outcome === "parked") return park(ctx);
      if (outcome === "halted") return conclude(ctx);
      if (outcome === "done") return finishRun(ctx, "compensated", null, fatal.error ?? null);
      return finishRun(ctx, "failed", null, outcome.error);
    }
    return finishRun(ctx, "failed", null, fatal.error ?? null);
  }
  const steps = [...ctx.nodes.values()];
  if (steps.every(isSettled)) {
    let output: Record<string, unknown> = {};
    try {
      // Only the steps the outputs read (a 100-step flow's output reads one or two of them).
      const outputs = Object.entries(ctx.ir.outputs);
      const context = buildContext(ctx.ctxSource, referencedSteps(outputs.map(([, v]) => v)));
      for (const [k, v] of outputs) output[k] = evaluate(v, context);
    } catch (e) {
      output = {};
      return finishRun(ctx, "failed", null, {
        ...toErrorInfo(e),
        retryable: false,
        message: `flow outputs: ${(e as Error).message}`,
      });
    }
    return finishRun(ctx, "succeeded", output, null);
  }
  if (
    steps.some(
      (n) =>
        n.status === "waiting" ||
        n.status === "scheduled" ||
        n.status === "running" ||
        n.status === "ready",
    )
  ) {
    return park(ctx);
  }
  const stuck = steps.filter((n) => !isSettled(n)).map((n) => n.id);
  return finishRun(ctx, "failed", null, {
    name: "EngineError",
    message: `no step can run: ${stuck.join(", ")}`,
    retryable: false,
    classification: { severity: "critical", category: "system" },
  });
}

/** Releases the lease; the run is due again at its earliest task (the store computes it). */
async function park(ctx: AdvanceContext): Promise<RunStatus> {
  const waiting = [...ctx.all.values()].some((n) => n.status === "waiting");
  const status: RunStatus = waiting ? "waiting" : "running";
  if (status === "waiting") ctx.event({ type: "run.waiting", data: {} });
  const res = await ctx.commit({
    deadLetters: ctx.takeDeadLetters(),
    run: { status, release: true, startedAt: ctx.run.startedAt ?? ctx.now },
  });
  if (res.leaseHeld) ctx.deps.metrics.runStatus(status);
  return res.runStatus;
}

/** Ends the run: one checkpoint with its ledger entry, then the run-end hook and the parent. */
export async function finishRun(
  ctx: AdvanceContext,
  status: RunStatus,
  output: unknown,
  error: ErrorInfo | null,
): Promise<RunStatus> {
  const now = ctx.now;
  ctx.event({ type: `run.${status}`, key: `run.${status}`, data: error ? { error } : {} });
  const ledger = {
    action: `run.${status}`,
    payload: { runId: ctx.run.id, flow: ctx.ir.name, error: error?.message ?? null },
  };
  const res = await ctx.commit({
    audit: [ledger],
    deadLetters: ctx.takeDeadLetters(),
    run: {
      status,
      output,
      error,
      finishedAt: now,
      release: true,
      startedAt: ctx.run.startedAt ?? now,
    },
  });
  if (!res.leaseHeld) return res.runStatus;
  const startedAt = ctx.run.startedAt ?? ctx.run.createdAt;
  ctx.deps.metrics.runStatus(status);
  ctx.deps.metrics.runFinished(status, now - startedAt);
  ctx.log.info({ status }, "run finished");
  // The ledger entry first, then the waiters (a webhook's `?wait=1`, the run view): whoever
  // is told that the run ended finds its end in the ledger.
  if (!res.audited)
    await ctx.deps.audit
      .record(ctx.run, ctx.redacted(ledger))
      .catch((e: unknown) => ctx.log.error({ err: String(e) }, "audit of run end failed"));
  ctx.deps.onRunFinished?.({
    runId: ctx.run.id,
    status,
    output: ctx.redacted(output),
    error: ctx.redacted(error),
  });
  await notifyParent(ctx, status, output, error);
  return status;
}

/** Tells the parent run (a sub-flow's caller) how this run ended. */
async function notifyParent(
  ctx: AdvanceContext,
  status: RunStatus,
  output: unknown,
  error: ErrorInfo | null,
): Promise<void> {
  if (!ctx.run.parentRunId || !ctx.run.parentStepId) return;
  const ok = await ctx.store.signal(ctx.run.parentRunId, {
    id: ctx.deps.ids.next(),
    runId: ctx.run.parentRunId,
    stepId: ctx.run.parentStepId,
    kind: "child",
    dueAt: ctx.now,
    payload: { runId: ctx.run.id, status, output, error },
    createdAt: ctx.now,
  });
  if (ok) ctx.deps.onRunQueued?.(ctx.run.parentRunId);
}
