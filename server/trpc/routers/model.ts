import { agentDeps } from "@/server/adapters/llm/agent-deps";
import {
  forgetFlowFact,
  listModels,
  rememberFlowFact,
  searchFlowMemory,
  usageByFlow,
  usageByRun,
  ZForgetFactInput,
  ZRememberFactInput,
  ZSearchMemoryInput,
  ZUsageByFlowInput,
  ZUsageByRunInput,
} from "@/server/domain/agent/models-and-usage";
import { router, workspaceProcedure } from "../init";

const deps = agentDeps();

/** Language models, agent usage and agent memory. */
export const modelRouter = router({
  list: workspaceProcedure("viewer").query(() => listModels(deps)),
  usageByRun: workspaceProcedure("viewer")
    .input(ZUsageByRunInput)
    .query(({ ctx, input }) => usageByRun(ctx.db, ctx.actor, input, deps)),
  usageByFlow: workspaceProcedure("viewer")
    .input(ZUsageByFlowInput)
    .query(({ ctx, input }) => usageByFlow(ctx.db, ctx.actor, input, deps)),
  searchMemory: workspaceProcedure("viewer")
    .input(ZSearchMemoryInput)
    .query(({ ctx, input }) => searchFlowMemory(ctx.db, ctx.actor, input, deps)),
  rememberFact: workspaceProcedure("editor")
    .input(ZRememberFactInput)
    .mutation(({ ctx, input }) => rememberFlowFact(ctx.db, ctx.actor, input, deps)),
  forgetFact: workspaceProcedure("editor")
    .input(ZForgetFactInput)
    .mutation(({ ctx, input }) => forgetFlowFact(ctx.db, ctx.actor, input, deps)),
});
