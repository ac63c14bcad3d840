import { describe, expect, it } from "vitest";
import { coarseRange, rangeBuckets, spansOf, spanWhere } from "./range";
import { DAY_MS, HOUR_MS } from "./rollup-fold";

const NOW = Date.UTC(2026, 11, 6, 5, 42, 10);

describe("dashboard ranges", () => {
  it("map each range to its buckets, the last holding now", () => {
    const h = rangeBuckets("1h", NOW);
    expect(h).toMatchObject({ grain: "m", count: 60 });
    expect(h.from + 59 * 60_000).toBe(Date.UTC(2026, 11, 6, 5, 42));
    expect(rangeBuckets("7d", NOW)).toMatchObject({ grain: "h", count: 168 });
    expect(rangeBuckets("30d", NOW).from).toBe(Date.UTC(2026, 10, 7));
    expect(coarseRange(h)).toEqual({ grain: "h", from: Date.UTC(2026, 11, 6, 4) });
  });

  it("read whole days of an hourly range from day rows, the partial days from hours", () => {
    const r = rangeBuckets("7d", NOW);
    const spans = spansOf(r.grain, r.from, NOW);
    const today = Date.UTC(2026, 11, 6);
    expect(spans).toEqual([
      { grain: "h", from: r.from, to: Date.UTC(2026, 10, 30) },
      { grain: "d", from: Date.UTC(2026, 10, 30), to: today },
      { grain: "h", from: today, to: null },
    ]);
    // Contiguous: every hour of the range is read once.
    expect(r.from).toBe(Math.floor(NOW / HOUR_MS) * HOUR_MS - 167 * HOUR_MS);
    expect((spans[1]!.to! - spans[1]!.from) / DAY_MS).toBe(6);
    // 24 h has no whole day inside: hours only.
    const d = rangeBuckets("24h", NOW);
    expect(spansOf(d.grain, d.from, NOW)).toEqual([{ grain: "h", from: d.from, to: null }]);
    const w = spanWhere(spans, 2);
    expect(w.params).toHaveLength(8);
    expect(w.sql).toContain('"grain" = $5 AND "bucket" >= $6 AND "bucket" < $7');
  });
});
