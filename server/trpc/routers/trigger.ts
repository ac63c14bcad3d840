import { connectorDeps } from "@/server/adapters/connectors/vault";
import { listSchedules } from "@/server/domain/trigger/schedules";
import { ZListSchedulesInput, ZWorkflowRefInput } from "@/server/domain/trigger/schemas";
import { getWebhook, revokeWebhook, rotateWebhookSecret } from "@/server/domain/trigger/webhooks";
import { router, workspaceProcedure } from "../init";

const deps = connectorDeps();

/**
 * Triggers: a flow's webhook (editors rotate its secret, shown once, or revoke it; viewers see
 * whether it is configured) and the workspace's cron schedules.
 */
export const triggerRouter = router({
  webhook: workspaceProcedure("viewer")
    .input(ZWorkflowRefInput)
    .query(({ ctx, input }) => getWebhook(ctx.db, ctx.actor, input)),
  rotateWebhookSecret: workspaceProcedure("editor")
    .input(ZWorkflowRefInput)
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.db, deps.vault, ctx.actor, input)),
  revokeWebhook: workspaceProcedure("editor")
    .input(ZWorkflowRefInput)
    .mutation(({ ctx, input }) => revokeWebhook(ctx.db, ctx.actor, input)),
  schedules: workspaceProcedure("viewer")
    .input(ZListSchedulesInput)
    .query(({ ctx, input }) => listSchedules(ctx.db, ctx.actor, input)),
});
