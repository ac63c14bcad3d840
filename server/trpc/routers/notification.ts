import {
  countUnread,
  listNotifications,
  markAllRead,
  markRead,
} from "@/server/domain/notification/notifications";
import {
  ZCreateWebhookInput,
  ZListDeliveriesInput,
  ZListNotificationsInput,
  ZMarkReadInput,
  ZUpdateWebhookInput,
  ZWebhookId,
} from "@/server/domain/notification/schemas";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  rotateWebhookSecret,
  testWebhookEndpoint,
  updateWebhookEndpoint,
} from "@/server/domain/notification/webhooks";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * Notifications: every member reads and marks their own (the shell's bell); the workspace's
 * admins configure outgoing webhook endpoints (a secret shown once, the delivery log).
 */
export const notificationRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListNotificationsInput)
    .query(({ ctx, input }) => listNotifications(ctx.db, ctx.actor, input)),
  unreadCount: workspaceProcedure("viewer").query(({ ctx }) => countUnread(ctx.db, ctx.actor)),
  // Every member marks their own notifications read; an API token changes nothing with the read
  // scope alone, so it needs the run scope for this.
  markRead: workspaceProcedure("viewer", { scope: "run" })
    .input(ZMarkReadInput)
    .mutation(({ ctx, input }) => markRead(ctx.db, ctx.actor, input)),
  markAllRead: workspaceProcedure("viewer", { scope: "run" }).mutation(({ ctx }) =>
    markAllRead(ctx.db, ctx.actor),
  ),
  webhooks: router({
    list: workspaceProcedure("admin").query(({ ctx }) =>
      listWebhookEndpoints(servicesOf(ctx).outgoingWebhooks, ctx.actor),
    ),
    create: workspaceProcedure("admin")
      .input(ZCreateWebhookInput)
      .mutation(({ ctx, input }) =>
        createWebhookEndpoint(servicesOf(ctx).outgoingWebhooks, ctx.actor, input),
      ),
    update: workspaceProcedure("admin")
      .input(ZUpdateWebhookInput)
      .mutation(({ ctx, input }) =>
        updateWebhookEndpoint(servicesOf(ctx).outgoingWebhooks, ctx.actor, input),
      ),
    delete: workspaceProcedure("admin")
      .input(ZWebhookId)
      .mutation(({ ctx, input }) =>
        deleteWebhookEndpoint(servicesOf(ctx).outgoingWebhooks, ctx.actor, input),
      ),
    rotateSecret: workspaceProcedure("admin")
      .input(ZWebhookId)
      .mutation(({ ctx, input }) =>
        rotateWebhookSecret(servicesOf(ctx).outgoingWebhooks, ctx.actor, input),
      ),
    test: workspaceProcedure("admin")
      .input(ZWebhookId)
      .mutation(({ ctx, input }) =>
        testWebhookEndpoint(servicesOf(ctx).outgoingWebhooks, ctx.actor, input),
      ),
    deliveries: workspaceProcedure("admin")
      .input(ZListDeliveriesInput)
      .query(({ ctx, input }) =>
        listWebhookDeliveries(servicesOf(ctx).outgoingWebhooks, ctx.actor, input),
      ),
  }),
});
