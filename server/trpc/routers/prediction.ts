import {
  assessFlowRisk,
  highRiskFlows,
  predictionQuality,
  trainWorkspaceModel,
} from "@/server/domain/prediction";
import { ZHighRiskInput, ZRunRiskInput } from "@/server/domain/prediction/schemas";
import { router, workspaceProcedure } from "../init";

/**
 * Failure prediction (issue 17 item 4): the risk of a run before it starts (with why, and
 * whether the model is reliable enough to gate), the backtest's figures and protocol, the flows
 * at risk; an admin may retrain the workspace's model now (audited).
 */
export const predictionRouter = router({
  risk: workspaceProcedure("viewer")
    .input(ZRunRiskInput)
    .query(({ ctx, input }) =>
      assessFlowRisk(ctx.db, { ...input, workspaceId: ctx.actor.workspaceId, at: Date.now() }),
    ),
  quality: workspaceProcedure("viewer").query(({ ctx }) =>
    predictionQuality(ctx.db, ctx.actor.workspaceId),
  ),
  highRisk: workspaceProcedure("viewer")
    .input(ZHighRiskInput)
    .query(({ ctx, input }) => highRiskFlows(ctx.db, ctx.actor.workspaceId, input.threshold)),
  retrain: workspaceProcedure("admin").mutation(async ({ ctx }) => {
    await trainWorkspaceModel(ctx.db, ctx.actor.workspaceId, { now: Date.now(), actor: ctx.actor });
    return predictionQuality(ctx.db, ctx.actor.workspaceId);
  }),
});
