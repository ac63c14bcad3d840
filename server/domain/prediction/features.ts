/**
 * Features of a run known before it starts, computed as of a time `t` from history strictly
 * before it (pure). History is what had *finished* by then: a run's outcome and an attempt's
 * result count only when their `finishedAt < t` — a run that started earlier but was still going
 * at `t` says nothing yet, and the run's own attempts (which finish after it starts) never do.
 *
 * The history is indexed once (`indexHistory`: per block, endpoint and flow, times sorted with
 * prefix sums), so a feature vector costs a few binary searches, not a scan.
 *
 * Features (all numbers; the model standardises them):
 * - `flow_fail_24h`: the flow's failed share of its runs that finished in the last 24 h (smoothed,
 *   see {@link smoothedRate}); this alone is the baseline the backtest compares with;
 * - `block_fail_24h`, `block_retry_24h`: the worst of its blocks' failed and retried shares of
 *   their attempts in the last 24 h (any flow of the workspace);
 * - `endpoint_fail_1h`, `endpoint_fail_24h`: the worst of its connector endpoints' failed share
 *   in the last hour and day;
 *   (the worst among those with attempts in the window; the prior when none has any);
 * - `breaker_open`: 1 when an endpoint of the flow looks open at `t` — its last
 *   {@link BREAKER_FAILURES} attempts all failed, or an open breaker refused a call in the last
 *   {@link BREAKER_RECENT_MS} (the engine keeps breakers in memory; this is their state as the
 *   history shows it, the same in training and at run start);
 * - `hour_sin`, `hour_cos`: the time of day (UTC) on a circle;
 * - `log_input_bytes`: log(1 + size of the run's inputs as JSON);
 * - `log_version_age_h`: log(1 + hours since the flow version was saved);
 * - `open_anomalies`: anomalies open on the flow version, its blocks and endpoints as of the
 *   hour `t` falls in (only with {@link FeatureOptions.anomalies}: `anomaly-feature.ts`).
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Consecutive failures of an endpoint that read as an open breaker (the tiers' default). */
export const BREAKER_FAILURES = 5;
/** A breaker refusal this recent reads as an open breaker. */
export const BREAKER_RECENT_MS = 60_000;
/** Prior of a smoothed rate: `PRIOR_WEIGHT` pseudo-observations at `PRIOR_RATE`. */
export const PRIOR_RATE = 0.1;
export const PRIOR_WEIGHT = 2;

export const BASE_FEATURES = [
  "flow_fail_24h",
  "block_fail_24h",
  "block_retry_24h",
  "endpoint_fail_1h",
  "endpoint_fail_24h",
  "breaker_open",
  "hour_sin",
  "hour_cos",
  "log_input_bytes",
  "log_version_age_h",
] as const;
export const ANOMALY_FEATURE = "open_anomalies";
export type FeatureName = (typeof BASE_FEATURES)[number] | typeof ANOMALY_FEATURE;
/** The baseline's feature: the flow's recent failure rate. */
export const BASELINE_FEATURE: FeatureName = "flow_fail_24h";

/** A finished step attempt, as history. */
export interface HistAttempt {
  /** `id@version` of the block. */
  block: string;
  /** `system:block` for connector blocks, else null. */
  endpoint: string | null;
  finishedAt: number;
  failed: boolean;
  /** Not the step's first attempt. */
  retry: boolean;
  /** An open breaker refused it. */
  breakerRefused: boolean;
}

/** A run, as history and as a subject of prediction. */
export interface HistRun {
  id: string;
  workflowId: string;
  /** The flow version (names the flow's entity for the anomaly feature). */
  version?: string;
  startedAt: number;
  /** Null while unfinished; a cancelled run has `failed: null`. */
  finishedAt: number | null;
  failed: boolean | null;
  inputBytes: number;
  versionCreatedAt: number;
  blocks: string[];
  endpoints: string[];
}

/** What a prediction knows of a run about to start. */
export type Subject = Pick<
  HistRun,
  "workflowId" | "version" | "inputBytes" | "versionCreatedAt" | "blocks" | "endpoints"
>;

interface Series {
  times: number[];
  /** Prefix sums: cum[i] = count among the first i events. */
  fail: number[];
  retry: number[];
  refused: number[];
}

/** History indexed for features as of any time. */
export interface HistoryIndex {
  series: Map<string, Series>;
}

/** Open anomalies at `t` for a subject's entities (flow id, blocks, endpoints). */
export type AnomalyCounter = (subject: Subject, t: number) => number;

export interface FeatureOptions {
  /** With it, the `open_anomalies` feature is added. */
  anomalies?: AnomalyCounter;
}

/** The feature names with these options, in vector order. */
export function featureNames(opts: FeatureOptions = {}): FeatureName[] {
  return opts.anomalies ? [...BASE_FEATURES, ANOMALY_FEATURE] : [...BASE_FEATURES];
}

function pushEvent(
  map: Map<string, Array<[number, boolean, boolean, boolean]>>,
  key: string,
  e: [number, boolean, boolean, boolean],
) {
  const list = map.get(key);
  if (list) list.push(e);
  else map.set(key, [e]);
}

/** Indexes finished attempts (by block and endpoint) and finished runs (by flow). */
export function indexHistory(
  runs: readonly HistRun[],
  attempts: readonly HistAttempt[],
): HistoryIndex {
  const raw = new Map<string, Array<[number, boolean, boolean, boolean]>>();
  for (const a of attempts) {
    const e: [number, boolean, boolean, boolean] = [
      a.finishedAt,
      a.failed,
      a.retry,
      a.breakerRefused,
    ];
    pushEvent(raw, `b:${a.block}`, e);
    if (a.endpoint) pushEvent(raw, `e:${a.endpoint}`, e);
  }
  for (const r of runs) {
    if (r.finishedAt === null || r.failed === null) continue;
    pushEvent(raw, `f:${r.workflowId}`, [r.finishedAt, r.failed, false, false]);
  }
  const series = new Map<string, Series>();
  for (const [key, list] of raw) {
    list.sort((a, b) => a[0] - b[0]);
    const s: Series = { times: [], fail: [0], retry: [0], refused: [0] };
    for (const [t, f, r, x] of list) {
      s.times.push(t);
      s.fail.push(s.fail[s.fail.length - 1]! + (f ? 1 : 0));
      s.retry.push(s.retry[s.retry.length - 1]! + (r ? 1 : 0));
      s.refused.push(s.refused[s.refused.length - 1]! + (x ? 1 : 0));
    }
    series.set(key, s);
  }
  return { series };
}

/** The number of events strictly before `t`. */
function before(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts of a series' events finished in `[t - window, t)`. */
export function windowCounts(
  index: HistoryIndex,
  key: string,
  t: number,
  windowMs: number,
): { n: number; fail: number; retry: number; refused: number } {
  const s = index.series.get(key);
  if (!s) return { n: 0, fail: 0, retry: 0, refused: 0 };
  const j = before(s.times, t);
  const i = before(s.times, t - windowMs);
  return {
    n: j - i,
    fail: s.fail[j]! - s.fail[i]!,
    retry: s.retry[j]! - s.retry[i]!,
    refused: s.refused[j]! - s.refused[i]!,
  };
}

/** A rate shrunk towards {@link PRIOR_RATE}, so a handful of events does not read as 0 or 1. */
export function smoothedRate(hits: number, n: number): number {
  return (hits + PRIOR_RATE * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT);
}

/** The highest rate among the `keys` with events in the window (the prior when none has). */
function worst(keys: readonly string[], f: (key: string) => number | null): number {
  let m: number | null = null;
  for (const k of keys) {
    const r = f(k);
    if (r !== null) m = m === null ? r : Math.max(m, r);
  }
  return m ?? smoothedRate(0, 0);
}

function breakerOpen(index: HistoryIndex, endpoint: string, t: number): boolean {
  const s = index.series.get(`e:${endpoint}`);
  if (!s) return false;
  const j = before(s.times, t);
  if (j >= BREAKER_FAILURES && s.fail[j]! - s.fail[j - BREAKER_FAILURES]! === BREAKER_FAILURES)
    return true;
  return windowCounts(index, `e:${endpoint}`, t, BREAKER_RECENT_MS).refused > 0;
}

/**
 * The feature vector of `subject` as of `t`, in {@link featureNames} order.
 *
 * @example
 * const index = indexHistory(runs, attempts);
 * featuresAt(index, { workflowId, inputBytes: 120, versionCreatedAt, blocks, endpoints }, Date.now());
 */
export function featuresAt(
  index: HistoryIndex,
  subject: Subject,
  t: number,
  opts: FeatureOptions = {},
): number[] {
  const rate = (key: string, w: number, pick: "fail" | "retry") => {
    const c = windowCounts(index, key, t, w);
    return c.n ? smoothedRate(c[pick], c.n) : null;
  };
  const flow = rate(`f:${subject.workflowId}`, DAY_MS, "fail") ?? smoothedRate(0, 0);
  const blockFail = worst(subject.blocks, (b) => rate(`b:${b}`, DAY_MS, "fail"));
  const blockRetry = worst(subject.blocks, (b) => rate(`b:${b}`, DAY_MS, "retry"));
  const epFail1h = worst(subject.endpoints, (e) => rate(`e:${e}`, HOUR_MS, "fail"));
  const epFail24h = worst(subject.endpoints, (e) => rate(`e:${e}`, DAY_MS, "fail"));
  const breaker = subject.endpoints.some((e) => breakerOpen(index, e, t)) ? 1 : 0;
  const hour = ((t % DAY_MS) / DAY_MS) * 2 * Math.PI;
  const out = [
    flow,
    blockFail,
    blockRetry,
    epFail1h,
    epFail24h,
    breaker,
    Math.sin(hour),
    Math.cos(hour),
    Math.log1p(Math.max(0, subject.inputBytes)),
    Math.log1p(Math.max(0, t - subject.versionCreatedAt) / HOUR_MS),
  ];
  if (opts.anomalies) out.push(opts.anomalies(subject, t));
  return out;
}
