/**
 * Dead-letter use cases: list and read the workspace's dead letters (viewers), discard some with
 * a reason (editors), and reprocess them as a durable job (editors request it; an approver or
 * admin other than the requester approves it through `approval.decide`, like a replay).
 *
 * Reprocessing a dead letter is a resume replay of its run (`server/domain/replay/`): the
 * recorded outputs are reused, the dead-lettered step and what follows it are executed again,
 * and a completed write is never done again. A request freezes its dead letters as the job's
 * ordered items, each with the hash of its replay plan, and binds the job's `reprocess`
 * approval to a hash over all of it (the dead letters, the canary, the rate, stop on failure
 * and every item's plan hash). Once approved, a worker advances the job (`runner.ts`).
 *
 * Every change is a ledger entry: the request (`deadletter.reprocess.request`, with the
 * approval's `approval.request`), the decision (the approvals' own entry) and the job's state
 * changes, the item outcomes, and each discarded dead letter (`deadletter.discard`).
 *
 * This module is the use cases' one entry point; each responsibility lives in its own module:
 * - `list-dead-letters.ts` and `discard-dead-letters.ts`: reading and discarding dead letters;
 * - `request-reprocess.ts`: requesting a reprocess job and the hash its approval is bound to;
 * - `reprocess-jobs.ts`: a job's views, its approval's effect, pause, resume and cancel;
 * - `common.ts`: what they share; `runner.ts`: the worker that advances approved jobs.
 */
export { RESUME, RUNNER_LABEL, type DeadLetterDeps } from "./common";
export { discardDeadLetters } from "./discard-dead-letters";
export { getDeadLetter, listDeadLetters, type DeadLetterView } from "./list-dead-letters";
export {
  changeReprocessJob,
  getReprocessJob,
  listReprocessJobs,
  reprocessApprovalEffect,
  type ReprocessItemView,
  type ReprocessJobView,
} from "./reprocess-jobs";
export { reprocessPlanHash, requestReprocess } from "./request-reprocess";
