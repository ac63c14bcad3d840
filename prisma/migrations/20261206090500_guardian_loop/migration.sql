-- Issue 18, items 5-6 (session 10, helper E): the guardian in the loop.
-- A proposal remembers whether its approver asked for replays with the release (the Approvals
-- inbox and the Guardian page offer the same choice); the one release that claims the proposal
-- requests them (server/domain/guardian/release.ts). A release records the reprocess job of the
-- group's open dead letters it asked for (issue 15's approval-gated reprocessing).
ALTER TABLE "GuardianProposal" ADD COLUMN "replayOnRelease" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "GuardianRelease" ADD COLUMN "reprocessJobId" UUID;
ALTER TABLE "GuardianRelease" ADD COLUMN "reprocessApprovalId" UUID;
-- Set by the one caller that claims requesting the replays of a release (they are asked once).
ALTER TABLE "GuardianRelease" ADD COLUMN "replaysClaimedAt" TIMESTAMPTZ(3);
-- A new failure group is an in-app notification and a webhook event of its own.
ALTER TABLE "Notification" DROP CONSTRAINT "Notification_kind_check";
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_kind_check" CHECK ("kind" IN
    ('approval.requested', 'approval.escalated', 'approval.decided', 'approval.expired', 'alert.fired',
     'guardian.group'));
