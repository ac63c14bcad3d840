/**
 * Due tasks: timers, people's decisions (`resumeStep`) and sub-flow completions resume parked
 * steps through `BlockRuntime.resume`, in that order of kinds (decisions first). Stale tasks
 * (their step already finished) are consumed; early ones (the step not parked yet) are kept.
 */
import { NonRetryableError } from "../errors";
import { isSettled, type Node } from "../graph";
import { isPark, type ResumeSignal } from "../ports";
import type { TaskRecord } from "../types";
import type { AdvanceContext } from "./context";
import { finishFailure, finishSuccess } from "./outcomes";
import { stepRequest } from "./step-request";

/** Applies the run's due tasks (retries excepted: the loop runs them as attempts). */
export async function applyDueTasks(ctx: AdvanceContext, tasks: TaskRecord[]): Promise<void> {
  const now = ctx.now;
  const rank = { resume: 0, child: 1, timer: 2, retry: 3 } as const;
  const due = tasks
    .filter((t) => t.dueAt <= now && t.kind !== "retry")
    .sort((a, b) => rank[a.kind] - rank[b.kind] || a.dueAt - b.dueAt);
  for (const t of due) {
    if (ctx.halt && ctx.halt !== "fatal") return;
    const n = t.stepId ? ctx.all.get(t.stepId) : undefined;
    if (!n || n.status !== "waiting") {
      // Stale (the step already finished) or early (not parked yet: keep it for later).
      if (!n || isSettled(n) || n.status === "failed") await ctx.commit({ consumeTasks: [t.id] });
      continue;
    }
    const signal: ResumeSignal =
      t.kind === "timer"
        ? { kind: "timer", at: t.dueAt }
        : t.kind === "child"
          ? {
              kind: "child",
              payload: t.payload as Extract<ResumeSignal, { kind: "child" }>["payload"],
            }
          : {
              kind: "decision",
              payload: t.payload as Extract<ResumeSignal, { kind: "decision" }>["payload"],
            };
    await resumeNode(ctx, n, signal, t.id);
  }
}

async function resumeNode(
  ctx: AdvanceContext,
  n: Node,
  signal: ResumeSignal,
  taskId: string,
): Promise<void> {
  const rt = ctx.deps.runtimes.get(n.block.id);
  const row = n.row!;
  const inputs = (row.inputs ?? {}) as Record<string, unknown>;
  const log = ctx.log.child({ stepId: n.id, attempt: row.attempt });
  ctx.event({
    type: "step.resumed",
    stepId: n.id,
    // A person's decision names who decided, when and why (the run view's step drawer).
    data:
      signal.kind === "decision"
        ? {
            attempt: row.attempt,
            by: signal.kind,
            approved: signal.payload.approved,
            decidedBy: signal.payload.by,
            decidedAt: signal.payload.at,
            comment: signal.payload.comment ?? null,
          }
        : { attempt: row.attempt, by: signal.kind },
  });
  let out: unknown;
  try {
    if (!rt?.resume) throw new NonRetryableError(`${n.block.id} cannot be resumed`);
    out = await rt.resume(
      stepRequest(ctx, n, inputs, row.attempt, () => ctx.abort.signal, row.consentId),
      signal,
    );
  } catch (e) {
    n.status = "running";
    await finishFailure(ctx, n, row.attempt, inputs, e, row.startedAt, log, [taskId]);
    return;
  }
  if (isPark(out)) {
    // Parked again (an escalated approval): keep waiting, the task is used up.
    await ctx.commit({
      consumeTasks: [taskId],
      events: [
        {
          type: "step.waiting",
          stepId: n.id,
          data: { attempt: row.attempt, reason: out.reason, ...out.data },
          at: ctx.now,
        },
      ],
    });
    return;
  }
  n.status = "running";
  await finishSuccess(ctx, n, row.attempt, out, row.startedAt, [taskId]);
}
