/**
 * Fan-out during an advance: a `control.foreach` / `control.parallel` parent, once its start is
 * recorded, becomes children (`../fanout.ts`) that the loop runs like steps, up to the parent's
 * concurrency; when they have all settled (or one failed for good and errors do not continue)
 * the parent finishes with their outputs, or fails naming the child.
 */
import { NonRetryableError, toErrorInfo } from "../errors";
import { createChildren, fanoutOutput } from "../fanout";
import { isSettled, type Node } from "../graph";
import type { AttemptRecord } from "../types";
import type { AdvanceContext } from "./context";
import { adopt, finishFailure, finishSuccess } from "./outcomes";

/** Creates the parent's children from its evaluated inputs and queues them. */
export async function startFan(
  ctx: AdvanceContext,
  n: Node,
  kind: "foreach" | "parallel",
  inputs: Record<string, unknown>,
  row: AttemptRecord,
): Promise<void> {
  try {
    n.fan = createChildren(n, kind, inputs, ctx.deps.blocks);
  } catch (e) {
    await finishFailure(ctx, n, row.attempt, inputs, e, row.startedAt, ctx.log);
    return;
  }
  n.row = row;
  for (const c of n.fan.children) {
    ctx.all.set(c.id, c);
    ctx.ready.push(c);
  }
  if (n.fan.children.length === 0) await finishFan(ctx, n);
}

/** A child settled (or failed for good): finishes the parent when nothing more will run. */
export function childSettled(ctx: AdvanceContext, c: Node): void {
  const p = c.parent;
  if (!p?.fan) return;
  if (c.status === "failed" && !p.fan.continueOnError) p.fan.failed = true;
  const done = p.fan.children.every((x) => isSettled(x) || x.status === "failed");
  const stopped = p.fan.failed && p.fan.children.every((x) => !ctx.inFlight.has(x) || x === c);
  if (done || stopped) {
    const promise = finishFan(ctx, p);
    ctx.inFlight.set(
      p,
      promise.finally(() => ctx.inFlight.delete(p)),
    );
  }
}

/**
 * Finishes the fan-outs that have failed and have no child in flight any more. `childSettled`
 * catches most of them, but not a fan whose last running child ended in a scheduled retry (a
 * retry that will never start: a failed fan launches nothing) nor one restored in that state;
 * the loop asks here before it lets the run wait. Returns whether it started any.
 */
export function finishStoppedFans(ctx: AdvanceContext): boolean {
  let started = false;
  for (const p of ctx.all.values()) {
    if (!p.fan?.failed || p.status !== "running" || ctx.inFlight.has(p)) continue;
    if (p.fan.children.some((x) => ctx.inFlight.has(x))) continue;
    const promise = finishFan(ctx, p);
    ctx.inFlight.set(
      p,
      promise.finally(() => ctx.inFlight.delete(p)),
    );
    started = true;
  }
  return started;
}

/** Finishes a fan-out parent: its children's outputs, or the failure of the first failed one. */
export async function finishFan(ctx: AdvanceContext, p: Node): Promise<void> {
  if (!p.fan || p.status !== "running") return;
  const attempt = p.attempt;
  const startedAt = p.row?.startedAt ?? ctx.now;
  p.status = "waiting"; // finishing; guards against a second finish
  if (p.fan.failed) {
    const child = p.fan.children.find((x) => x.status === "failed");
    const err = new NonRetryableError(
      `${child?.id ?? p.id} failed: ${child?.error?.message ?? "unknown error"}`,
      {
        classification: child?.error?.classification,
      },
    );
    const info = toErrorInfo(err);
    const now = ctx.now;
    const res = await ctx.commit({
      finish: {
        runId: ctx.run.id,
        stepId: p.id,
        attempt,
        status: "failed",
        error: info,
        finishedAt: now,
        durationMs: now - startedAt,
        retryAt: null,
      },
      events: [
        {
          type: "step.failed",
          stepId: p.id,
          key: `fail:${p.id}:${attempt}`,
          data: { attempt, error: info, final: true },
          at: now,
        },
      ],
    });
    p.status = "running";
    if (res.finished) adopt(ctx, p, res.finished);
    return;
  }
  p.status = "running";
  await finishSuccess(ctx, p, attempt, fanoutOutput(p.fan), startedAt);
}
