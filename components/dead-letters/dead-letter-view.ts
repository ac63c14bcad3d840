/**
 * What the dead-letters page shows and sends, pure and tested (`dead-letter-view.test.ts`): the
 * filters as the list's input (and as a reprocess job's filter), the words and tones of the
 * statuses and job states, a job's progress, the reprocess form's checks and the summary of
 * what goes to the approvers. The server checks everything again.
 */
import {
  DEAD_LETTER_STATUSES,
  REPROCESS_JOB_STATES,
  type DeadLetterStatus,
  type ReprocessJobState,
} from "@/lib/enums";
import type { RouterInputs, RouterOutputs } from "@/lib/trpc/types";

export { DEAD_LETTER_STATUSES, REPROCESS_JOB_STATES };
export type { DeadLetterStatus, ReprocessJobState };

export type DeadLetterView = RouterOutputs["deadLetter"]["list"]["items"][number];
export type ReprocessJobView = RouterOutputs["deadLetter"]["jobs"]["items"][number];
type ListInput = Exclude<RouterInputs["deadLetter"]["list"], undefined | void>;
type ReprocessInput = RouterInputs["deadLetter"]["requestReprocess"];
export type DeadLetterFilter = NonNullable<ReprocessInput["filter"]>;

/** The filters of the page (text as typed; times as `datetime-local` values, local time). */
export interface Filters {
  workflowId: string;
  block: string;
  errorClass: string;
  connector: string;
  status: DeadLetterStatus | "";
  from: string;
  to: string;
}

/** The page opens on the open dead letters. */
export const DEFAULT_FILTERS: Filters = {
  workflowId: "",
  block: "",
  errorClass: "",
  connector: "",
  status: "open",
  from: "",
  to: "",
};

/** A `datetime-local` value as an ISO time, or undefined when empty or invalid. */
export function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/** The filter fields a reprocess job takes (only those set; the status is not one of them). */
export function filterOf(f: Filters): DeadLetterFilter {
  const from = isoOf(f.from);
  const to = isoOf(f.to);
  return {
    ...(f.workflowId ? { workflowId: f.workflowId } : {}),
    ...(f.block.trim() ? { block: f.block.trim() } : {}),
    ...(f.errorClass.trim() ? { errorClass: f.errorClass.trim() } : {}),
    ...(f.connector.trim() ? { connector: f.connector.trim() } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

/** The list's input for `filters` and a page's cursor. */
export function listInputOf(f: Filters, limit: number, cursor?: string): ListInput {
  return {
    ...filterOf(f),
    ...(f.status ? { status: f.status } : {}),
    limit,
    ...(cursor ? { cursor } : {}),
  };
}

/**
 * Why "every dead letter matching the filter" cannot be reprocessed as shown, or null: a job
 * takes the open ones, so the list must show those (status "open").
 */
export function matchingProblem(f: Filters): string | null {
  return f.status === "open"
    ? null
    : "Show the open dead letters (Status: open) to reprocess every one matching the filter.";
}

export const STATUS_LABEL: Record<DeadLetterStatus, string> = {
  open: "open",
  reprocessing: "reprocessing",
  reprocessed: "reprocessed",
  discarded: "discarded",
};

export const STATUS_TONE: Record<DeadLetterStatus, "warning" | "accent" | "success" | "neutral"> = {
  open: "warning",
  reprocessing: "accent",
  reprocessed: "success",
  discarded: "neutral",
};

export const JOB_STATE_LABEL: Record<ReprocessJobState, string> = {
  "pending-approval": "waiting for approval",
  canary: "canary running",
  running: "running",
  paused: "paused",
  stopped: "stopped",
  completed: "completed",
  rejected: "rejected",
};

export const JOB_STATE_TONE: Record<
  ReprocessJobState,
  "warning" | "accent" | "success" | "danger" | "neutral"
> = {
  "pending-approval": "warning",
  canary: "accent",
  running: "accent",
  paused: "neutral",
  stopped: "danger",
  completed: "success",
  rejected: "danger",
};

/** A job's progress in words: "3 of 10 done: 2 succeeded, 1 failed, 0 skipped; 1 running". */
export function progressText(p: ReprocessJobView["progress"]): string {
  const running = p.running ? `; ${p.running} running` : "";
  return `${p.done} of ${p.total} done: ${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped${running}`;
}

/** The share of a job's items done, 0..100. */
export function progressPercent(p: Pick<ReprocessJobView["progress"], "done" | "total">): number {
  return p.total > 0 ? Math.round((100 * p.done) / p.total) : 0;
}

/** What a person may do with a job in its state (editors only; the server checks again). */
export function jobActions(state: ReprocessJobState): ("pause" | "resume" | "cancel")[] {
  switch (state) {
    case "canary":
    case "running":
      return ["pause", "cancel"];
    case "paused":
      return ["resume", "cancel"];
    case "pending-approval":
      return ["cancel"];
    default:
      return [];
  }
}

/** The reprocess form as typed. */
export interface ReprocessForm {
  canary: string;
  ratePerMinute: string;
  stopOnFailure: boolean;
}

export const DEFAULT_REPROCESS_FORM: ReprocessForm = {
  canary: "1",
  ratePerMinute: "60",
  stopOnFailure: true,
};

/** The form's problems per field (empty: it can be sent). */
export function reprocessProblems(f: ReprocessForm): Partial<Record<keyof ReprocessForm, string>> {
  const out: Partial<Record<keyof ReprocessForm, string>> = {};
  const canary = Number(f.canary);
  if (!/^\d+$/.test(f.canary.trim()) || canary > 50)
    out.canary = "Use a whole number from 0 (no canary) to 50.";
  const rate = Number(f.ratePerMinute);
  if (!/^\d+$/.test(f.ratePerMinute.trim()) || rate < 1 || rate > 600)
    out.ratePerMinute = "Use a whole number from 1 to 600.";
  return out;
}

/** What the dialog sends: the selected ids, or the filter, with the form's pace. */
export function reprocessInputOf(
  target: { ids: string[] } | { filter: DeadLetterFilter },
  f: ReprocessForm,
): ReprocessInput {
  return {
    ...target,
    canary: Number(f.canary),
    ratePerMinute: Number(f.ratePerMinute),
    stopOnFailure: f.stopOnFailure,
  };
}

/** The filter in words, for the summary: "flow Billing sync, connector crm". */
export function filterText(
  f: DeadLetterFilter,
  workflowName: (id: string) => string | undefined,
): string {
  const parts: string[] = [];
  if (f.workflowId) parts.push(`flow ${workflowName(f.workflowId) ?? f.workflowId}`);
  if (f.block) parts.push(`block ${f.block}`);
  if (f.connector) parts.push(`connector ${f.connector}`);
  if (f.errorClass) parts.push(`error class ${f.errorClass}`);
  if (f.from) parts.push(`from ${f.from}`);
  if (f.to) parts.push(`before ${f.to}`);
  return parts.length ? parts.join(", ") : "no filter (every open dead letter)";
}

/**
 * What goes to the approvers, line by line: which dead letters, how each is reprocessed, the
 * canary, the rate and what a failure does.
 */
export function reprocessSummary(
  what: string,
  f: Pick<ReprocessForm, "stopOnFailure"> & { canary: number; ratePerMinute: number },
): string[] {
  return [
    what,
    "Each one: its run resumed from the dead-lettered step, as a new linked run (recorded outputs reused, completed writes not done again).",
    f.canary > 0
      ? `Canary: the first ${f.canary} alone; the rest only once they all succeeded (a failed canary stops the job).`
      : "No canary: every one may start at once, within the rate.",
    `Rate: at most ${f.ratePerMinute} started per minute.`,
    f.stopOnFailure
      ? "The first failure stops the job; the failed dead letter stays open."
      : "A failure does not stop the job; failed dead letters stay open.",
    "An approver or admin other than you approves it in the Approvals inbox before anything runs.",
  ];
}
