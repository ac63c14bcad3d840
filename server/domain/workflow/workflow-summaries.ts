/**
 * What the workflows list shows of each workflow beyond its name: whether it is published (and
 * whether the draft has changes not yet in a version), what starts it, and how its last run
 * ended. The trigger is the current flow's (the latest version, else the draft: what webhooks
 * and schedules start), compiled through the same cache the triggers use.
 */
import type { TriggerIR } from "@/dsl";
import { runOutcome, type RunOutcome } from "../run/outcome";
import type { Db } from "../types";
import { compileFlowCached } from "./compile-flow";

/** Draft only, published as it is, or published with draft changes not in a version yet. */
export type PublishState = "draft" | "published" | "changed";

/** The trigger of a workflow's current flow; `invalid` when that text does not compile. */
export type TriggerSummary = TriggerIR | { type: "invalid"; problem: string };

/** The last run of a workflow. */
export interface LastRun {
  id: string;
  status: string;
  outcome: RunOutcome;
  version: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface WorkflowSummary {
  state: PublishState;
  /** The latest version, when one is saved. */
  latestVersion: { version: string; createdAt: Date } | null;
  trigger: TriggerSummary;
  lastRun: LastRun | null;
}

/** Publish state, trigger and last run of the given workflows of one workspace. */
export async function summarizeWorkflows(
  db: Db,
  workspaceId: string,
  ids: string[],
): Promise<Map<string, WorkflowSummary>> {
  const out = new Map<string, WorkflowSummary>();
  if (ids.length === 0) return out;
  const [workflows, lastRuns] = await Promise.all([
    db.workflow.findMany({
      where: { workspaceId, id: { in: ids } },
      select: {
        id: true,
        draft: true,
        updatedAt: true,
        versions: {
          orderBy: { createdAt: "desc" },
          take: 1,
          select: { id: true, version: true, dsl: true, createdAt: true },
        },
      },
    }),
    lastRunsOf(db, workspaceId, ids),
  ]);
  for (const wf of workflows) {
    const v = wf.versions[0];
    // The same cache keys as the triggers' `currentFlows`: one compile per text.
    const compiled = v
      ? compileFlowCached(`v:${v.id}`, v.dsl)
      : compileFlowCached(`d:${wf.id}:${wf.updatedAt.getTime()}`, wf.draft);
    out.set(wf.id, {
      state: !v ? "draft" : v.dsl === wf.draft ? "published" : "changed",
      latestVersion: v ? { version: v.version, createdAt: v.createdAt } : null,
      trigger: compiled.ir
        ? compiled.ir.trigger
        : { type: "invalid", problem: compiled.problems[0] ?? "the flow does not compile" },
      lastRun: lastRuns.get(wf.id) ?? null,
    });
  }
  return out;
}

interface LastRunRow {
  workflowId: string;
  id: string;
  status: string;
  version: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  deadLettered: boolean;
}

/**
 * The newest run of each workflow: one index probe per workflow on
 * `Run (workflowId, createdAt DESC)`, whatever the number of runs.
 */
async function lastRunsOf(
  db: Db,
  workspaceId: string,
  ids: string[],
): Promise<Map<string, LastRun>> {
  const rows = await db.$queryRawUnsafe<LastRunRow[]>(
    `SELECT w.id::text AS "workflowId", r.id::text AS id, r.status::text AS status, r.version,
            r."createdAt", r."finishedAt",
            EXISTS (SELECT 1 FROM "DeadLetter" d WHERE d."runId" = r.id) AS "deadLettered"
       FROM unnest($1::text[]) AS w(id)
       CROSS JOIN LATERAL (
         SELECT id, status, version, "createdAt", "finishedAt" FROM "Run"
          WHERE "workflowId" = w.id::uuid AND "workspaceId" = $2::uuid
          ORDER BY "createdAt" DESC LIMIT 1
       ) r`,
    ids,
    workspaceId,
  );
  return new Map(
    rows.map((r) => [
      r.workflowId,
      {
        id: r.id,
        status: r.status,
        outcome: runOutcome(r.status as Parameters<typeof runOutcome>[0], r.deadLettered ? 1 : 0),
        version: r.version,
        createdAt: new Date(r.createdAt),
        finishedAt: r.finishedAt ? new Date(r.finishedAt) : null,
      },
    ]),
  );
}
