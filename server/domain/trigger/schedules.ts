/**
 * Cron schedules: flows whose current version declares `trigger: { schedule: { cron } }` fire a
 * run at each matching minute (UTC). Every scheduler process may call {@link fireDueSchedules}:
 * a fire time is claimed by inserting its `ScheduleFire` row (unique per workflow and time) in the
 * run's own transaction, so each fire starts exactly one run however many processes tick.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { parseCron, type Cron } from "@/server/engine/cron";
import { validatorFor } from "@/server/engine/runtimes/support";
import type { RunDeps } from "../run/ports";
import type { Actor, Db } from "../types";
import { currentFlows, type CurrentFlow } from "./current-flow";
import type { ZListSchedulesInput } from "./schemas";
import { startTriggeredRun } from "./start-triggered-run";

const crons = new Map<string, Cron | Error>();
function cronOf(source: string): Cron | Error {
  let c = crons.get(source);
  if (!c) {
    try {
      c = parseCron(source);
    } catch (e) {
      c = e as Error;
    }
    if (crons.size > 1000) crons.clear();
    crons.set(source, c);
  }
  return c;
}

const scheduled = (f: CurrentFlow) =>
  f.ir?.trigger.type === "schedule" ? { flow: f, cron: f.ir.trigger.cron } : null;

/** The workspace's scheduled flows with their next and last fire times. */
export async function listSchedules(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZListSchedulesInput>,
) {
  const flows = await currentFlows(db, {
    workspaceId: actor.workspaceId,
    ...(input.workflowId ? { workflowIds: [input.workflowId] } : {}),
  });
  const now = Date.now();
  const items = flows.map(scheduled).filter((x) => x !== null);
  const last = await db.scheduleFire.groupBy({
    by: ["workflowId"],
    where: {
      workspaceId: actor.workspaceId,
      workflowId: { in: items.map((i) => i.flow.workflowId) },
    },
    _max: { fireAt: true },
  });
  const lastBy = new Map(last.map((l) => [l.workflowId, l._max.fireAt]));
  return items.map(({ flow, cron }) => {
    const c = cronOf(cron);
    return {
      workflowId: flow.workflowId,
      flowName: flow.ir!.name,
      version: flow.version,
      cron,
      valid: !(c instanceof Error),
      error: c instanceof Error ? c.message : null,
      nextFireAt: c instanceof Error ? null : new Date(c.next(now) ?? 0).toISOString(),
      lastFireAt: lastBy.get(flow.workflowId)?.toISOString() ?? null,
    };
  });
}

/** What one scheduler tick did. */
export interface ScheduleTick {
  /** Runs started by this call. */
  started: Array<{ workflowId: string; fireAt: number; runId: string }>;
  /** Fire times another process (or an earlier tick) already claimed. */
  skipped: number;
  /** Fire times whose run could not start (inputs the schedule cannot give). */
  refused: Array<{ workflowId: string; fireAt: number; reason: string }>;
}

/**
 * Starts a run for every fire time in (`now - lookbackMs`, `now`] of every scheduled flow. The
 * lookback (default 2 min) lets a restarted or slow scheduler catch up on recent fires without
 * replaying old ones.
 */
export async function fireDueSchedules(
  deps: RunDeps,
  now: number,
  opts: { lookbackMs?: number; onError?: (err: unknown, workflowId: string) => void } = {},
): Promise<ScheduleTick> {
  const from = now - (opts.lookbackMs ?? 120_000);
  const tick: ScheduleTick = { started: [], skipped: 0, refused: [] };
  const flows = (await currentFlows(deps.db, {})).map(scheduled).filter((x) => x !== null);
  for (const { flow, cron } of flows) {
    const c = cronOf(cron);
    if (c instanceof Error) continue;
    const ir = flow.ir!;
    for (const fireAt of c.between(from, now, 10)) {
      const validate = validatorFor(ir.inputsSchema);
      const inputs = {};
      if (!validate(inputs)) {
        // Record the fire so the refusal is reported once, not at every tick.
        const inserted = await deps.transactor.transaction((tx) =>
          tx.claim({
            kind: "schedule-fire",
            workspaceId: flow.workspaceId,
            workflowId: flow.workflowId,
            fireAt,
            runId: null,
          }),
        );
        if (inserted)
          tick.refused.push({
            workflowId: flow.workflowId,
            fireAt,
            reason: "the flow requires inputs a schedule cannot give",
          });
        continue;
      }
      const runId = randomUUID();
      try {
        const run = await startTriggeredRun(
          deps,
          {
            runId,
            workspaceId: flow.workspaceId,
            workflowId: flow.workflowId,
            version: flow.version,
            ir,
            inputs,
            startedBy: `schedule:${ir.name}`,
            trigger: { type: "schedule", cron, fireAt: new Date(fireAt).toISOString() },
            idempotencyKey: `schedule:${flow.workflowId}:${fireAt}`,
          },
          {
            kind: "schedule-fire",
            workspaceId: flow.workspaceId,
            workflowId: flow.workflowId,
            fireAt,
            runId,
          },
        );
        if (run) tick.started.push({ workflowId: flow.workflowId, fireAt, runId });
        else tick.skipped++;
      } catch (err) {
        opts.onError?.(err, flow.workflowId);
      }
    }
  }
  return tick;
}
