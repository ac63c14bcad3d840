import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { PREVIEW_FIRES, previewSchedule } from "./schedule-preview";

const iso = (t: number) => new Date(t).toISOString();
const at = (s: string) => Date.parse(s);

function refusal(cron: string): AppError {
  try {
    previewSchedule(cron, at("2026-01-01T00:00:00Z"));
  } catch (e) {
    return e as AppError;
  }
  throw new Error(`"${cron}" was accepted`);
}

describe("previewSchedule", () => {
  it("gives the next five fire times strictly after now, in UTC", () => {
    const p = previewSchedule("*/15 9-17 * * mon-fri", at("2026-12-04T16:40:00Z"));
    expect(p.fires.map(iso)).toEqual([
      "2026-12-04T16:45:00.000Z",
      "2026-12-04T17:00:00.000Z",
      "2026-12-04T17:15:00.000Z",
      "2026-12-04T17:30:00.000Z",
      "2026-12-04T17:45:00.000Z",
    ]);
    expect(p.fires).toHaveLength(PREVIEW_FIRES);
    expect(p.horizonReached).toBe(false);
    // A fire time equal to now is past: the scheduler fired it already.
    expect(iso(previewSchedule("0 * * * *", at("2026-12-04T16:00:00Z")).fires[0]!)).toBe(
      "2026-12-04T17:00:00.000Z",
    );
  });

  it("keeps firing at the same UTC time across a daylight saving change", () => {
    // Europe/Berlin leaves summer time on 2026-10-25: the scheduler, in UTC, does not move;
    // only the local rendering of its times does (components/workflows/schedule-times.ts).
    const p = previewSchedule("0 9 * * *", at("2026-10-23T12:00:00Z"));
    expect(p.fires.map(iso)).toEqual([
      "2026-10-24T09:00:00.000Z",
      "2026-10-25T09:00:00.000Z",
      "2026-10-26T09:00:00.000Z",
      "2026-10-27T09:00:00.000Z",
      "2026-10-28T09:00:00.000Z",
    ]);
    const gaps = p.fires.slice(1).map((t, i) => t - p.fires[i]!);
    expect(new Set(gaps)).toEqual(new Set([86_400_000]));
  });

  it("fires on either day field when both are restricted (Vixie cron)", () => {
    // The 13th of each month and every Friday: 2026-02-06 is a Friday.
    expect(previewSchedule("0 0 13 * 5", at("2026-02-01T00:00:00Z")).fires.map(iso)).toEqual([
      "2026-02-06T00:00:00.000Z",
      "2026-02-13T00:00:00.000Z",
      "2026-02-20T00:00:00.000Z",
      "2026-02-27T00:00:00.000Z",
      "2026-03-06T00:00:00.000Z",
    ]);
  });

  it("finds rare fire times years apart, and says when there is none", () => {
    const leap = previewSchedule("0 0 29 2 *", at("2026-01-01T00:00:00Z"));
    expect(leap.fires.map(iso)).toEqual([
      "2028-02-29T00:00:00.000Z",
      "2032-02-29T00:00:00.000Z",
      "2036-02-29T00:00:00.000Z",
      "2040-02-29T00:00:00.000Z",
      "2044-02-29T00:00:00.000Z",
    ]);
    expect(leap.horizonReached).toBe(false);
    // February never has a 31st: no fire time, said so, in bounded time.
    const never = previewSchedule("0 0 31 2 *", at("2026-01-01T00:00:00Z"));
    expect(never).toMatchObject({ fires: [], horizonReached: true });
  });

  it("refuses what the scheduler cannot fire, naming the problem, as INVALID_INPUT", () => {
    const cases: Array<[string, RegExp]> = [
      ["", /Enter a cron expression/],
      ["   ", /Enter a cron expression/],
      ["* * * *", /expected 5 fields .* found 4/],
      ["61 * * * *", /minute 61 is out of range 0-59/],
      ["0 0 L * *", /"L" is not a valid day of month/],
      ["@daily", /expected 5 fields/],
      ["*/0 * * * *", /step "0" in minute must be a positive number/],
      ["0 17-9 * * *", /range "17-9" in hour runs backwards/],
      ["x".repeat(201), /at most 200 characters/],
    ];
    for (const [cron, message] of cases) {
      const e = refusal(cron);
      expect(e, cron).toBeInstanceOf(AppError);
      expect(e.code, cron).toBe("INVALID_INPUT");
      expect(e.message, cron).toMatch(message);
      expect(e.details, cron).toEqual({ field: "cron" });
    }
  });

  it("agrees with croner (UTC, day fields OR-ed) on the expressions both accept", () => {
    // croner is an independent implementation; configured with the scheduler's semantics it
    // must produce the same fire times, or one of the two parsers is wrong.
    const from = at("2026-03-27T22:59:30Z");
    for (const cron of [
      "* * * * *",
      "*/7 * * * *",
      "5,35 0 * * *",
      "10-50/20 * * * *",
      "0 9 * * mon-fri",
      "0 0 1 jul *",
      "0 0 13 * 5",
      "30 2 * * 0",
      "30 2 * * 7",
      "0 0 29 2 *",
      "15 14 1 * *",
      "0 22 * * 1-5",
      "0 0,12 1 */2 *",
      "*/10 * * * * *",
    ]) {
      const ours = previewSchedule(cron, from).fires;
      const theirs = new Cron(cron, { timezone: "UTC", domAndDow: false, paused: true })
        .nextRuns(PREVIEW_FIRES, new Date(from))
        .map((d) => d.getTime());
      expect(ours.map(iso), cron).toEqual(theirs.map(iso));
    }
  });
});
