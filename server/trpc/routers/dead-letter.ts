import { z } from "zod";
import {
  changeReprocessJob,
  discardDeadLetters,
  getDeadLetter,
  getReprocessJob,
  listDeadLetters,
  listReprocessJobs,
  requestReprocess,
} from "@/server/domain/deadletter/dead-letters";
import {
  ZDeadLetterId,
  ZDiscardInput,
  ZListDeadLettersInput,
  ZListReprocessJobsInput,
  ZReprocessInput,
  ZReprocessJobId,
} from "@/server/domain/deadletter/schemas";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * Dead letters: everyone reads them and the reprocess jobs; editors discard them (with a reason)
 * and request reprocess jobs, which an approver or admin other than the requester approves
 * through `approval.decide` (no approving procedure here).
 */
export const deadLetterRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListDeadLettersInput)
    .query(({ ctx, input }) => listDeadLetters(servicesOf(ctx), ctx.actor, input)),
  get: workspaceProcedure("viewer")
    .input(ZDeadLetterId)
    .query(({ ctx, input }) => getDeadLetter(servicesOf(ctx), ctx.actor, input)),
  requestReprocess: workspaceProcedure("editor", { scope: "run" })
    .input(ZReprocessInput)
    .mutation(({ ctx, input }) => requestReprocess(servicesOf(ctx), ctx.actor, input)),
  discard: workspaceProcedure("editor", { scope: "run" })
    .input(ZDiscardInput)
    .mutation(({ ctx, input }) => discardDeadLetters(servicesOf(ctx), ctx.actor, input)),
  jobs: workspaceProcedure("viewer")
    .input(ZListReprocessJobsInput)
    .query(({ ctx, input }) => listReprocessJobs(servicesOf(ctx), ctx.actor, input)),
  job: workspaceProcedure("viewer")
    .input(ZReprocessJobId)
    .query(({ ctx, input }) => getReprocessJob(servicesOf(ctx), ctx.actor, input)),
  /** Pause, resume or cancel a job (no approval: none of them starts anything new unapproved). */
  changeJob: workspaceProcedure("editor", { scope: "run" })
    .input(ZReprocessJobId.extend({ action: z.enum(["pause", "resume", "cancel"]) }))
    .mutation(({ ctx, input }) => changeReprocessJob(servicesOf(ctx), ctx.actor, input)),
});
