/**
 * Pinned step outputs (issue 16): a draft run in a sandbox session may start with some steps'
 * outputs given (pinned from a recorded run, or typed in), so the steps after them can be tried
 * without calling those steps again. Like a replay's reused steps (`replay.ts`), a pinned step is
 * recorded with the run's creation as a succeeded attempt 1, so the first advance finds it
 * settled and never executes it; a `step.pinned` event marks it for the run view and the canvas.
 *
 * Only a sandbox run may carry pins: {@link pinCheckpoint} refuses a run outside a session, so
 * a real run can never skip a step on a pinned output.
 */
import type { FlowIR } from "@/dsl";
import type { Checkpoint } from "./ports";
import type { AttemptRecord, NewEvent } from "./types";

/** A step's pinned output, as the caller stores it. */
export interface PinnedOutput {
  stepId: string;
  output: unknown;
  /** The recorded run the output was copied from; null when typed in. */
  fromRunId: string | null;
}

/** Pins of steps the flow does not have (renamed or deleted since) are ignored. */
export function pinsForFlow(ir: FlowIR, pins: readonly PinnedOutput[]): PinnedOutput[] {
  const ids = new Set(ir.steps.map((s) => s.id));
  return pins.filter((p) => ids.has(p.stepId));
}

/**
 * The checkpoint that records `pins` in run `run` (a sandbox run): per pinned step of `ir`, a
 * succeeded attempt 1 with the pinned output (no inputs, no duration, no worker) and a
 * `step.pinned` event (`{ fromRunId }`), deduplicated by `pin:<stepId>`. Commit it in the
 * transaction that creates the run, before any worker can claim it. Throws for a run outside a
 * sandbox session.
 */
export function pinCheckpoint(
  run: { id: string; sandboxSessionId?: string | null },
  ir: FlowIR,
  pins: readonly PinnedOutput[],
  now: number,
): Checkpoint {
  if (!run.sandboxSessionId)
    throw new Error("pinned outputs apply only to runs in a sandbox session");
  const blocks = new Map(ir.steps.map((s) => [s.id, s.block.id]));
  const attempts: AttemptRecord[] = [];
  const events: NewEvent[] = [];
  for (const p of pinsForFlow(ir, pins)) {
    attempts.push({
      runId: run.id,
      stepId: p.stepId,
      attempt: 1,
      status: "succeeded",
      blockId: blocks.get(p.stepId)!,
      inputs: null,
      output: p.output,
      error: null,
      classification: null,
      idempotencyKey: `pin:${run.id}:${p.stepId}`,
      consentId: null,
      startedAt: now,
      finishedAt: now,
      durationMs: 0,
      retryAt: null,
      finishSeq: null,
      workerId: null,
    });
    events.push({
      type: "step.pinned",
      stepId: p.stepId,
      key: `pin:${p.stepId}`,
      data: { fromRunId: p.fromRunId },
      at: now,
    });
  }
  return { attempts, events };
}
