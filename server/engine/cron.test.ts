import { describe, expect, it } from "vitest";
import { CronError, parseCron } from "./cron";

const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) =>
  Date.UTC(y, mo - 1, d, h, mi, s);
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

describe("parseCron", () => {
  it("fires every minute for * * * * *", () => {
    const c = parseCron("* * * * *");
    expect(iso(c.next(at(2026, 1, 1, 10, 0, 30)))).toBe("2026-01-01T10:01:00.000Z");
    expect(iso(c.next(at(2026, 1, 1, 10, 1)))).toBe("2026-01-01T10:02:00.000Z");
  });

  it("handles steps, ranges and lists", () => {
    const c = parseCron("*/15 9-17 * * *");
    expect(c.between(at(2026, 3, 2, 8, 50), at(2026, 3, 2, 9, 50)).map(iso)).toEqual([
      "2026-03-02T09:00:00.000Z",
      "2026-03-02T09:15:00.000Z",
      "2026-03-02T09:30:00.000Z",
      "2026-03-02T09:45:00.000Z",
    ]);
    expect(iso(c.next(at(2026, 3, 2, 17, 45)))).toBe("2026-03-03T09:00:00.000Z");
    expect(iso(parseCron("5,35 0 * * *").next(at(2026, 3, 2, 0, 5)))).toBe(
      "2026-03-02T00:35:00.000Z",
    );
    expect(iso(parseCron("10-50/20 * * * *").next(at(2026, 3, 2, 0, 31)))).toBe(
      "2026-03-02T00:50:00.000Z",
    );
    expect(iso(parseCron("7/20 * * * *").next(at(2026, 3, 2, 0, 28)))).toBe(
      "2026-03-02T00:47:00.000Z",
    );
  });

  it("understands month and weekday names, and 7 as Sunday", () => {
    // 2026-01-02 is a Friday.
    expect(iso(parseCron("0 9 * * mon-fri").next(at(2026, 1, 2, 9)))).toBe(
      "2026-01-05T09:00:00.000Z",
    );
    expect(iso(parseCron("0 0 1 JUL *").next(at(2026, 1, 1)))).toBe("2026-07-01T00:00:00.000Z");
    expect(iso(parseCron("0 12 * * 7").next(at(2026, 1, 1)))).toBe("2026-01-04T12:00:00.000Z");
    expect(iso(parseCron("0 12 * * sun").next(at(2026, 1, 1)))).toBe("2026-01-04T12:00:00.000Z");
  });

  it("matches either day field when both are restricted (Vixie cron)", () => {
    const c = parseCron("0 0 13 * fri");
    // 2026-02-06 is a Friday, before the 13th.
    expect(iso(c.next(at(2026, 2, 1)))).toBe("2026-02-06T00:00:00.000Z");
    expect(iso(c.next(at(2026, 2, 12)))).toBe("2026-02-13T00:00:00.000Z");
  });

  it("crosses month and year ends, and leap days", () => {
    expect(iso(parseCron("0 0 29 2 *").next(at(2026, 3, 1)))).toBe("2028-02-29T00:00:00.000Z");
    expect(iso(parseCron("59 23 31 12 *").next(at(2026, 12, 31, 23, 59)))).toBe(
      "2027-12-31T23:59:00.000Z",
    );
    expect(parseCron("0 0 31 2 *").next(at(2026, 1, 1))).toBeNull();
  });

  it("accepts a leading seconds field", () => {
    const c = parseCron("*/10 * * * * *");
    expect(iso(c.next(at(2026, 1, 1, 0, 0, 5)))).toBe("2026-01-01T00:00:10.000Z");
    expect(iso(c.next(at(2026, 1, 1, 0, 0, 55)))).toBe("2026-01-01T00:01:00.000Z");
  });

  it("matches instants", () => {
    const c = parseCron("30 14 * * 1");
    expect(c.matches(at(2026, 1, 5, 14, 30))).toBe(true);
    expect(c.matches(at(2026, 1, 6, 14, 30))).toBe(false);
  });

  it("rejects bad expressions with a message naming the field", () => {
    expect(() => parseCron("* * * *")).toThrow(CronError);
    expect(() => parseCron("60 * * * *")).toThrow(/minute 60 is out of range/);
    expect(() => parseCron("* 5-2 * * *")).toThrow(/runs backwards/);
    expect(() => parseCron("*/0 * * * *")).toThrow(/positive/);
    expect(() => parseCron("* * * foo *")).toThrow(/not a valid month/);
    expect(() => parseCron("1,,2 * * * *")).toThrow(/empty list item/);
  });
});
