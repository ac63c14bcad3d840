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
import { router, servicesOf, workspaceProcedure } from "../init";

/** Language models, agent usage and agent memory. */
export const modelRouter = router({
  list: workspaceProcedure("viewer").query(({ ctx }) => listModels(servicesOf(ctx).agents)),
  usageByRun: workspaceProcedure("viewer")
    .input(ZUsageByRunInput)
    .query(({ ctx, input }) => usageByRun(ctx.db, ctx.actor, input, servicesOf(ctx).agents)),
  usageByFlow: workspaceProcedure("viewer")
    .input(ZUsageByFlowInput)
    .query(({ ctx, input }) => usageByFlow(ctx.db, ctx.actor, input, servicesOf(ctx).agents)),
  searchMemory: workspaceProcedure("viewer")
    .input(ZSearchMemoryInput)
    .query(({ ctx, input }) => searchFlowMemory(ctx.db, ctx.actor, input, servicesOf(ctx).agents)),
  rememberFact: workspaceProcedure("editor")
    .input(ZRememberFactInput)
    .mutation(({ ctx, input }) =>
      rememberFlowFact(ctx.db, ctx.actor, input, servicesOf(ctx).agents),
    ),
  forgetFact: workspaceProcedure("editor")
    .input(ZForgetFactInput)
    .mutation(({ ctx, input }) => forgetFlowFact(ctx.db, ctx.actor, input, servicesOf(ctx).agents)),
});
