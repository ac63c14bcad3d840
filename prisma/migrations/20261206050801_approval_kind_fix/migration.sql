-- Issue 18, item 5: accepting a guardian fix is an approval of kind `fix` (decided under the
-- four-eyes guard like every approval; server/domain/guardian/review.ts).
ALTER TABLE "Approval" DROP CONSTRAINT "Approval_kind_check";
ALTER TABLE "Approval" ADD CONSTRAINT "Approval_kind_check"
    CHECK ("kind" IN ('step', 'form', 'replay', 'reprocess', 'fix'));
