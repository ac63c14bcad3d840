/**
 * What the run view derives from a run's records: step statuses at any event (the live canvas and
 * the scrubber), the run's status at that event, the compensations, and the formatting of
 * durations. The timeline (`timeline.ts`) and the human decisions (`decisions.ts`) live beside
 * it and are re-exported here, so the view imports one module. Pure: no React, no clock (callers
 * pass `now`).
 */

import {
  isCancellableRunStatus,
  isTerminalRunStatus,
  STEP_STATUSES,
  type RunOutcome,
  type RunStatus,
  type StepStatus,
} from "@/lib/enums";

import { baseStepId, isCompensation, type AttemptLike, type RunEventLike } from "./run-records";

export { baseStepId, isCompensation, type AttemptLike, type RunEventLike };
export * from "./timeline";
export * from "./decisions";

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
  // A replay run's reused step: recorded as succeeded with the source run's output.
  "step.reused": "succeeded",
  // A sandbox draft run's pinned step: recorded as succeeded with the pinned output.
  "step.pinned": "succeeded",
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
