/**
 * The human steps of a run as the view shows them: what a waiting approval, form or policy
 * exception asks (its banner), and who decided it, how and when. Pure: derived from the step's
 * attempts and the run's events.
 */

import type { RunEventLike } from "./run-records";

/** What an attempt of a human step holds for the view: its park data, output or error. */
export interface DecisionAttemptLike {
  stepId: string;
  attempt: number;
  status: string;
  finishedAt: number | null;
  output: unknown;
  error: { message?: string; detail?: Record<string, unknown> } | null;
}

/** A step waiting for a person, as its banner shows it. */
export interface PendingDecision {
  stepId: string;
  /** `approval`, `form` or a policy exception (`approval` from a `policy.check`). */
  reason: string;
  /** The approval's message, the form's title, or the policy's message. */
  message: string | null;
  /** Who may decide, in words: `role approver`, `group finance`, `a@x.dev, b@x.dev`. */
  approvers: string | null;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `{ role: "approver" }` → `role approver`; `{ users: [a, b] }` → `a, b`. */
export function describeApprovers(v: unknown): string | null {
  if (!isObj(v)) return null;
  if (typeof v.role === "string") return `role ${v.role}`;
  if (typeof v.group === "string") return `group ${v.group}`;
  if (Array.isArray(v.users) && v.users.length > 0) return v.users.map(String).join(", ");
  return null;
}

/**
 * What a waiting human step asks: the park data its runtime returned (kept as the waiting
 * attempt's output and on its `step.waiting` event): an approval's `message` and `approvers`,
 * a form's `title`, a policy exception's `message`. Null when the step's newest attempt is not
 * waiting.
 */
export function pendingDecisionOf(
  stepId: string,
  attempts: readonly DecisionAttemptLike[],
  events: readonly RunEventLike[] = [],
): PendingDecision | null {
  const latest = attempts
    .filter((a) => a.stepId === stepId)
    .reduce<DecisionAttemptLike | null>((m, a) => (!m || a.attempt > m.attempt ? a : m), null);
  if (!latest || latest.status !== "waiting") return null;
  const parked = [...events]
    .reverse()
    .find((e) => e.stepId === stepId && e.type === "step.waiting");
  const data = {
    ...(isObj(parked?.data) ? parked.data : {}),
    ...(isObj(latest.output) ? latest.output : {}),
  };
  const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : null);
  return {
    stepId,
    reason: text(data.reason) ?? "approval",
    message: text(data.message) ?? text(data.title),
    approvers: describeApprovers(data.approvers),
  };
}

/** Who decided a human step, and how. */
export interface DecisionView {
  outcome: "approved" | "rejected" | "submitted" | "timed out";
  /** Who decided (empty when a timeout decided). */
  by: string[];
  /** Epoch ms of the decision, when known. */
  at: number | null;
  comment: string | null;
}

/**
 * The decision of a human step (approval, form, policy exception): from the `step.resumed`
 * event that delivered it (it names the person, the time and the comment), else from what the
 * step recorded: an approval's `decidedBy`/`decidedAt`, a form's `submittedBy`/`submittedAt`,
 * a rejection's error detail. Null while nobody has decided.
 */
export function decisionOf(
  stepId: string,
  attempts: readonly DecisionAttemptLike[],
  events: readonly RunEventLike[],
): DecisionView | null {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  const time = (v: unknown) =>
    typeof v === "number"
      ? v
      : typeof v === "string" && !Number.isNaN(Date.parse(v))
        ? Date.parse(v)
        : null;
  const latest = attempts
    .filter((a) => a.stepId === stepId)
    .reduce<DecisionAttemptLike | null>((m, a) => (!m || a.attempt > m.attempt ? a : m), null);
  const out = isObj(latest?.output) ? latest.output : {};
  const resumed = [...events]
    .reverse()
    .find(
      (e) =>
        e.stepId === stepId && e.type === "step.resumed" && isObj(e.data) && text(e.data.decidedBy),
    );
  if (resumed && isObj(resumed.data)) {
    const d = resumed.data;
    const submitted = latest?.status === "succeeded" && "submittedBy" in out;
    return {
      outcome: d.approved === false ? "rejected" : submitted ? "submitted" : "approved",
      by: [String(d.decidedBy)],
      at: time(d.decidedAt) ?? resumed.at,
      comment: text(d.comment),
    };
  }
  if (!latest) return null;
  if (latest.status === "succeeded") {
    if (out.timedOut === true)
      return { outcome: "timed out", by: [], at: time(out.decidedAt), comment: null };
    if (Array.isArray(out.decidedBy) && out.decidedBy.length > 0)
      return {
        outcome: "approved",
        by: out.decidedBy.map(String),
        at: time(out.decidedAt),
        comment: text(out.comment),
      };
    if (text(out.submittedBy))
      return {
        outcome: "submitted",
        by: [String(out.submittedBy)],
        at: time(out.submittedAt),
        comment: null,
      };
  }
  const detail = latest.error?.detail;
  if (latest.status === "failed" && isObj(detail) && text(detail.decidedBy))
    return {
      outcome: "rejected",
      by: [String(detail.decidedBy)],
      at: latest.finishedAt,
      comment: text(detail.comment),
    };
  return null;
}
