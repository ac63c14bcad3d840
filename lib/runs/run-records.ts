/**
 * The records the run view reads (the fields of a run's events and attempts it needs) and how
 * their step ids name fan-out children and compensations. Shared by the status replay
 * (`run-state.ts`), the timeline (`timeline.ts`) and the decisions (`decisions.ts`).
 */

import type { AttemptStatus } from "@/lib/enums";

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
