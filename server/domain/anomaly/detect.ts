/**
 * The detector's statistics (pure). An entity's history (its 5-minute buckets of the last
 * {@link HISTORY_MS}) is cut into aligned 15-minute windows; per metric the baseline is the
 * median and the MAD of the windows' values ({@link computeBaselines}), and, once the history
 * spans three weeks, the same per hour of the week. A current window is compared with it by a
 * robust z-score ({@link evaluate}):
 *
 *   z = (observed − median) / scale,  scale = max(1.4826 · MAD, floors)
 *
 * where the floors keep a flat history from turning noise into alerts: 5 % of the median and the
 * metric's absolute floor. The error rate's scale is the binomial standard deviation at the
 * window's n plus the history's overdispersion (its windows' spread beyond their own binomial
 * noise); the p95's test counts the window's calls above the history's p95 (binomial). An anomaly needs z ≥ {@link Z_THRESHOLD} × the entity-metric's feedback factor
 * AND a change of at least {@link MIN_RATIO} (error rate: also at least 3 failures). Output
 * volume is watched both ways (a drop is as suspect as a jump); the others upwards.
 *
 * Below a day's worth of windows with data ({@link minWindows}), a metric is "not enough data":
 * nothing is reported, whatever the window shows.
 */
import {
  addStats,
  emptyStats,
  hourOfWeek,
  metricValue,
  METRICS,
  WINDOW_MS,
  type BucketStats,
  type EntityKind,
  type Metric,
} from "./metrics";

/** How much history a baseline reads. */
export const HISTORY_MS = 28 * 24 * 3_600_000;
/** Windows with data a metric needs before it may alert (one day's worth of 15-minute ones). */
export const MIN_HISTORY_WINDOWS = 96;
/** Observations a window should hold: a quiet entity's windows are longer (up to 6 hours). */
export const TARGET_WINDOW_N = 20;
export const MAX_WINDOW_MS = 6 * 3_600_000;

/** Windows a metric needs with windows of `windowMs`: a day's worth, at least 24. */
export function minWindows(windowMs: number): number {
  return Math.max(24, Math.round((MIN_HISTORY_WINDOWS * WINDOW_MS) / windowMs));
}
/** History that enables hour-of-week baselines. */
export const SEASONAL_SPAN_MS = 21 * 24 * 3_600_000;
/** Samples an hour-of-week slot needs to be used. */
const MIN_SLOT_SAMPLES = 8;
/** The robust z an anomaly needs (before feedback). */
export const Z_THRESHOLD = 5;
/** Change an anomaly needs against the baseline, per metric. */
export const MIN_RATIO: Readonly<Record<Metric, number>> = {
  error_rate: 1.8,
  p95_latency: 1.5,
  calls_per_run: 1.8,
  tokens: 1.8,
  cost: 1.8,
  output_volume: 1.8,
  writes: 2.5,
};
/** Absolute floors of the scale. */
const ABS_FLOOR: Readonly<Record<Metric, number>> = {
  error_rate: 0.01,
  p95_latency: 5,
  calls_per_run: 0.05,
  tokens: 1,
  cost: 1e-6,
  output_volume: 16,
  writes: 2,
};
/** A MAD-to-sigma factor for normal data. */
const MAD_SIGMA = 1.4826;

/** A metric's baseline: over all windows, and per hour of week once seasonal. */
export interface MetricBaseline {
  median: number;
  mad: number;
  /** Windows with data. */
  windows: number;
  /** Error rate: failures / calls over the history (the binomial floor's p). p95 latency: the
   * share of the history's calls above the bin of its pooled p95 (the exceedance test's p). */
  pooled?: number;
  /** p95 latency: the bin of the history's pooled p95. */
  tailBin?: number;
  /** Median n of the history's windows. */
  medianN?: number;
  /** The window length judged (15 minutes, longer for a quiet entity). */
  windowMs?: number;
  /** Hour of week → [median, mad, samples], when the history spans three weeks. */
  slots?: Record<string, [number, number, number]>;
}

export type Baselines = Partial<Record<Metric, MetricBaseline>>;

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mad(xs: number[], med = median(xs)): number {
  return median(xs.map((x) => Math.abs(x - med)));
}

/**
 * Baselines from an entity's buckets (start times epoch ms) for a window ending at `windowEnd`.
 * The window's length: 15 minutes, or for a quiet entity the multiple of 15 minutes that holds
 * about {@link TARGET_WINDOW_N} observations at its history's mean rate (at most 6 hours); the
 * history is cut into windows of that length, aligned, and the window being judged is not part
 * of it.
 */
export function computeBaselines(
  kind: EntityKind,
  buckets: ReadonlyArray<{ at: number; stats: BucketStats }>,
  windowEnd: number,
): Baselines {
  let first = Infinity;
  let volume = 0;
  for (const b of buckets) {
    if (b.at >= windowEnd - WINDOW_MS || b.at < windowEnd - HISTORY_MS) continue;
    first = Math.min(first, b.at);
    volume += kind === "flow" ? b.stats.runs : b.stats.calls;
  }
  const span = windowEnd - first;
  const perWindow = span > 0 ? (volume * WINDOW_MS) / span : 0;
  const windowMs =
    perWindow > 0
      ? Math.min(MAX_WINDOW_MS, Math.max(1, Math.ceil(TARGET_WINDOW_N / perWindow)) * WINDOW_MS)
      : WINDOW_MS;
  const before = windowEnd - windowMs;
  const windows = new Map<number, BucketStats>();
  for (const b of buckets) {
    if (b.at >= before || b.at < windowEnd - HISTORY_MS) continue;
    const w = Math.floor(b.at / windowMs) * windowMs;
    const acc = windows.get(w) ?? emptyStats();
    windows.set(w, addStats(acc, b.stats));
  }
  const seasonal = before - first >= SEASONAL_SPAN_MS;
  const out: Baselines = {};
  for (const metric of METRICS) {
    const values: number[] = [];
    const ns: number[] = [];
    const bySlot = new Map<number, number[]>();
    let failures = 0;
    let calls = 0;
    const hist = metric === "p95_latency" ? emptyStats().latency : null;
    for (const [w, s] of windows) {
      const v = metricValue(kind, s, metric);
      if (!v) continue;
      values.push(v.value);
      ns.push(v.n);
      if (metric === "error_rate") {
        failures += s.failures;
        calls += v.n;
      }
      if (hist) for (let i = 0; i < hist.length; i++) hist[i]! += s.latency[i]!;
      if (seasonal) {
        const h = hourOfWeek(w);
        const list = bySlot.get(h) ?? [];
        list.push(v.value);
        bySlot.set(h, list);
      }
    }
    if (!values.length) continue;
    const med = median(values);
    const b: MetricBaseline = {
      median: med,
      mad: mad(values, med),
      windows: values.length,
      medianN: median(ns),
      windowMs,
    };
    if (metric === "error_rate" && calls) b.pooled = failures / calls;
    if (hist) {
      const total = hist.reduce((x, y) => x + y, 0);
      let seen = 0;
      let bin = 0;
      while (bin < hist.length - 1 && (seen += hist[bin]!) < 0.95 * total) bin++;
      b.tailBin = bin;
      b.pooled = (total - seen) / total;
    }
    if (seasonal) {
      b.slots = {};
      for (const [h, xs] of bySlot)
        if (xs.length >= MIN_SLOT_SAMPLES) {
          const m = median(xs);
          b.slots[h] = [m, mad(xs, m), xs.length];
        }
    }
    out[metric] = b;
  }
  return out;
}

/** What the detector says of one metric of a window. */
export type Verdict =
  | { state: "not-enough-data"; metric: Metric; windows: number }
  | { state: "normal"; metric: Metric; z: number }
  | {
      state: "anomaly";
      metric: Metric;
      rule: "robust-z" | "hour-of-week" | "tail-exceedance";
      baseline: number;
      observed: number;
      n: number;
      z: number;
      threshold: number;
      explanation: string;
    };

const span = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} minutes`;

const fmt = (x: number) =>
  Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(2);

/**
 * Judges one metric of a window (`window`: its summed buckets) against the baseline; `factor`
 * is the entity-metric's feedback factor (1 by default). Null: the window says nothing of it.
 */
export function evaluate(
  kind: EntityKind,
  metric: Metric,
  window: BucketStats,
  windowStart: number,
  baseline: MetricBaseline | undefined,
  factor = 1,
): Verdict | null {
  const v = metricValue(kind, window, metric);
  if (!v) return null;
  if (!baseline || baseline.windows < minWindows(baseline.windowMs ?? WINDOW_MS))
    return { state: "not-enough-data", metric, windows: baseline?.windows ?? 0 };
  const slot = baseline.slots?.[hourOfWeek(windowStart)];
  const med = slot ? slot[0] : baseline.median;
  // The seasonal slot's spread is never taken below the whole history's.
  const spread = slot ? Math.max(slot[1], baseline.mad) : baseline.mad;
  let scale = Math.max(MAD_SIGMA * spread, 0.05 * Math.abs(med), ABS_FLOOR[metric]);
  if (metric === "error_rate") {
    // The windows' spread holds the sampling noise of their n: what is left of it beyond that
    // (overdispersion) adds to the binomial noise at this window's n.
    const p = Math.min(0.5, Math.max(baseline.pooled ?? med, med, 0.5 / v.n));
    const histN = baseline.medianN ?? v.n;
    const over = Math.max(0, (MAD_SIGMA * spread) ** 2 - (p * (1 - p)) / histN);
    scale = Math.max(Math.sqrt((p * (1 - p)) / v.n + over), ABS_FLOOR.error_rate);
  }
  let z = (v.value - med) / scale;
  if (metric === "p95_latency" && baseline.tailBin !== undefined && baseline.pooled) {
    // A window's p95 is noisy at small n: the test is how many of its calls land above the
    // history's p95 bin (binomial against the history's share there), its z what is reported.
    const p = Math.min(0.5, Math.max(baseline.pooled, 0.01));
    const above = window.latency.slice(baseline.tailBin + 1).reduce((x, y) => x + y, 0);
    z = (above / v.n - p) / Math.sqrt((p * (1 - p)) / v.n);
  }
  const threshold = Z_THRESHOLD * factor;
  const ratio = MIN_RATIO[metric];
  const up =
    z >= threshold &&
    v.value >= Math.max(med, ABS_FLOOR[metric]) * ratio &&
    (metric !== "error_rate" || window.failures >= 3);
  const down = metric === "output_volume" && z <= -threshold && v.value <= med / ratio && med > 0;
  if (!up && !down) return { state: "normal", metric, z };
  const rule = metric === "p95_latency" ? "tail-exceedance" : slot ? "hour-of-week" : "robust-z";
  return {
    state: "anomaly",
    metric,
    rule,
    baseline: med,
    observed: v.value,
    n: v.n,
    z,
    threshold,
    explanation:
      `${fmt(v.value)} over the last ${span(baseline.windowMs ?? WINDOW_MS)} (n = ${v.n}) against a ` +
      `${slot ? "same-hour-of-week " : ""}median of ${fmt(med)} ` +
      `(MAD ${fmt(spread)}, ${slot ? slot[2] : baseline.windows} windows): ` +
      (rule === "tail-exceedance"
        ? `calls above the usual p95 z = ${z.toFixed(1)}, threshold ${threshold.toFixed(1)}.`
        : `robust z = ${z.toFixed(1)}, threshold ${threshold.toFixed(1)}.`),
  };
}

/**
 * Feedback's effect on an entity-metric's threshold factor: "expected" raises it by 25 %
 * (at most ×3), "real" lowers it by 10 % (at least ×0.75).
 */
export function adjustFactor(factor: number, feedback: "expected" | "real"): number {
  return feedback === "expected" ? Math.min(3, factor * 1.25) : Math.max(0.75, factor * 0.9);
}

/** How long a repeat of an anomaly (same entity, metric and rule) extends it, not a new one. */
export const COOLDOWN_MS = 60 * 60_000;

/** Peer groups need this many members; a peer outlier needs z ≥ 6 and ×3 the peers' median. */
const MIN_PEERS = 5;
const PEER_Z = 6;
const PEER_RATIO = 3;

/**
 * Peer outliers among blocks of the same kind (`peer`): a block whose baseline median of a
 * metric (error rate or p95) stands far above its peers' medians.
 */
export function peerOutliers(
  entities: ReadonlyArray<{ key: string; peer: string; baselines: Baselines }>,
): Array<{
  key: string;
  metric: Metric;
  baseline: number;
  observed: number;
  n: number;
  z: number;
}> {
  const out: Array<{
    key: string;
    metric: Metric;
    baseline: number;
    observed: number;
    n: number;
    z: number;
  }> = [];
  const groups = new Map<string, typeof entities>();
  for (const e of entities) {
    if (!e.peer) continue;
    groups.set(e.peer, [...(groups.get(e.peer) ?? []), e]);
  }
  for (const group of groups.values()) {
    if (group.length < MIN_PEERS) continue;
    for (const metric of ["error_rate", "p95_latency"] as const) {
      const have = group.filter(
        (e) =>
          (e.baselines[metric]?.windows ?? 0) >=
          minWindows(e.baselines[metric]?.windowMs ?? WINDOW_MS),
      );
      if (have.length < MIN_PEERS) continue;
      const meds = have.map((e) => e.baselines[metric]!.median);
      const m = median(meds);
      const scale = Math.max(MAD_SIGMA * mad(meds, m), 0.05 * m, ABS_FLOOR[metric]);
      for (const e of have) {
        const x = e.baselines[metric]!.median;
        const z = (x - m) / scale;
        if (z >= PEER_Z && x >= Math.max(m, ABS_FLOOR[metric]) * PEER_RATIO)
          out.push({ key: e.key, metric, baseline: m, observed: x, n: have.length, z });
      }
    }
  }
  return out;
}
