/**
 * Steps that need no checkpoint of their own: pure steps (deterministic runtimes without side
 * effects) run inline and skips (a skipped need, a false `if:`) are decided inline; both are
 * buffered until the next durable write and recomputed after a crash.
 */
import { buildContext, evaluateCondition } from "../context";
import { toErrorInfo } from "../errors";
import { skippedByNeeds, type Node } from "../graph";
import { isPark, type BlockRuntime } from "../ports";
import type { AdvanceContext } from "./context";
import { failFinal, failWithoutRunning, settle } from "./outcomes";
import { evaluateNodeInputs, stepRequest } from "./step-request";

/** Skips a node whose need was skipped or whose `if:` is false. True when handled. */
export function decideSkip(ctx: AdvanceContext, n: Node): boolean {
  let reason: string | undefined;
  if (skippedByNeeds(n)) reason = "a need was skipped";
  else if (n.condition) {
    try {
      if (!evaluateCondition(n.condition, buildContext(ctx.ctxSource, n.refs)))
        reason = "condition is false";
    } catch (e) {
      failWithoutRunning(ctx, n, e, null);
      return true;
    }
  }
  if (!reason) return false;
  const now = ctx.now;
  n.status = "skipped";
  n.attempt = 1;
  ctx.bufferAttempts.push(ctx.completedRow(n, 1, "skipped", null, null, null, now));
  ctx.event({ type: "step.skipped", stepId: n.id, key: `skip:${n.id}`, data: { reason } });
  ctx.deps.metrics.stepFinished(n.block.id, "skipped", 0);
  settle(ctx, n);
  return true;
}

/** Runs a pure step inline: its result is buffered, not written. */
export function runPure(ctx: AdvanceContext, n: Node, rt: BlockRuntime): void {
  const startedAt = ctx.now;
  let inputs: Record<string, unknown> = {};
  try {
    inputs = evaluateNodeInputs(ctx, n);
    const out = rt.execute(stepRequest(ctx, n, inputs, 1, () => ctx.abort.signal, null));
    if (out instanceof Promise || isPark(out))
      throw new Error(`pure runtime ${n.block.id} must return synchronously`);
    n.status = "succeeded";
    n.attempt = 1;
    n.output = out;
    ctx.bufferAttempts.push(ctx.completedRow(n, 1, "succeeded", inputs, out, null, startedAt));
    ctx.event({
      type: "step.succeeded",
      stepId: n.id,
      key: `ok:${n.id}:1`,
      data: { attempt: 1 },
    });
    ctx.deps.metrics.stepFinished(n.block.id, "succeeded", ctx.now - startedAt);
    settle(ctx, n);
  } catch (e) {
    // Deterministic: a retry would fail the same way.
    const info = { ...toErrorInfo(e), retryable: false };
    failFinal(ctx, n, 1, inputs, info, startedAt, true);
  }
}
