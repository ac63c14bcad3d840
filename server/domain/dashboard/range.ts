/**
 * A dashboard range as rollup buckets: which grain, how many buckets, from when. Every page
 * query reads at most `count` buckets per entity, whatever the history's size.
 */
import type { DashboardRange } from "./schemas";
import { DAY_MS, GRAIN_MS, HOUR_MS, type Grain } from "./rollup-fold";

export interface RangeBuckets {
  grain: Grain;
  stepMs: number;
  count: number;
  /** The first bucket's start (epoch ms); the last bucket holds `now`. */
  from: number;
}

const PLAN: Readonly<Record<DashboardRange, { grain: Grain; count: number }>> = {
  "1h": { grain: "m", count: 60 },
  "24h": { grain: "h", count: 24 },
  "7d": { grain: "h", count: 168 },
  "30d": { grain: "d", count: 30 },
};

export function rangeBuckets(range: DashboardRange, now: number): RangeBuckets {
  const { grain, count } = PLAN[range];
  const stepMs = GRAIN_MS[grain];
  const last = Math.floor(now / stepMs) * stepMs;
  return { grain, stepMs, count, from: last - (count - 1) * stepMs };
}

/** The start of each bucket of the range, oldest first (for series without gaps). */
export function bucketStarts(r: RangeBuckets): number[] {
  return Array.from({ length: r.count }, (_, i) => r.from + i * r.stepMs);
}

/**
 * The range as kinds without minute rows (all but flows) read it: at least hours, from the
 * start of the hour the range begins in.
 */
export function coarseRange(r: RangeBuckets): { grain: Grain; from: number } {
  if (r.grain !== "m") return { grain: r.grain, from: r.from };
  return { grain: "h", from: Math.floor(r.from / HOUR_MS) * HOUR_MS };
}

/** A stretch of time read from one grain: `[from, to)` (`to` null: open). */
export interface Span {
  grain: Grain;
  from: number;
  to: number | null;
}

/**
 * Where a range's totals come from, exactly and with the fewest rows: from `from` at `grain`,
 * but whole days inside an hourly range from the day rows (7 d: the two partial days from hours,
 * the six whole days between from days: ~53 rows per entity instead of 168).
 */
export function spansOf(grain: Grain, from: number, now: number): Span[] {
  if (grain !== "h") return [{ grain, from, to: null }];
  const firstDay = Math.ceil(from / DAY_MS) * DAY_MS;
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  if (firstDay >= today) return [{ grain, from, to: null }];
  return [
    { grain: "h", from, to: firstDay },
    { grain: "d", from: firstDay, to: today },
    { grain: "h", from: today, to: null },
  ];
}

/** The SQL condition of `spans`, its parameters numbered from `$first`. */
export function spanWhere(spans: Span[], first: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts = spans.map((s) => {
    const g = `$${first + params.length}`;
    params.push(s.grain);
    const f = `$${first + params.length}`;
    params.push(new Date(s.from));
    if (s.to === null) return `("grain" = ${g} AND "bucket" >= ${f})`;
    const t = `$${first + params.length}`;
    params.push(new Date(s.to));
    return `("grain" = ${g} AND "bucket" >= ${f} AND "bucket" < ${t})`;
  });
  return { sql: `(${parts.join(" OR ")})`, params };
}
