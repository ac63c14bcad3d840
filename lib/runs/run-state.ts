/**
 * What the run view derives from a run's records: step statuses at any event (the live canvas and
 * the scrubber), the run's status at that event, and the timeline's rows and bars. Pure: no
 * React, no clock (callers pass `now`).
 */

import {
  isCancellableRunStatus,
  isTerminalRunStatus,
  STEP_STATUSES,
  type AttemptStatus,
  type RunOutcome,
  type RunStatus,
  type StepStatus,
} from "@/lib/enums";

export { STEP_STATUSES, type RunOutcome, type RunStatus, type StepStatus };

/** The words of each outcome (badges, filters, the replay banner). */
export const OUTCOME_LABEL: Record<RunOutcome, string> = {
  queued: "queued",
  running: "running",
  waiting: "waiting",
  succeeded: "succeeded",
  succeeded_with_dead_letters: "succeeded with dead letters",
  failed: "failed",
  cancelled: "cancelled",
  compensated: "compensated",
};

/** The outcomes in the order people read them (badges, the run list's filter). */
export const OUTCOMES_IN_ORDER = Object.keys(OUTCOME_LABEL) as RunOutcome[];

/** Whether a run status is final (no more events will come). */
export const isTerminal = isTerminalRunStatus;

/** Whether a run may still be cancelled. */
export const isCancellable = isCancellableRunStatus;

/** The fields of a `RunEvent` the view reads. */
export interface RunEventLike {
  seq: number;
  type: string;
  stepId: string | null;
  data: unknown;
  at: number;
}

/** The fields of a `StepAttempt` the view reads. */
export interface AttemptLike {
  stepId: string;
  attempt: number;
  status: AttemptStatus;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  retryAt: number | null;
}

/**
 * The IR step an attempt or event belongs to: fan-out children are `<step>[i]` (nested:
 * `<step>[i][j]`), compensations `<step>~compensate`.
 */
export function baseStepId(id: string): string {
  return id.replace(/~compensate$/, "").replace(/(\[\d+\])+$/, "");
}

/** Whether the id names a compensation of a step. */
export function isCompensation(id: string): boolean {
  return id.endsWith("~compensate");
}

/**
 * Step statuses after replaying `events` up to and including `upToSeq` (every event when
 * omitted). Steps without an event are `pending`. A retry keeps the step `running`; a fan-out
 * child makes its parent `running` until the parent's own result; a compensation that succeeds
 * makes its step `compensated`.
 */
export function stepStatusesAt(
  stepIds: readonly string[],
  events: readonly RunEventLike[],
  upToSeq = Number.POSITIVE_INFINITY,
): Record<string, StepStatus> {
  const out: Record<string, StepStatus> = {};
  for (const id of stepIds) out[id] = "pending";
  for (const e of events) {
    if (e.seq > upToSeq) break;
    if (!e.stepId) continue;
    const base = baseStepId(e.stepId);
    if (!(base in out)) continue;
    if (isCompensation(e.stepId)) {
      if (e.type === "step.succeeded") out[base] = "compensated";
      else if (e.type === "step.failed") out[base] = "failed";
      continue;
    }
    if (base !== e.stepId) {
      if (out[base] === "pending") out[base] = "running";
      continue;
    }
    const next = STATUS_OF_EVENT[e.type];
    if (next) out[base] = next;
  }
  return out;
}

const STATUS_OF_EVENT: Record<string, StepStatus | undefined> = {
  "step.started": "running",
  "step.resumed": "running",
  "step.retry_scheduled": "running",
  "step.waiting": "waiting",
  "step.succeeded": "succeeded",
  "step.failed": "failed",
  "step.skipped": "skipped",
};

/** The run's status after replaying `events` up to `upToSeq`. */
export function runStatusAt(
  events: readonly RunEventLike[],
  upToSeq = Number.POSITIVE_INFINITY,
): RunStatus {
  let status: RunStatus = "queued";
  for (const e of events) {
    if (e.seq > upToSeq) break;
    if (e.type.startsWith("run.")) {
      const s = e.type.slice(4);
      if (s === "started" || s === "compensating") status = "running";
      else if (s in RUN_STATUS_NAMES) status = s as RunStatus;
    } else if (status === "waiting" && (e.type === "step.resumed" || e.type === "step.started")) {
      status = "running";
    } else if (status === "queued") {
      status = "running";
    }
  }
  return status;
}

/**
 * The run's outcome after replaying `events` up to `upToSeq`: {@link runStatusAt}, where a
 * success preceded by a `step.dead_lettered` event is `succeeded_with_dead_letters`.
 */
export function runOutcomeAt(
  events: readonly RunEventLike[],
  upToSeq = Number.POSITIVE_INFINITY,
): RunOutcome {
  const status = runStatusAt(events, upToSeq);
  if (status !== "succeeded") return status;
  return deadLetteredAt(events, upToSeq).size > 0 ? "succeeded_with_dead_letters" : status;
}

/** The steps (IR step ids) dead-lettered by `upToSeq`. */
export function deadLetteredAt(
  events: readonly RunEventLike[],
  upToSeq = Number.POSITIVE_INFINITY,
): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    if (e.seq > upToSeq) break;
    if (e.type === "step.dead_lettered" && e.stepId) out.add(baseStepId(e.stepId));
  }
  return out;
}

const RUN_STATUS_NAMES: Record<RunStatus, true> = {
  queued: true,
  running: true,
  waiting: true,
  succeeded: true,
  failed: true,
  cancelled: true,
  compensated: true,
};

/** Merges two event lists by seq (the stream may repeat what a refetch already holds). */
export function mergeEvents<E extends RunEventLike>(a: readonly E[], b: readonly E[]): E[] {
  const bySeq = new Map<number, E>();
  for (const e of a) bySeq.set(e.seq, e);
  for (const e of b) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}

/** The step a human can decide now (the newest attempt of an approval/form/policy step waits). */
export function waitingSteps(attempts: readonly AttemptLike[]): string[] {
  const latest = latestAttempts(attempts);
  return [...latest.values()].filter((a) => a.status === "waiting").map((a) => a.stepId);
}

function latestAttempts(attempts: readonly AttemptLike[]): Map<string, AttemptLike> {
  const latest = new Map<string, AttemptLike>();
  for (const a of attempts) {
    const prev = latest.get(a.stepId);
    if (!prev || a.attempt > prev.attempt) latest.set(a.stepId, a);
  }
  return latest;
}

export type BarKind = "succeeded" | "failed" | "running" | "waiting" | "skipped" | "retry-wait";

/** One bar of the timeline, in ms since the run's start. */
export interface TimelineBar {
  kind: BarKind;
  attempt: number;
  start: number;
  end: number;
  /** Whether the bar is still growing (running or waiting now). */
  open: boolean;
}

export interface TimelineRow {
  stepId: string;
  /** Indented under its IR step (fan-out child or compensation). */
  nested: boolean;
  /** The row of a compensation (`<step>~compensate`): drawn in the saga's colours. */
  compensation: boolean;
  bars: TimelineBar[];
}

export interface Timeline {
  /** Epoch ms of the time axis' origin. */
  origin: number;
  /** Length of the axis in ms (at least 1). */
  span: number;
  rows: TimelineRow[];
}

/**
 * The Gantt of a run: one row per IR step (children and compensations follow their step), one
 * bar per attempt coloured by outcome, a `retry-wait` bar from a failed attempt to its retry, and
 * waits (a person, a timer) as `waiting` bars from the park to the resume. Open bars end at `now`
 * (or the run's end).
 */
export function buildTimeline(input: {
  stepIds: readonly string[];
  attempts: readonly AttemptLike[];
  events: readonly RunEventLike[];
  origin: number;
  /** The run's end, or the current time while it runs. */
  end: number;
}): Timeline {
  const { origin } = input;
  const rel = (t: number) => Math.max(0, t - origin);
  const rows = new Map<string, TimelineRow>();
  for (const id of input.stepIds)
    rows.set(id, { stepId: id, nested: false, compensation: false, bars: [] });
  const extra = new Map<string, TimelineRow[]>();
  const rowFor = (stepId: string): TimelineRow => {
    const existing = rows.get(stepId);
    if (existing) return existing;
    const row: TimelineRow = {
      stepId,
      nested: true,
      compensation: isCompensation(stepId),
      bars: [],
    };
    rows.set(stepId, row);
    const base = baseStepId(stepId);
    extra.set(base, [...(extra.get(base) ?? []), row]);
    return row;
  };
  // Where each attempt parked and resumed, from the events (an attempt row keeps only its ends).
  const waits = new Map<string, Array<{ from: number; to: number | null }>>();
  for (const e of input.events) {
    if (!e.stepId) continue;
    const key = `${e.stepId}#${attemptOf(e.data) ?? 1}`;
    if (e.type === "step.waiting") {
      waits.set(key, [...(waits.get(key) ?? []), { from: e.at, to: null }]);
    } else if (
      e.type === "step.resumed" ||
      e.type === "step.succeeded" ||
      e.type === "step.failed"
    ) {
      const open = waits.get(key)?.find((w) => w.to === null);
      if (open) open.to = e.at;
    }
  }
  const sorted = [...input.attempts].sort(
    (a, b) => a.startedAt - b.startedAt || a.attempt - b.attempt,
  );
  for (const a of sorted) {
    const row = rowFor(a.stepId);
    const open = a.status === "running" || a.status === "waiting";
    const parks = waits.get(`${a.stepId}#${a.attempt}`) ?? [];
    const firstPark = parks[0]?.from;
    const end = open ? input.end : (a.finishedAt ?? a.startedAt + (a.durationMs ?? 0));
    // The working part of the attempt, up to its first park.
    const workEnd = firstPark !== undefined ? Math.min(firstPark, end) : end;
    const kind: BarKind = a.status === "waiting" ? "running" : a.status;
    row.bars.push({
      kind,
      attempt: a.attempt,
      start: rel(a.startedAt),
      end: rel(workEnd),
      open: open && firstPark === undefined,
    });
    for (const p of parks) {
      const to = p.to ?? (open ? input.end : end);
      row.bars.push({
        kind: "waiting",
        attempt: a.attempt,
        start: rel(p.from),
        end: rel(to),
        open: p.to === null && open,
      });
      if (p.to !== null && p.to < end && a.status !== "waiting") {
        row.bars.push({
          kind,
          attempt: a.attempt,
          start: rel(p.to),
          end: rel(end),
          open: false,
        });
      }
    }
    if (a.retryAt !== null && a.status === "failed") {
      row.bars.push({
        kind: "retry-wait",
        attempt: a.attempt,
        start: rel(end),
        end: rel(a.retryAt),
        open: false,
      });
    }
  }
  const ordered: TimelineRow[] = [];
  for (const id of input.stepIds) {
    ordered.push(rows.get(id)!);
    ordered.push(...(extra.get(id) ?? []));
  }
  for (const [base, list] of extra) if (!input.stepIds.includes(base)) ordered.push(...list);
  const maxEnd = Math.max(rel(input.end), ...ordered.flatMap((r) => r.bars.map((b) => b.end)), 1);
  return { origin, span: maxEnd, rows: ordered };
}

/** The smallest width a timeline bar is drawn with, so a 2 ms step stays visible and clickable. */
export const MIN_BAR_PX = 6;

/**
 * Where a bar sits on its track, as CSS: `left` and `width` in percent of the run's span, at
 * least {@link MIN_BAR_PX} wide, and never past the track's end (a short bar at the very end
 * moves left instead of overflowing).
 */
export function barPlacement(
  start: number,
  end: number,
  span: number,
): { left: string; width: string } {
  const s = span > 0 ? span : 1;
  const clamp = (v: number) => Math.min(100, Math.max(0, v));
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const left = round(clamp((start / s) * 100));
  const width = round(Math.min(clamp(((end - start) / s) * 100), 100 - left));
  return {
    left: `min(${left}%, calc(100% - ${MIN_BAR_PX}px))`,
    width: `max(${width}%, ${MIN_BAR_PX}px)`,
  };
}

/** A compensation of the run as the canvas draws it: a node beside the step it undoes. */
export interface CompensationView {
  /** `<step>~compensate`, the id of its attempts and events. */
  id: string;
  /** The step it undoes. */
  stepId: string;
  /** The compensating block as written (`billing.account.archive@1`). */
  uses: string;
  status: StepStatus;
}

/**
 * The compensations that had started by `upToSeq`, in the order they ran (the saga undoes
 * completed writes last first), each with its status: running (retries included), succeeded
 * or failed.
 */
export function compensationsAt(
  steps: ReadonlyArray<{ id: string; compensate?: { uses: string } | null }>,
  events: readonly RunEventLike[],
  upToSeq = Number.POSITIVE_INFINITY,
): CompensationView[] {
  const uses = new Map(steps.map((s) => [s.id, s.compensate?.uses ?? null]));
  const out = new Map<string, CompensationView>();
  for (const e of events) {
    if (e.seq > upToSeq) break;
    if (!e.stepId || !isCompensation(e.stepId)) continue;
    const stepId = baseStepId(e.stepId);
    const view = out.get(e.stepId) ?? {
      id: e.stepId,
      stepId,
      uses: uses.get(stepId) ?? "compensation",
      status: "running" as StepStatus,
    };
    if (e.type === "step.succeeded") view.status = "succeeded";
    else if (e.type === "step.failed") view.status = "failed";
    else if (e.type === "step.started" || e.type === "step.retry_scheduled")
      view.status = "running";
    out.set(e.stepId, view);
  }
  return [...out.values()];
}

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

function attemptOf(data: unknown): number | undefined {
  if (data && typeof data === "object" && "attempt" in data) {
    const n = (data as { attempt: unknown }).attempt;
    return typeof n === "number" ? n : undefined;
  }
  return undefined;
}

/** `850 ms`, `12.4 s`, `3 min 5 s`, `2 h 4 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} min`;
}

/** Epoch ms of a value that may be a number, a Date or an ISO string. */
export function toMs(v: number | Date | string | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return v;
  const t = typeof v === "string" ? Date.parse(v) : v.getTime();
  return Number.isNaN(t) ? null : t;
}
