import {
  breakGlass,
  countApprovals,
  decideApproval,
  getApproval,
  listApprovals,
} from "@/server/domain/approval/approvals";
import {
  ZApprovalId,
  ZBreakGlassInput,
  ZDecideApprovalInput,
  ZListApprovalsInput,
} from "@/server/domain/approval/schemas";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * Approvals: everyone reads the inbox; deciding goes through the four-eyes guard
 * (`server/domain/approval/guard.ts`), which decides who qualifies (editors named by a step's
 * `users` or `group` included). `meta({ approves: true })` marks every deciding procedure.
 */
export const approvalRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListApprovalsInput)
    .query(({ ctx, input }) => listApprovals(servicesOf(ctx), ctx.actor, input)),
  count: workspaceProcedure("viewer").query(({ ctx }) =>
    countApprovals(servicesOf(ctx), ctx.actor),
  ),
  get: workspaceProcedure("viewer")
    .input(ZApprovalId)
    .query(({ ctx, input }) => getApproval(servicesOf(ctx), ctx.actor, input)),
  decide: workspaceProcedure("editor", { scope: "approve" })
    .meta({ approves: true })
    .input(ZDecideApprovalInput)
    .mutation(({ ctx, input }) => decideApproval(servicesOf(ctx), ctx.actor, input)),
  breakGlass: workspaceProcedure("admin", { scope: "approve" })
    .meta({ approves: true })
    .input(ZBreakGlassInput)
    .mutation(({ ctx, input }) => breakGlass(servicesOf(ctx), ctx.actor, input)),
});
