/**
 * What the inbox shows of an approval, pure and tested (`approval-view.test.ts`): the words of its kinds and statuses, who decides in
 * words, the quorum, a replay plan's summary, and the client-side check of a decision (a
 * rejection needs a comment) that gives feedback before anything is sent. The server checks
 * everything again.
 */

import type { RouterOutputs } from "@/lib/trpc/types";

import {
  APPROVAL_KINDS,
  APPROVAL_STATUSES,
  type ApprovalKind,
  type ApprovalStatus,
} from "@/lib/enums";

export { APPROVAL_KINDS, APPROVAL_STATUSES };
export type { ApprovalKind, ApprovalStatus };

/** The list's status filter: still open, already decided (any final status), or both. */
export const STATUS_FILTERS = ["pending", "decided", "all"] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export type Decision = "approve" | "reject" | "submit";

/** One step of a replay plan: reused (recorded output carried over), re-executed or skipped. */
export interface ReplayPlanStep {
  id: string;
  /** `id@version` of the block. */
  block: string;
  action: "reuse" | "execute" | "skip";
  sideEffect: string;
  idempotencyKey: string | null;
  reason: string | null;
  /** Executed although it completed a write in the source run: the approval covers it. */
  redoesSideEffect?: boolean;
  /** The recorded attempt a reused step's output comes from. */
  reusedFrom?: { runId: string; attempt: number } | null;
}

/** What a replay will do, bound to its hash (the approval covers exactly this plan). */
export interface ReplayPlan {
  mode: "resume" | "from-step" | "full";
  sourceRunId: string;
  fromStep?: string | null;
  /** The target version, or null for a draft. */
  version: string | null;
  irHash: string;
  /** RFC 6902 operations on the source run's inputs. */
  inputsPatch: ReadonlyArray<{ op: string; path: string; value?: unknown; from?: string }>;
  steps: readonly ReplayPlanStep[];
  warnings: readonly string[];
  hash: string;
}

export interface ApproversSpec {
  role?: string;
  group?: string;
  users?: readonly string[];
}

/** An approval as `approval.list` and `approval.get` answer it. */
export type ApprovalView = RouterOutputs["approval"]["get"];

export const KIND_LABEL: Record<ApprovalKind, string> = {
  step: "Step approval",
  form: "Form",
  replay: "Replay",
  reprocess: "Reprocess job",
  fix: "Guardian fix",
};

export const STATUS_LABEL: Record<ApprovalStatus, string> = {
  pending: "pending",
  approved: "approved",
  rejected: "rejected",
  submitted: "submitted",
  expired: "expired",
  voided: "voided",
};

export const STATUS_TONE: Record<ApprovalStatus, "warning" | "success" | "danger" | "neutral"> = {
  pending: "warning",
  approved: "success",
  submitted: "success",
  rejected: "danger",
  expired: "neutral",
  voided: "neutral",
};

export const DECISION_LABEL: Record<Decision, string> = {
  approve: "approved",
  reject: "rejected",
  submit: "submitted",
};

/**
 * Who may decide, in words. A person qualifies by matching any of role, group or users; a role
 * admits the roles above it (viewer < editor < approver < admin).
 *
 * @example
 * approversText({ role: "approver" }); // "members with the approver role or above"
 * approversText({ group: "finance", users: ["a@x.dev"] }); // "the finance group or a@x.dev"
 */
export function approversText(a: ApproversSpec | null | undefined): string | null {
  if (!a) return null;
  const parts: string[] = [];
  if (a.role)
    parts.push(a.role === "admin" ? "admins" : `members with the ${a.role} role or above`);
  if (a.group) parts.push(`the ${a.group} group`);
  if (a.users?.length) parts.push(a.users.join(", "));
  return parts.length ? parts.join(" or ") : null;
}

/** The quorum in words: "2 approvals needed, 1 so far". */
export function quorumText(v: Pick<ApprovalView, "minApprovals" | "approvals">): string {
  const needed = `${v.minApprovals} approval${v.minApprovals === 1 ? "" : "s"} needed`;
  return v.approvals > 0 ? `${needed}, ${v.approvals} so far` : needed;
}

/** How many steps a plan reuses, re-executes and skips, and how many re-executed ones write. */
export function planCounts(plan: Pick<ReplayPlan, "steps">) {
  const counts = { reuse: 0, execute: 0, skip: 0, sideEffects: 0 };
  for (const s of plan.steps) {
    counts[s.action] += 1;
    if (s.action === "execute" && s.sideEffect === "write") counts.sideEffects += 1;
  }
  return counts;
}

export const REJECT_NEEDS_COMMENT = "A rejection needs a comment: say why.";
export const BREAK_GLASS_NEEDS_REASON = "Break glass needs a reason: say why it cannot wait.";

/** The comment's problem for `decision`, checked before sending (the server checks it too). */
export function commentProblem(decision: Decision, comment: string): string | null {
  return decision === "reject" && comment.trim() === "" ? REJECT_NEEDS_COMMENT : null;
}

/** The approval's title: what is being decided, in a few words. */
export function approvalTitle(v: Pick<ApprovalView, "kind" | "stepId" | "form" | "runId">) {
  switch (v.kind) {
    case "step":
      return `Approve step ${v.stepId ?? ""}`.trim();
    case "form":
      return v.form?.title ? `Fill in: ${v.form.title}` : `Fill in the form of ${v.stepId ?? ""}`;
    case "replay":
      return v.runId ? `Replay of run ${v.runId.slice(0, 8)}` : "Replay of a run";
    case "reprocess":
      return "Reprocess dead letters";
    case "fix":
      return "Release a guardian fix";
  }
}

/** What is decided, as the buttons' accessible names end: "step approve of run 1a2b3c4d". */
export function subjectOf(v: Pick<ApprovalView, "kind" | "stepId" | "form" | "runId">): string {
  const run = v.runId ? ` of run ${v.runId.slice(0, 8)}` : "";
  switch (v.kind) {
    case "step":
      return `step ${v.stepId ?? ""}${run}`;
    case "form":
      return `form ${v.form?.title ? `“${v.form.title}”` : (v.stepId ?? "")}${run}`;
    case "replay":
      return `replay${run}`;
    case "reprocess":
      return "reprocess job";
    case "fix":
      return "guardian fix";
  }
}

/**
 * What a decision that went through changed, for the inbox's status line: who still has to
 * approve, or what happens now.
 */
export function outcomeText(
  v: Pick<
    ApprovalView,
    "kind" | "status" | "minApprovals" | "approvals" | "stepId" | "form" | "runId"
  >,
): string {
  const what = subjectOf(v);
  switch (v.status) {
    case "pending": {
      const left = Math.max(0, v.minApprovals - v.approvals);
      return `Approved ${what}: ${left} more approval${left === 1 ? "" : "s"} needed.`;
    }
    case "approved":
      return v.kind === "replay"
        ? `Approved ${what}: the replay starts as a new run.`
        : v.kind === "reprocess"
          ? `Approved ${what}: the job starts.`
          : v.kind === "fix"
            ? `Approved ${what}: it is released as a new version of the flow.`
            : `Approved ${what}: the run continues.`;
    case "submitted":
      return `Submitted ${what}: the run continues.`;
    case "rejected":
      return v.kind === "step" || v.kind === "form"
        ? `Rejected ${what}: the step fails.`
        : `Rejected ${what}.`;
    default:
      return `${what}: ${STATUS_LABEL[v.status]}.`;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const ACTIONS = new Set(["reuse", "execute", "skip"]);

/**
 * The replay plan an approval carries, when it has the plan's shape (the router answers it as
 * stored JSON); null otherwise, and the inbox then shows no plan rather than a wrong one.
 */
export function replayPlanOf(plan: unknown): ReplayPlan | null {
  if (!isObject(plan) || !Array.isArray(plan.steps) || typeof plan.hash !== "string") return null;
  if (typeof plan.sourceRunId !== "string" || typeof plan.mode !== "string") return null;
  const stepsOk = plan.steps.every(
    (s) =>
      isObject(s) &&
      typeof s.id === "string" &&
      typeof s.block === "string" &&
      typeof s.action === "string" &&
      ACTIONS.has(s.action) &&
      typeof s.sideEffect === "string",
  );
  if (!stepsOk) return null;
  return {
    ...(plan as unknown as ReplayPlan),
    inputsPatch: Array.isArray(plan.inputsPatch)
      ? (plan.inputsPatch as ReplayPlan["inputsPatch"])
      : [],
    warnings: Array.isArray(plan.warnings) ? plan.warnings.map(String) : [],
  };
}

/** A JSON value as the inbox prints it (indented), or null when there is nothing to show. */
export function showJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "object" && Object.keys(value).length === 0) return null;
  return JSON.stringify(value, null, 2);
}
