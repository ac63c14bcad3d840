/**
 * Earned trust (issue 17): a score per block version, connector endpoint, model and flow version,
 * computed from decayed counts of what its attempts did. Pure: no clock, no database.
 *
 * The model. Success is Bernoulli with an unknown rate p; the prior is
 * `Beta(k·b, k·(1-b))`, `b` the block's `baselineTrust` and `k` the prior's strength
 * (`priorStrength`, default 10 pseudo-attempts: 20 real attempts outweigh it two to one). Each
 * finished attempt adds its weight to `successes` or `failures`; every count decays
 * exponentially with the attempt's age (`halfLifeMs`, default 14 days), so an attempt half a
 * half-life old counts 0.71 and old history fades. Adverse signals add pseudo-failures to β
 * (weights in {@link DEFAULT_WEIGHTS}, documented there):
 *
 *   α = k·b + successes
 *   β = k·(1-b) + failures + Σ weight_i · signal_i
 *   score = α / (α + β), interval = the Beta(α, β) quantiles at (1-c)/2 and (1+c)/2 (c = 0.9)
 *
 * The interval is equal-tailed; on a near-perfect record (β < 1) the posterior is so skewed that
 * its mean may sit just below it (the mass is near 1, the mean is pulled down by the tail).
 *
 * `n` is the decayed number of attempts (successes + failures). Below `minN` (20) the score
 * reads "not enough data" and the baseline stands in as the effective score; the posterior is
 * still reported for the curious. Adding a failure or any adverse signal never raises the score
 * nor either end of its interval (β only grows); `score.test.ts` checks it with fast-check.
 */

/** The kinds of entity a score is kept for. */
export type TrustKind = "block" | "endpoint" | "model" | "flow";
export const TRUST_KINDS: readonly TrustKind[] = ["block", "endpoint", "model", "flow"];

/** Decayed counts of an entity, all as of `at` (epoch ms). */
export interface TrustCounts {
  successes: number;
  failures: number;
  /** Attempts slower than their SLA tier's latency budget. */
  slaMisses: number;
  /** Attempts that were retried (a failed attempt followed by another). */
  retries: number;
  /** Steps whose retries ran out (dead letters). */
  deadLetters: number;
  /** Attempts refused by an open circuit breaker. */
  breakerTrips: number;
  /** Attempts refused by a policy: consent, trust gate, egress guard (category `authz`). */
  policyViolations: number;
  /** Reconciliation findings naming the step. */
  findings: number;
  at: number;
}

/** The adverse signals and their pseudo-failure weights. */
export type TrustSignal = Exclude<keyof TrustCounts, "successes" | "failures" | "at">;
export const TRUST_SIGNALS: readonly TrustSignal[] = [
  "slaMisses",
  "retries",
  "deadLetters",
  "breakerTrips",
  "policyViolations",
  "findings",
];

/**
 * Pseudo-failures added to β per signal. A failed attempt already counts once in `failures`;
 * these weigh what comes with it or happens besides:
 * - `slaMisses` 0.5: the call worked, but late (half a failure).
 * - `retries` 0.25: a transient failure already counted; the retry's own cost is small.
 * - `deadLetters` 1: retries ran out: a person must act (a failure on top of the last attempt's).
 * - `breakerTrips` 2: the endpoint failed often enough to be cut off.
 * - `policyViolations` 2: the step tried something it was not allowed to do.
 * - `findings` 1: the run did not match its contract (reconciliation).
 */
export const DEFAULT_WEIGHTS: Readonly<Record<TrustSignal, number>> = {
  slaMisses: 0.5,
  retries: 0.25,
  deadLetters: 1,
  breakerTrips: 2,
  policyViolations: 2,
  findings: 1,
};

/** The model's parameters. */
export interface TrustConfig {
  /** Half-life of an observation's weight. Default 14 days. */
  halfLifeMs: number;
  /** Pseudo-attempts of the baseline prior. Default 10. */
  priorStrength: number;
  /** Decayed attempts below which the baseline stands in. Default 20. */
  minN: number;
  /** Mass of the credible interval. Default 0.9. */
  credibility: number;
  weights: Readonly<Record<TrustSignal, number>>;
}

export const DEFAULT_TRUST_CONFIG: Readonly<TrustConfig> = {
  halfLifeMs: 14 * 24 * 3600_000,
  priorStrength: 10,
  minN: 20,
  credibility: 0.9,
  weights: DEFAULT_WEIGHTS,
};

let processConfig: Readonly<TrustConfig> = DEFAULT_TRUST_CONFIG;

/**
 * Sets this process's trust model (the boot does, from `TRUST_SCORE_HALF_LIFE_DAYS`): the
 * consumer and every read use it, so counts are stored and read with the same half-life.
 */
export function configureTrust(over: Partial<Pick<TrustConfig, "halfLifeMs">>): void {
  processConfig = { ...DEFAULT_TRUST_CONFIG, ...over };
}

/** This process's trust model (default {@link DEFAULT_TRUST_CONFIG}). */
export function trustConfig(): Readonly<TrustConfig> {
  return processConfig;
}

/** No observations yet. */
export function emptyCounts(at = 0): TrustCounts {
  return {
    successes: 0,
    failures: 0,
    slaMisses: 0,
    retries: 0,
    deadLetters: 0,
    breakerTrips: 0,
    policyViolations: 0,
    findings: 0,
    at,
  };
}

const COUNT_KEYS = ["successes", "failures", ...TRUST_SIGNALS] as const;

/** The weight an observation made at `from` has at `to` (1 when `to <= from`). */
export function decayFactor(from: number, to: number, halfLifeMs: number): number {
  if (!(to > from)) return 1;
  return Math.pow(0.5, (to - from) / halfLifeMs);
}

/** `c` decayed to `at` (never forward in time: a later `c.at` keeps its counts). */
export function decayTo(c: TrustCounts, at: number, halfLifeMs: number): TrustCounts {
  if (!(at > c.at)) return { ...c };
  const f = decayFactor(c.at, at, halfLifeMs);
  const out = { ...c, at };
  for (const k of COUNT_KEYS) out[k] = c[k] * f;
  return out;
}

/**
 * The sum of two count sets, both decayed to the later of their times: folding is associative
 * and commutative, so batches may arrive in any order (the SQL upsert does the same).
 */
export function mergeCounts(a: TrustCounts, b: TrustCounts, halfLifeMs: number): TrustCounts {
  const at = Math.max(a.at, b.at);
  const x = decayTo(a, at, halfLifeMs);
  const y = decayTo(b, at, halfLifeMs);
  const out = emptyCounts(at);
  for (const k of COUNT_KEYS) out[k] = x[k] + y[k];
  return out;
}

/** A score with its uncertainty and why. */
export interface TrustScore {
  /** The score decisions use: the posterior mean, or the baseline below `minN`. */
  score: number;
  /** The posterior mean α / (α + β). */
  posterior: number;
  /** Credible interval of the posterior (`credibility` mass). */
  interval: { low: number; high: number; mass: number };
  /** Decayed number of attempts. */
  n: number;
  /** Below `minN`: the baseline stands in. */
  enoughData: boolean;
  baseline: number;
  alpha: number;
  beta: number;
  /** The decayed inputs, as of `asOf`. */
  inputs: Omit<TrustCounts, "at">;
  asOf: number;
}

/**
 * The score alone (no interval): what {@link trustScore} decides with, without its quantiles
 * (cheap: for picking a flow's lowest step day by day before scoring it in full).
 */
export function pointScore(
  counts: TrustCounts,
  baseline: number,
  now: number,
  config: TrustConfig = DEFAULT_TRUST_CONFIG,
) {
  const b = clamp01(Number.isFinite(baseline) ? baseline : 0.5);
  const c = decayTo(counts, now, config.halfLifeMs);
  let penalty = 0;
  for (const s of TRUST_SIGNALS) penalty += config.weights[s] * Math.max(0, c[s]);
  const alpha = config.priorStrength * b + Math.max(0, c.successes) + 1e-9;
  const beta = config.priorStrength * (1 - b) + Math.max(0, c.failures) + penalty + 1e-9;
  const posterior = alpha / (alpha + beta);
  const n = Math.max(0, c.successes) + Math.max(0, c.failures);
  const enoughData = n >= config.minN;
  return { b, c, alpha, beta, posterior, n, enoughData, score: round(enoughData ? posterior : b) };
}

/** The score of `counts` decayed to `now`, with the baseline prior `baseline` (0..1). */
export function trustScore(
  counts: TrustCounts,
  baseline: number,
  now: number,
  config: TrustConfig = DEFAULT_TRUST_CONFIG,
): TrustScore {
  const { b, c, alpha, beta, posterior, n, enoughData } = pointScore(counts, baseline, now, config);
  const tail = (1 - config.credibility) / 2;
  const { at: _at, ...inputs } = c;
  return {
    score: round(enoughData ? posterior : b),
    posterior: round(posterior),
    interval: {
      low: round(betaQuantile(tail, alpha, beta)),
      high: round(betaQuantile(1 - tail, alpha, beta)),
      mass: config.credibility,
    },
    n: round(n),
    enoughData,
    baseline: b,
    alpha,
    beta,
    inputs,
    asOf: Math.max(now, counts.at),
  };
}

/** A flow's score: its lowest step's (as the compiler computes it); null without steps. */
export function flowScore<T extends { score: number }>(steps: readonly T[]): T | null {
  let low: T | null = null;
  for (const s of steps) if (!low || s.score < low.score) low = s;
  return low;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

// --- The Beta distribution -------------------------------------------------------------------

/** ln Γ(x), Lanczos (g = 7, 9 terms): ~15 digits for x > 0. */
function lnGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = g[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += g[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaCf(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** The regularized incomplete beta I_x(a, b): the Beta(a, b) CDF at x. */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const front = Math.exp(lnFront);
  return x < (a + 1) / (a + b + 2)
    ? (front * betaCf(x, a, b)) / a
    : 1 - (front * betaCf(1 - x, b, a)) / b;
}

/** The Beta(a, b) quantile at p, by bisection on the CDF (60 halvings: below 1e-15). */
export function betaQuantile(p: number, a: number, b: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (betaCdf(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
