import { z } from "zod";
import { fixOfApproval, newGroupsForInbox } from "@/server/domain/guardian/inbox";
import { guardianMetrics } from "@/server/domain/guardian/metrics";
import { claimProofNow, proveProposal } from "@/server/domain/guardian/proof";
import { replayFailedRuns } from "@/server/domain/guardian/release-replays";
import { acceptProposal, rejectProposal } from "@/server/domain/guardian/review";
import {
  ZAcceptProposalInput,
  ZMetricsInput,
  ZProposalId,
  ZRejectProposalInput,
} from "@/server/domain/guardian/review-schemas";
import { proposalReviews } from "@/server/domain/guardian/review-view";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * The guardian's fix review (issue 18, items 4–6): everyone reads a proposal's proof, approval
 * and release and the guardian's figures; editors prove a proposal again; accepting is an
 * approval (approvers and admins, never the proposer: the four-eyes guard); rejecting keeps the
 * reason.
 */
export const guardianReviewRouter = router({
  reviews: workspaceProcedure("viewer")
    .input(z.object({ ids: z.array(z.uuid("Not a proposal id.")).min(1).max(100) }))
    .query(({ ctx, input }) => proposalReviews(ctx.db, ctx.actor, input.ids)),
  metrics: workspaceProcedure("viewer")
    .input(ZMetricsInput)
    .query(({ ctx, input }) => guardianMetrics(ctx.db, ctx.actor, input)),
  /** The fix a `fix` approval of the inbox decides, and what accepting with replays asks for. */
  forApproval: workspaceProcedure("viewer")
    .input(z.object({ approvalId: z.uuid("Not an approval id.") }))
    .query(({ ctx, input }) => fixOfApproval(ctx.db, ctx.actor, input.approvalId)),
  /** New failure groups no proven fix waits for yet (the inbox lists them). */
  newGroups: workspaceProcedure("viewer").query(({ ctx }) => newGroupsForInbox(ctx.db, ctx.actor)),
  /** Starts a proof of the proposal now (it runs in the background; its status says when done). */
  prove: workspaceProcedure("editor")
    .input(ZProposalId)
    .mutation(async ({ ctx, input }) => {
      await claimProofNow(ctx.db, ctx.actor, input.id);
      void proveProposal(servicesOf(ctx), ctx.actor, input.id, { claimed: true }).catch(
        () => undefined,
      );
      return { id: input.id, status: "proving" as const };
    }),
  accept: workspaceProcedure("editor", { scope: "approve" })
    .meta({ approves: true })
    .input(ZAcceptProposalInput)
    .mutation(({ ctx, input }) => acceptProposal(servicesOf(ctx), ctx.actor, input)),
  /**
   * Asks for the replays of a released fix's failed runs (and the reprocessing of their dead
   * letters) when none were chosen with its acceptance: once per release; another person
   * approves each.
   */
  replay: workspaceProcedure("editor", { scope: "run" })
    .input(ZProposalId)
    .mutation(({ ctx, input }) => replayFailedRuns(servicesOf(ctx), ctx.actor, input.id)),
  reject: workspaceProcedure("editor", { scope: "approve" })
    .input(ZRejectProposalInput)
    .mutation(async ({ ctx, input }) => {
      await rejectProposal(servicesOf(ctx), ctx.actor, input);
      return { id: input.id, status: "rejected" as const };
    }),
});
