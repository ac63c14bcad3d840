/**
 * The flow a trigger starts: the latest saved version of a workflow (the draft when it has no
 * version yet), compiled. Compilation results are cached by the text's identity (version id or
 * draft timestamp), so a webhook or a schedule tick compiles a flow once, not per delivery.
 */
import { compile } from "@/dsl/compile";
import { policyLibrary } from "@/dsl/policies/library";
import type { FlowIR } from "@/dsl/ir";
import { blockRegistry } from "../run/run-engine";
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

const cache = new Map<string, { ir: FlowIR | null; problems: string[] }>();
const MAX_CACHED = 500;

/** Compiles `text` once per `key`. */
export function compileCached(
  key: string,
  text: string,
): { ir: FlowIR | null; problems: string[] } {
  const hit = cache.get(key);
  if (hit) return hit;
  const r = compile(text, { registry: blockRegistry(), policies: policyLibrary });
  const value =
    r.ok && r.ir
      ? { ir: r.ir, problems: [] }
      : {
          ir: null,
          problems: r.diagnostics
            .filter((d) => d.severity === "error")
            .slice(0, 3)
            .map((d) => `${d.code} ${d.message}`),
        };
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
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
      ? compileCached(`v:${v.id}`, v.dsl)
      : compileCached(`d:${wf.id}:${wf.updatedAt.getTime()}`, wf.draft);
    return {
      workflowId: wf.id,
      workspaceId: wf.workspaceId,
      version: v?.version ?? null,
      ir: c.ir,
      problems: c.problems,
    };
  });
}
