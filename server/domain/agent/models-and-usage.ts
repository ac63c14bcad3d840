/**
 * Use cases behind the `model` tRPC router: which models are configured (never their keys),
 * agent usage per run and per flow, and a flow's agent memory (search, remember, forget).
 * Memory writes are recorded in the audit ledger. Models, memory and usage come through the
 * module's ports ({@link AgentDeps}); the router passes the real ones.
 */
import { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import type { Actor, Db } from "../types";
import type { AgentDeps } from "./ports";

const flowName = z.string().trim().min(1).max(200);

export const ZUsageByRunInput = z.object({ runId: z.string().min(1).max(200) });
export const ZUsageByFlowInput = z.object({ flowName, since: z.coerce.date().optional() });
export const ZSearchMemoryInput = z.object({
  /** The flow, then its parents (a sub-flow sees its parents' memory). */
  flows: z.array(flowName).min(1).max(10),
  query: z.string().trim().min(1).max(200),
  kind: z.enum(["fact", "context"]).optional(),
  limit: z.number().int().min(1).max(100).default(20),
});
export const ZRememberFactInput = z.object({
  flowName,
  key: z.string().trim().min(1).max(200),
  content: z.string().trim().min(1).max(4000),
});
export const ZForgetFactInput = z.object({ flowName, key: z.string().trim().min(1).max(200) });

/** The configured models; a broken configuration becomes a clear PRECONDITION_FAILED. */
export function listModels(deps: Pick<AgentDeps, "models">) {
  try {
    return deps.models.describe();
  } catch (err) {
    throw new AppError("PRECONDITION_FAILED", { message: (err as Error).message, cause: err });
  }
}

export function usageByRun(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZUsageByRunInput>,
  deps: Pick<AgentDeps, "usage">,
) {
  return deps.usage(db).byRun({ workspaceId: actor.workspaceId, runId: input.runId });
}

export function usageByFlow(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZUsageByFlowInput>,
  deps: Pick<AgentDeps, "usage">,
) {
  return deps.usage(db).byFlow({ workspaceId: actor.workspaceId, ...input });
}

export function searchFlowMemory(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZSearchMemoryInput>,
  deps: Pick<AgentDeps, "memory">,
) {
  return deps.memory(db).search({ workspaceId: actor.workspaceId, ...input });
}

export async function rememberFlowFact(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZRememberFactInput>,
  deps: Pick<AgentDeps, "memory">,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await deps.memory(tx).remember({
      workspaceId: actor.workspaceId,
      flow: input.flowName,
      kind: "fact",
      key: input.key,
      content: input.content,
    });
    await appendAudit(tx, actor, {
      action: "agent.memory.remember",
      subjectType: "flow",
      subjectId: input.flowName,
      // The key, not the content: memory may hold customer facts.
      payload: { key: input.key, chars: input.content.length },
    });
  });
}

export async function forgetFlowFact(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZForgetFactInput>,
  deps: Pick<AgentDeps, "memory">,
): Promise<{ deleted: number }> {
  return db.$transaction(async (tx) => {
    const deleted = await deps.memory(tx).forget({
      workspaceId: actor.workspaceId,
      flow: input.flowName,
      kind: "fact",
      key: input.key,
    });
    if (deleted) {
      await appendAudit(tx, actor, {
        action: "agent.memory.forget",
        subjectType: "flow",
        subjectId: input.flowName,
        payload: { key: input.key },
      });
    }
    return { deleted };
  });
}
