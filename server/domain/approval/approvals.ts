/**
 * Approval use cases: list, count, get, decide, break-glass, and `requestApproval` (replays,
 * reprocess jobs, later the guardian). Every decision goes through the ONE guard (`guard.ts`),
 * is an `ApprovalDecision` row and a ledger entry, in one transaction with its effect.
 *
 * Step and form approvals are created where the wait begins: the worker that parked a run on a
 * human step syncs that run (`syncRunApprovals`, the engine's `onRunParked` hook) right after the
 * park committed. A periodic sweep in the worker (`sweepApprovals`) catches anything missed (a
 * crash between park and sync) and reconciles pending approvals with their step (expired by its
 * `onTimeout`, escalated, or void when the run ended without a decision) and replay and
 * reprocess approvals with their `expiresAt`. Lists and counts only read; `get` and `decide`
 * reconcile the one approval they touch. Every event notifies (`../notification/notify.ts`) in
 * its own transaction: a request its possible deciders, an escalation the admins, a decision
 * or an expiry the requester.
 *
 * This module is the use cases' one entry point; each responsibility lives in its own module:
 * - `deciders.ts`: the approvers a step names and the acting person as the guard sees them;
 * - `sync-approvals.ts`: parked human steps become approvals, pending ones follow their step;
 * - `decide-approval.ts`: decide, break-glass, a run step's decision;
 * - `request-approval.ts`: approvals of replays and reprocess jobs;
 * - `approval-views.ts` and `list-approvals.ts`: the views, list, count and get.
 */
export { type ApprovalView } from "./approval-views";
export { approverSpecOf, deciderOf } from "./deciders";
export { breakGlass, decideApproval, decideLocked, decideStep } from "./decide-approval";
export { countApprovals, getApproval, listApprovals } from "./list-approvals";
export { requestApproval, type ApprovalRequest } from "./request-approval";
export { approvalOfWait, sweepApprovals, syncApprovals, syncRunApprovals } from "./sync-approvals";
