-- Issue 15: notifications of approvals. In-app notifications per person and workspace, the
-- workspace's outgoing webhook endpoints (secret sealed by the credential vault) and one durable
-- delivery per event and endpoint, sent by the worker with retries.
CREATE TABLE "Notification" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "link" TEXT,
    "readAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Notification_kind_check" CHECK ("kind" IN
        ('approval.requested', 'approval.escalated', 'approval.decided', 'approval.expired'))
);
CREATE INDEX "Notification_userId_workspaceId_createdAt_idx"
    ON "Notification"("userId", "workspaceId", "createdAt" DESC, "id" DESC);
-- The unread count reads only unread rows.
CREATE INDEX "Notification_unread_idx" ON "Notification"("userId", "workspaceId") WHERE "readAt" IS NULL;
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_userId_fkey"
    FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "WebhookEndpoint" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "events" TEXT[] NOT NULL,
    "secret" JSONB NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "WebhookEndpoint_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "WebhookEndpoint_workspaceId_idx" ON "WebhookEndpoint"("workspaceId");
ALTER TABLE "WebhookEndpoint" ADD CONSTRAINT "WebhookEndpoint_workspaceId_fkey"
    FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "WebhookEndpointDelivery" (
    "id" UUID NOT NULL,
    "endpointId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "eventId" UUID NOT NULL,
    "eventType" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(3) NOT NULL,
    "lastStatus" INTEGER,
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "deliveredAt" TIMESTAMPTZ(3),
    CONSTRAINT "WebhookEndpointDelivery_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "WebhookEndpointDelivery_status_check" CHECK ("status" IN ('pending', 'delivered', 'failed'))
);
CREATE UNIQUE INDEX "WebhookEndpointDelivery_endpointId_eventId_key" ON "WebhookEndpointDelivery"("endpointId", "eventId");
CREATE INDEX "WebhookEndpointDelivery_endpointId_createdAt_idx" ON "WebhookEndpointDelivery"("endpointId", "createdAt" DESC);
-- The sender's queue: pending deliveries by due time.
CREATE INDEX "WebhookEndpointDelivery_due_idx" ON "WebhookEndpointDelivery"("nextAttemptAt") WHERE "status" = 'pending';
ALTER TABLE "WebhookEndpointDelivery" ADD CONSTRAINT "WebhookEndpointDelivery_endpointId_fkey"
    FOREIGN KEY ("endpointId") REFERENCES "WebhookEndpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The worker's approval sweep reads pending approvals of every workspace.
CREATE INDEX "Approval_pending_idx" ON "Approval"("createdAt") WHERE "status" = 'pending';
