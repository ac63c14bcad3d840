/**
 * What the detector measures, per entity per 5-minute bucket (pure): counts that add up, so a
 * window is the sum of its buckets and a bucket row is updated by adding a batch's delta.
 *
 * - `flow` (a workflow, all versions): `runs`, `calls` = its step attempts, `failures` = failed
 *   runs, `latency` = run durations;
 * - `block` (a block version), `endpoint` (`system:block`), `model`: `runs` = runs it took part
 *   in, `calls` = its attempts, `failures` = failed attempts, `latency` = attempt durations,
 *   `writes` = attempts of a write block, `tokens`/`cost` = an agent step's usage, `outBytes` =
 *   the size of its outputs' JSON.
 *
 * The metrics of a window ({@link metricValue}): error rate, p95 latency, calls per run,
 * tokens, cost and output volume per call (per run for a flow), and writes per window.
 */

/** Entity kinds the detector watches (as the trust fold names them). */
export const ENTITY_KINDS = ["flow", "block", "endpoint", "model"] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** The metrics of a window. */
export const METRICS = [
  "error_rate",
  "p95_latency",
  "calls_per_run",
  "tokens",
  "cost",
  "output_volume",
  "writes",
] as const;
export type Metric = (typeof METRICS)[number];

/** Words for each metric, as the UI and alerts say them. */
export const METRIC_LABELS: Readonly<Record<Metric, string>> = {
  error_rate: "error rate",
  p95_latency: "p95 latency (ms)",
  calls_per_run: "calls per run",
  tokens: "tokens per call",
  cost: "cost per call (USD)",
  output_volume: "output bytes per call",
  writes: "writes per 15 minutes",
};

/** One bucket's length. */
export const BUCKET_MS = 5 * 60_000;
/** A detection window: the last three buckets (15 minutes). */
export const WINDOW_BUCKETS = 3;
export const WINDOW_MS = BUCKET_MS * WINDOW_BUCKETS;

/** Latency histogram: bin i holds durations in [1.25^i, 1.25^(i+1)) ms (bin 0 also below). */
export const LATENCY_BINS = 64;
const RATIO = 1.25;
const LOG_RATIO = Math.log(RATIO);

/** The bin of a duration. */
export function latencyBin(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(LATENCY_BINS - 1, Math.floor(Math.log(ms) / LOG_RATIO));
}

/** Counts of one entity in one bucket (or a window of them). */
export interface BucketStats {
  runs: number;
  calls: number;
  failures: number;
  writes: number;
  /** {@link LATENCY_BINS} counts. */
  latency: number[];
  tokens: number;
  cost: number;
  outBytes: number;
}

export function emptyStats(): BucketStats {
  return {
    runs: 0,
    calls: 0,
    failures: 0,
    writes: 0,
    latency: new Array<number>(LATENCY_BINS).fill(0),
    tokens: 0,
    cost: 0,
    outBytes: 0,
  };
}

/** Adds `b` into `a` (mutates and returns `a`). */
export function addStats(a: BucketStats, b: BucketStats): BucketStats {
  a.runs += b.runs;
  a.calls += b.calls;
  a.failures += b.failures;
  a.writes += b.writes;
  a.tokens += b.tokens;
  a.cost += b.cost;
  a.outBytes += b.outBytes;
  for (let i = 0; i < LATENCY_BINS; i++) a.latency[i]! += b.latency[i] ?? 0;
  return a;
}

/** The q-quantile of a histogram (the bin's geometric middle), null when empty. */
export function histogramQuantile(h: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of h) total += c;
  if (!total) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i]!;
    if (seen >= rank) return i === 0 ? 1 : RATIO ** (i + 0.5);
  }
  return RATIO ** (h.length - 0.5);
}

/** Observations below which a window says nothing of a metric. */
export const MIN_WINDOW_N: Readonly<Record<Metric, number>> = {
  error_rate: 10,
  p95_latency: 20,
  calls_per_run: 3,
  tokens: 5,
  cost: 5,
  output_volume: 5,
  writes: 1,
};

/** A metric's value in a window and its n; null when the window says nothing of it. */
export function metricValue(
  kind: EntityKind,
  s: BucketStats,
  metric: Metric,
): { value: number; n: number } | null {
  const perCall = kind === "flow" ? s.runs : s.calls;
  let v: { value: number; n: number } | null;
  switch (metric) {
    case "error_rate":
      v = perCall ? { value: s.failures / perCall, n: perCall } : null;
      break;
    case "p95_latency": {
      const p = histogramQuantile(s.latency, 0.95);
      v = p === null ? null : { value: p, n: s.latency.reduce((x, y) => x + y, 0) };
      break;
    }
    case "calls_per_run":
      v = s.runs ? { value: s.calls / s.runs, n: s.runs } : null;
      break;
    case "tokens":
      v = perCall && s.tokens > 0 ? { value: s.tokens / perCall, n: perCall } : null;
      break;
    case "cost":
      v = perCall && s.cost > 0 ? { value: s.cost / perCall, n: perCall } : null;
      break;
    case "output_volume":
      v = perCall && s.outBytes > 0 ? { value: s.outBytes / perCall, n: perCall } : null;
      break;
    case "writes":
      v = s.writes > 0 || s.calls > 0 ? { value: s.writes, n: s.calls } : null;
      break;
  }
  return v && v.n >= MIN_WINDOW_N[metric] ? v : null;
}

/** The bucket (start, epoch ms) of a time. */
export const bucketOf = (t: number) => Math.floor(t / BUCKET_MS) * BUCKET_MS;

/** The hour of the week (0 = Monday 00:00 UTC … 167) of a time. */
export function hourOfWeek(t: number): number {
  const d = new Date(t);
  return ((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours();
}
