-- Issue 17 item 6: a fired alert is an in-app notification (kind 'alert.fired') and a webhook
-- event of the same type.
ALTER TABLE "Notification" DROP CONSTRAINT "Notification_kind_check";
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_kind_check" CHECK ("kind" IN
    ('approval.requested', 'approval.escalated', 'approval.decided', 'approval.expired', 'alert.fired'));
