/**
 * A dashboard range as rollup buckets: which grain, how many buckets, from when. Every page
 * query reads at most `count` buckets per entity, whatever the history's size.
 */
import type { DashboardRange } from "./schemas";
import { GRAIN_MS, HOUR_MS, type Grain } from "./rollup-fold";

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
