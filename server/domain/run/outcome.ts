/**
 * How a run ended, as people read it: its status, except that a run the engine concluded
 * `succeeded` while one of its steps was dead-lettered (a step with `on_error: continue` that
 * failed for good, kept in the dead-letter queue) is `succeeded_with_dead_letters`, never a
 * plain success. Dead letters are never deleted apart from their run, so the outcome derived
 * from them is stable: the run list, the run page, its badge and the API all use this function.
 */
import type { RunOutcome } from "@/lib/enums";
import type { RunStatus } from "@/server/engine/types";

/** A run's outcome: its status, or a success that left dead letters behind (`@/lib/enums`). */
export { RUN_OUTCOMES, type RunOutcome } from "@/lib/enums";

/** The outcome of a run with `status` and `deadLetters` dead-lettered steps. */
export function runOutcome(status: RunStatus, deadLetters: number): RunOutcome {
  return status === "succeeded" && deadLetters > 0 ? "succeeded_with_dead_letters" : status;
}
