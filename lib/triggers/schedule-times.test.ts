import { describe, expect, it } from "vitest";
import { describeFire } from "./schedule-times";

describe("describeFire", () => {
  it("shows a fire time in UTC and in the viewer's zone, whose offset follows DST", () => {
    // The scheduler fires `0 9 * * *` at 09:00 UTC every day; Berlin sees 11:00 in summer
    // time and 10:00 once clocks go back (2026-10-25).
    expect(describeFire("2026-10-24T09:00:00.000Z", "Europe/Berlin")).toEqual({
      utc: "Sat, 24 Oct 2026, 09:00:00 UTC",
      local: "Sat 24 Oct, 11:00 CEST",
      timeZone: "Europe/Berlin",
    });
    expect(describeFire("2026-10-25T09:00:00.000Z", "Europe/Berlin").local).toBe(
      "Sun 25 Oct, 10:00 CET",
    );
    // New York changes a week later (2026-11-01).
    expect(describeFire("2026-10-31T09:00:00.000Z", "America/New_York").local).toBe(
      "Sat 31 Oct, 05:00 GMT-4",
    );
    expect(describeFire("2026-11-01T09:00:00.000Z", "America/New_York").local).toBe(
      "Sun 01 Nov, 04:00 GMT-5",
    );
    // A viewer in UTC gets no second column.
    expect(describeFire("2026-11-01T09:00:00.000Z", "Etc/UTC")).toEqual({
      utc: "Sun, 01 Nov 2026, 09:00:00 UTC",
      local: null,
      timeZone: "Etc/UTC",
    });
  });
});
