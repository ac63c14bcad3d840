import { cancelRun, getRun, listRuns, resumeStep, startRun } from "@/server/domain/run/runs";
import {
  ZCancelRunInput,
  ZListRunsInput,
  ZResumeStepInput,
  ZRunId,
  ZStartRunInput,
} from "@/server/domain/run/schemas";
import { stepStats, ZStepStatsInput } from "@/server/domain/run/step-stats";
import { previewReplay, requestReplay } from "@/server/domain/replay/replays";
import { ZReplayInput } from "@/server/domain/replay/schemas";
import { router, servicesOf, workspaceProcedure } from "../init";

/** Runs: editors start and cancel, approvers decide human steps, viewers read. */
export const runRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListRunsInput)
    .query(({ ctx, input }) => listRuns(ctx.db, ctx.actor, input)),
  get: workspaceProcedure("viewer")
    .input(ZRunId)
    .query(({ ctx, input }) => getRun(servicesOf(ctx), ctx.actor, input)),
  start: workspaceProcedure("editor", { scope: "run" })
    .input(ZStartRunInput)
    .mutation(({ ctx, input }) => startRun(servicesOf(ctx), ctx.actor, input)),
  cancel: workspaceProcedure("editor", { scope: "run" })
    .input(ZCancelRunInput)
    .mutation(({ ctx, input }) => cancelRun(servicesOf(ctx), ctx.actor, input)),
  // A preview: writes nothing (viewers read plans; only editors request a replay).
  planReplay: workspaceProcedure("viewer")
    .input(ZReplayInput)
    .query(({ ctx, input }) => previewReplay(servicesOf(ctx), ctx.actor, input)),
  requestReplay: workspaceProcedure("editor", { scope: "run" })
    .input(ZReplayInput)
    .mutation(({ ctx, input }) => requestReplay(servicesOf(ctx), ctx.actor, input)),
  // Per-step statistics of a flow over 7 or 30 days (the studio's steps): one bounded query.
  stepStats: workspaceProcedure("viewer")
    .input(ZStepStatsInput)
    .query(({ ctx, input }) => stepStats(ctx.db, ctx.actor, input, Date.now())),
  resume: workspaceProcedure("approver")
    .meta({ approves: true })
    .input(ZResumeStepInput)
    .mutation(({ ctx, input }) => resumeStep(servicesOf(ctx), ctx.actor, input)),
});
