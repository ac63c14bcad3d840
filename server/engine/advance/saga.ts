/**
 * Compensation during an advance (saga): when a step with `on_error: compensate` fails for good,
 * the completed write steps with a `compensate:` block are undone one by one in reverse
 * completion order (`../compensation.ts`), each as durable attempts `<step>~compensate` under
 * the step's retry policy.
 */
import { compensationNode, compensationOrder } from "../compensation";
import { toErrorInfo, type ErrorInfo } from "../errors";
import type { Node } from "../graph";
import { runAttempt } from "./attempts";
import type { AdvanceContext } from "./context";

/** Runs the compensations; "parked" when one waits (a retry, a person), "halted" on a halt. */
export async function compensate(
  ctx: AdvanceContext,
  fatal: Node,
): Promise<"done" | "parked" | "halted" | { error: ErrorInfo }> {
  ctx.event({
    type: "run.compensating",
    key: "run.compensating",
    data: { failedStep: fatal.id },
  });
  for (const target of compensationOrder([...ctx.all.values()])) {
    const c = compensationNode(target, ctx.rows.get(`${target.id}~compensate`), ctx.now);
    ctx.all.set(c.id, c);
    for (;;) {
      if (c.status === "succeeded") break;
      if (c.status === "failed") {
        return {
          error: {
            ...(c.error ?? toErrorInfo(new Error("compensation failed"))),
            message: `compensation of ${target.id} failed: ${c.error?.message ?? ""}`,
          },
        };
      }
      if (c.status === "scheduled" || c.status === "waiting") return "parked";
      c.retryTaskId = ctx.pendingRetryTasks.get(c.id);
      await runAttempt(ctx, c, ctx.deps.runtimes.get(c.block.id));
      if (ctx.halted() && ctx.halted() !== "fatal") return "halted";
    }
  }
  return "done";
}
