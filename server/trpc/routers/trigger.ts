import { previewSchedule } from "@/server/domain/trigger/schedule-preview";
import { listSchedules } from "@/server/domain/trigger/schedules";
import {
  ZListSchedulesInput,
  ZPreviewScheduleInput,
  ZSetTriggerInput,
  ZWorkflowRefInput,
} from "@/server/domain/trigger/schemas";
import { setTrigger } from "@/server/domain/trigger/set-trigger";
import { getWebhook, revokeWebhook, rotateWebhookSecret } from "@/server/domain/trigger/webhooks";
import { getWorkflowTriggers } from "@/server/domain/trigger/workflow-triggers";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * Triggers: a flow's webhook (editors rotate its secret, shown once, or revoke it; viewers see
 * whether it is configured), the workspace's cron schedules, one workflow's triggers for its
 * Triggers panel, the next fire times of a cron expression, and setting a draft's trigger.
 */
export const triggerRouter = router({
  forWorkflow: workspaceProcedure("viewer")
    .input(ZWorkflowRefInput)
    .query(({ ctx, input }) => getWorkflowTriggers(ctx.db, ctx.actor, input)),
  previewSchedule: workspaceProcedure("viewer")
    .input(ZPreviewScheduleInput)
    .query(({ input }) => {
      const p = previewSchedule(input.cron, Date.now());
      return { ...p, fires: p.fires.map((t) => new Date(t).toISOString()) };
    }),
  setTrigger: workspaceProcedure("editor")
    .input(ZSetTriggerInput)
    .mutation(({ ctx, input }) => setTrigger(ctx.db, ctx.actor, input)),
  webhook: workspaceProcedure("viewer")
    .input(ZWorkflowRefInput)
    .query(({ ctx, input }) => getWebhook(ctx.db, ctx.actor, input)),
  rotateWebhookSecret: workspaceProcedure("editor")
    .input(ZWorkflowRefInput)
    .mutation(({ ctx, input }) => rotateWebhookSecret(servicesOf(ctx), ctx.actor, input)),
  revokeWebhook: workspaceProcedure("editor")
    .input(ZWorkflowRefInput)
    .mutation(({ ctx, input }) => revokeWebhook(servicesOf(ctx), ctx.actor, input)),
  schedules: workspaceProcedure("viewer")
    .input(ZListSchedulesInput)
    .query(({ ctx, input }) => listSchedules(ctx.db, ctx.actor, input)),
});
