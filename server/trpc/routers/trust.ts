import { listTrustPage } from "@/server/domain/trust/list-trust";
import { ZListTrustInput } from "@/server/domain/trust/schemas";
import { trustConfig } from "@/server/domain/trust/score";
import { router, workspaceProcedure } from "../init";

/**
 * Earned trust (issue 17): everyone reads the scores (block versions, connector endpoints,
 * models, flow versions) with their interval, n and inputs, and the model's parameters.
 */
export const trustRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListTrustInput)
    .query(({ ctx, input }) => listTrustPage(ctx.db, ctx.actor, input, Date.now())),
  /** The model's parameters (half-life, prior strength, minimum n, interval mass, weights). */
  model: workspaceProcedure("viewer").query(() => trustConfig()),
});
