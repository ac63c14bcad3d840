/**
 * Replay runs: a run that starts with the recorded outputs of another run's steps. Those steps
 * are recorded in the new run as succeeded attempts (one checkpoint, written with the run's
 * creation) with a `step.reused` event naming the run they come from, so the restore of the
 * first advance finds them settled and never executes them. Which steps are reused, and the
 * idempotency keys of the others ({@link RunReplay}), come from the replay's plan
 * (`server/domain/replay/plan.ts`).
 */
import type { Checkpoint } from "./ports";
import type { AttemptRecord, NewEvent } from "./types";

/** A step of a replay run whose output comes from a recorded attempt of another run. */
export interface ReusedStep {
  stepId: string;
  blockId: string;
  /** The recorded attempt's inputs and output, as stored. */
  inputs: unknown;
  output: unknown;
  /** The recorded attempt's key (a later re-execution of the step would not need it). */
  idempotencyKey: string;
  fromRunId: string;
  fromAttempt: number;
}

/**
 * The checkpoint that records `steps` as reused in run `runId`: a succeeded attempt 1 each (no
 * duration, no worker) and a `step.reused` event (`{ fromRunId, attempt }`), deduplicated by
 * `reuse:<stepId>`. Commit it in the transaction that creates the run, before any worker can
 * claim it.
 */
export function reuseCheckpoint(runId: string, steps: ReusedStep[], now: number): Checkpoint {
  const attempts: AttemptRecord[] = [];
  const events: NewEvent[] = [];
  for (const s of steps) {
    attempts.push({
      runId,
      stepId: s.stepId,
      attempt: 1,
      status: "succeeded",
      blockId: s.blockId,
      inputs: s.inputs,
      output: s.output,
      error: null,
      classification: null,
      idempotencyKey: s.idempotencyKey,
      consentId: null,
      startedAt: now,
      finishedAt: now,
      durationMs: 0,
      retryAt: null,
      finishSeq: null,
      workerId: null,
    });
    events.push({
      type: "step.reused",
      stepId: s.stepId,
      key: `reuse:${s.stepId}`,
      data: { fromRunId: s.fromRunId, attempt: s.fromAttempt },
      at: now,
    });
  }
  return { attempts, events };
}
