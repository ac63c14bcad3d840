/**
 * The flow a trigger starts: the latest saved version of a workflow (the draft when it has no
 * version yet), compiled once per text identity (version id or draft timestamp) with
 * `compileFlowCached`, so a webhook or a schedule tick compiles a flow once, not per delivery.
 */
import type { FlowIR } from "@/dsl";
import { compileFlowCached } from "../workflow/compile-flow";
import type { Db } from "../types";

/** A workflow's current flow. */
export interface CurrentFlow {
  workflowId: string;
  workspaceId: string;
  /** The saved version, or null for the draft. */
  version: string | null;
  ir: FlowIR | null;
  /** First compile errors, when `ir` is null. */
  problems: string[];
}

/** The current flow of each given workflow (latest version, else draft). */
export async function currentFlows(
  db: Db,
  where: { workspaceId?: string; workflowIds?: string[] },
): Promise<CurrentFlow[]> {
  const workflows = await db.workflow.findMany({
    where: {
      deletedAt: null,
      ...(where.workspaceId ? { workspaceId: where.workspaceId } : {}),
      ...(where.workflowIds ? { id: { in: where.workflowIds } } : {}),
    },
    select: {
      id: true,
      workspaceId: true,
      draft: true,
      updatedAt: true,
      versions: {
        orderBy: { createdAt: "desc" },
        take: 1,
        select: { id: true, version: true, dsl: true },
      },
    },
  });
  return workflows.map((wf) => {
    const v = wf.versions[0];
    const c = v
      ? compileFlowCached(`v:${v.id}`, v.dsl)
      : compileFlowCached(`d:${wf.id}:${wf.updatedAt.getTime()}`, wf.draft);
    return {
      workflowId: wf.id,
      workspaceId: wf.workspaceId,
      version: v?.version ?? null,
      ir: c.ir,
      problems: c.problems,
    };
  });
}
