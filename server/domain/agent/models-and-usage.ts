/**
 * Use cases behind the `model` tRPC router: which models are configured (never their keys),
 * agent usage per run and per flow, and a flow's agent memory (search, remember, forget).
 * Memory writes are recorded in the audit ledger.
 */
import { z } from "zod";
import { describeModel, loadModels } from "@/server/adapters/llm/config";
import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import type { Actor, Db } from "../types";
import { forgetMemory, rememberFact, searchMemory } from "./memory";
import { sumUsageByFlow, sumUsageByRun } from "./usage";

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
export function listModels() {
  try {
    const { models, source } = loadModels();
    return { source, models: models.map(describeModel) };
  } catch (err) {
    throw new AppError("PRECONDITION_FAILED", { message: (err as Error).message, cause: err });
  }
}

export function usageByRun(db: Db, actor: Actor, input: z.infer<typeof ZUsageByRunInput>) {
  return sumUsageByRun(db, { workspaceId: actor.workspaceId, runId: input.runId });
}

export function usageByFlow(db: Db, actor: Actor, input: z.infer<typeof ZUsageByFlowInput>) {
  return sumUsageByFlow(db, { workspaceId: actor.workspaceId, ...input });
}

export function searchFlowMemory(db: Db, actor: Actor, input: z.infer<typeof ZSearchMemoryInput>) {
  return searchMemory(db, { workspaceId: actor.workspaceId, ...input });
}

export async function rememberFlowFact(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZRememberFactInput>,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await rememberFact(tx, { workspaceId: actor.workspaceId, ...input });
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
): Promise<{ deleted: number }> {
  return db.$transaction(async (tx) => {
    const deleted = await forgetMemory(tx, {
      workspaceId: actor.workspaceId,
      flowName: input.flowName,
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
