/**
 * Restore: a leased run's node states rebuilt from its stored attempts and pending tasks
 * (succeeded/skipped/failed, `scheduled` for a retry due later, `waiting` when parked, `ready`
 * with `recover` for an attempt a dead worker left running), its readiness counters, and the
 * children of a fan-out caught mid-flight.
 */
import { createChildren } from "../fanout";
import { applyRow, countSettledNeed, isFatal, isSettled, type Node } from "../graph";
import type { AttemptRecord, TaskRecord } from "../types";
import type { AdvanceContext } from "./context";

/** Rebuilds the run's state from the store's rows. */
export function restore(ctx: AdvanceContext, attempts: AttemptRecord[], tasks: TaskRecord[]): void {
  const now = ctx.now;
  for (const a of attempts) {
    const prev = ctx.rows.get(a.stepId);
    if (!prev || a.attempt > prev.attempt) ctx.rows.set(a.stepId, a);
  }
  for (const t of tasks)
    if (t.kind === "retry" && t.stepId) ctx.pendingRetryTasks.set(t.stepId, t.id);
  for (const n of ctx.nodes.values()) {
    const row = ctx.rows.get(n.id);
    if (row) applyRow(n, row, now);
    n.retryTaskId = ctx.pendingRetryTasks.get(n.id);
  }
  // Counters in topological order: a node's needs are settled or not, whatever the order.
  for (const n of ctx.nodes.values()) {
    for (const needId of n.needs) {
      const need = ctx.nodes.get(needId);
      if (!need) continue;
      if (isSettled(need)) countSettledNeed(n, need);
      else n.open++;
    }
  }
  for (const n of ctx.nodes.values()) {
    if (isFatal(n)) ctx.stop("fatal");
    if (n.status === "blocked" && (n.open === 0 || (n.joinAny && n.succeededNeeds > 0)))
      n.status = "ready";
    if (n.status === "ready") ctx.ready.push(n);
    // A fan-out parent caught mid-flight: rebuild its children from its stored inputs.
    if (n.row && (n.row.status === "running" || n.row.status === "waiting") && ctx.fanKind(n)) {
      rebuildFan(ctx, n, n.row, now);
    }
  }
}

function rebuildFan(ctx: AdvanceContext, n: Node, row: AttemptRecord, now: number): void {
  const kind = ctx.fanKind(n)!;
  try {
    n.fan = createChildren(n, kind, (row.inputs ?? {}) as Record<string, unknown>, ctx.deps.blocks);
  } catch {
    return;
  }
  n.status = "running";
  n.recover = false;
  const i = ctx.ready.indexOf(n);
  if (i >= 0) ctx.ready.splice(i, 1);
  for (const c of n.fan.children) {
    ctx.all.set(c.id, c);
    const crow = ctx.rows.get(c.id);
    if (crow) applyRow(c, crow, now);
    c.retryTaskId = ctx.pendingRetryTasks.get(c.id);
    if (c.status === "ready") ctx.ready.push(c);
    if (c.status === "failed" && !n.fan.continueOnError) n.fan.failed = true;
  }
}
