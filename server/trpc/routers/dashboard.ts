import { getOperations } from "@/server/domain/dashboard/operations";
import { ZOperationsInput, ZTrustEntityInput } from "@/server/domain/dashboard/schemas";
import { getTrustEntity } from "@/server/domain/dashboard/trust-trend";
import { router, workspaceProcedure } from "../init";

/**
 * The dashboards (issue 17): the Operations page for a range (1 h, 24 h, 7 d, 30 d) and one
 * Trust-page entity's trend and the flows behind it, read from the rollups only.
 */
export const dashboardRouter = router({
  operations: workspaceProcedure("viewer")
    .input(ZOperationsInput)
    .query(({ ctx, input }) =>
      getOperations(ctx.db, ctx.actor.workspaceId, input.range, Date.now()),
    ),
  trustEntity: workspaceProcedure("viewer")
    .input(ZTrustEntityInput)
    .query(({ ctx, input }) => getTrustEntity(ctx.db, ctx.actor.workspaceId, input, Date.now())),
});
