/**
 * The next fire times of a cron expression, exactly as the scheduler will fire them: it parses
 * with the engine's parser (`server/engine/cron.ts`, the one `fireDueSchedules` uses: five
 * fields or six with seconds, names, ranges, steps, lists, the Vixie day-of-month OR
 * day-of-week rule) and in UTC, the scheduler's only time zone. A time the schedule editor shows
 * is a time a run starts; an expression the scheduler would refuse is refused here with the
 * parser's message.
 */
import { CronError, parseCron } from "@/server/engine/cron";
import { AppError } from "../errors";

/** How many fire times the schedule editor shows. */
export const PREVIEW_FIRES = 5;

/** Longest cron expression accepted (a valid one is far shorter). */
export const MAX_CRON_LENGTH = 200;

/** What a cron expression does from `after` on. */
export interface SchedulePreview {
  cron: string;
  /** The next fire times (epoch ms, UTC), at most `count`. */
  fires: number[];
  /**
   * Fewer than `count` were found: no further fire time within about five years of the last
   * one (`Cron.next`'s horizon), e.g. `0 0 31 2 *` never fires.
   */
  horizonReached: boolean;
}

/**
 * The next `count` fire times strictly after `after`. Throws `INVALID_INPUT` naming the problem
 * (the field, the value, the range) for an expression the scheduler cannot fire. Bounded: each
 * fire time is one walk of at most ~5 years that skips whole months, days, hours and minutes.
 */
export function previewSchedule(
  cron: string,
  after: number,
  count = PREVIEW_FIRES,
): SchedulePreview {
  const text = cron.trim();
  if (text.length === 0)
    throw new AppError("INVALID_INPUT", {
      message: "Enter a cron expression: minute hour day-of-month month day-of-week.",
      details: { field: "cron" },
    });
  if (text.length > MAX_CRON_LENGTH)
    throw new AppError("INVALID_INPUT", {
      message: `A cron expression has at most ${MAX_CRON_LENGTH} characters.`,
      details: { field: "cron" },
    });
  let parsed;
  try {
    parsed = parseCron(text);
  } catch (e) {
    if (e instanceof CronError)
      throw new AppError("INVALID_INPUT", {
        message: `Not a valid cron expression: ${e.message}.`,
        details: { field: "cron" },
      });
    throw e;
  }
  const fires: number[] = [];
  let t: number | null = after;
  while (fires.length < count) {
    t = parsed.next(t);
    if (t === null) break;
    fires.push(t);
  }
  return { cron: text, fires, horizonReached: fires.length < count };
}
