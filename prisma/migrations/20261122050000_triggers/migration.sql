-- Triggers: per-flow webhook secrets (sealed like connector credentials), webhook deliveries
-- (replay protection: a delivery id is accepted once per flow), schedule fires (one run per
-- flow and fire time, whatever the number of scheduler processes) and worker heartbeats
-- (breaker states and queue lag of separate worker processes, for /api/metrics).

CREATE TABLE "WebhookSecret" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspaceId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "flowName" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "iv" TEXT NOT NULL,
    "tag" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "hint" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "rotatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "WebhookSecret_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "WebhookSecret_workflowId_key" ON "WebhookSecret"("workflowId");
CREATE UNIQUE INDEX "WebhookSecret_workspaceId_flowName_key" ON "WebhookSecret"("workspaceId", "flowName");

CREATE TABLE "WebhookDelivery" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "runId" UUID,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "WebhookDelivery_workflowId_deliveryId_key" ON "WebhookDelivery"("workflowId", "deliveryId");
CREATE INDEX "WebhookDelivery_receivedAt_idx" ON "WebhookDelivery"("receivedAt");

CREATE TABLE "ScheduleFire" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" UUID NOT NULL,
    "workflowId" UUID NOT NULL,
    "fireAt" TIMESTAMPTZ(3) NOT NULL,
    "runId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ScheduleFire_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "ScheduleFire_workflowId_fireAt_key" ON "ScheduleFire"("workflowId", "fireAt");

CREATE TABLE "WorkerHeartbeat" (
    "workerId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "seenAt" TIMESTAMPTZ(3) NOT NULL,
    "stats" JSONB NOT NULL DEFAULT '{}',
    CONSTRAINT "WorkerHeartbeat_pkey" PRIMARY KEY ("workerId")
);

ALTER TABLE "WebhookSecret" ADD CONSTRAINT "WebhookSecret_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "WebhookSecret" ADD CONSTRAINT "WebhookSecret_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ScheduleFire" ADD CONSTRAINT "ScheduleFire_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;
