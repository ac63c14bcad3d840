-- Issue 17 (session 10, helper C).
--
-- Item 6: a rule's last firing per subject. A firing claims its row with one conditional upsert
-- (`lastFiredAt` older than the rule's cooldown) in the transaction that records the alert, so
-- two evaluators racing (the embedded worker and `npm run worker`, two servers) fire once.
CREATE TABLE "AlertCooldown" (
    "ruleId" UUID NOT NULL,
    "subject" TEXT NOT NULL,
    "lastFiredAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "AlertCooldown_pkey" PRIMARY KEY ("ruleId", "subject")
);
ALTER TABLE "AlertCooldown" ADD CONSTRAINT "AlertCooldown_ruleId_fkey"
    FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;
-- Alerts fired before this migration keep cooling down.
INSERT INTO "AlertCooldown" ("ruleId", "subject", "lastFiredAt")
    SELECT "ruleId", "subject", max("firedAt") FROM "AlertEvent" GROUP BY "ruleId", "subject";

-- Item 1: the trust read takes the anomalies of the last days (not marked expected) as
-- adjustments: by workspace, newest last seen first.
CREATE INDEX "Anomaly_workspaceId_lastSeenAt_idx" ON "Anomaly"("workspaceId", "lastSeenAt" DESC);
