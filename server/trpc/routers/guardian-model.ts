import { z } from "zod";
import {
  listModelAttempts,
  modelProposalFigures,
  proposeWithModel,
} from "@/server/domain/guardian/model-proposals";
import {
  getGuardianModel,
  setGuardianModel,
  ZSetGuardianModelInput,
} from "@/server/domain/guardian/model-settings";
import { ZGroupId } from "@/server/domain/guardian/schemas";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * The guardian's model (issue 18, item 3): everyone reads which model writes proposals the rules
 * cannot, the requests made for a group (with why an answer was discarded) and their figures;
 * admins choose the model (audited); editors ask it for a group's proposal now.
 */
export const guardianModelRouter = router({
  get: workspaceProcedure("viewer").query(({ ctx }) =>
    getGuardianModel({ db: ctx.db, guardianModel: servicesOf(ctx).guardianModel }, ctx.actor),
  ),
  set: workspaceProcedure("admin")
    .input(ZSetGuardianModelInput)
    .mutation(({ ctx, input }) =>
      setGuardianModel(
        { db: ctx.db, guardianModel: servicesOf(ctx).guardianModel },
        ctx.actor,
        input,
      ),
    ),
  propose: workspaceProcedure("editor")
    .input(ZGroupId)
    .mutation(({ ctx, input }) =>
      proposeWithModel(
        { db: ctx.db, guardianModel: servicesOf(ctx).guardianModel },
        ctx.actor,
        input.id,
      ),
    ),
  attempts: workspaceProcedure("viewer")
    .input(ZGroupId)
    .query(({ ctx, input }) => listModelAttempts(ctx.db, ctx.actor, input.id)),
  figures: workspaceProcedure("viewer")
    .input(z.object({ days: z.number().int().min(1).max(365).default(30) }).default({ days: 30 }))
    .query(({ ctx, input }) => modelProposalFigures(ctx.db, ctx.actor, input.days)),
});
