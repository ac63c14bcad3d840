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
 * **Findings** (anomalies and guardian groups, `adjustments.ts`) add pseudo-failures too, read
 * from their current state rather than folded in, so they can be taken back:
 *
 *   β += min(cap, w_a·A + w_g·G + w_r·R)    (defaults w_a = 2, w_g = 1, w_r = 3, cap = 8)
 *
 * A: the entity's anomalies not marked expected; G: its guardian groups of recurring failures
 * (open, at least 3 failures); R: those of its groups failing again on the version their fix
 * was released as. Each finding weighs 1 while it is current — an anomaly within an hour of
 * last being seen (it is open), a group at its last failure — then halves every
 * `findingHalfLifeMs` (3 days) and is dropped after five half-lives. Marking an anomaly expected
 * removes it at once. The cap bounds what findings can take from a score; being pseudo-failures
 * they, like every signal, never raise it: more findings, a lower or equal score. A flow
 * version takes its own findings (its workflow's anomalies and groups) on top of each step's.
 *
 * `n` is the decayed number of attempts (successes + failures). Below `minN` (20) the score
 * reads "not enough data" and the baseline stands in as the effective score; the posterior is
 * still reported for the curious. Adding a failure or any adverse signal never raises the score
 * nor either end of its interval (β only grows); `score.test.ts` checks it with fast-check.
 */

import { processSingleton } from "@/server/process-state";
import { betaQuantile } from "./beta";

export { betaCdf, betaQuantile } from "./beta";

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

/** Findings in effect on an entity: decayed weights (see `adjustments.ts`). */
export interface TrustFindings {
  /** Anomalies not marked expected. */
  anomalies: number;
  /** Guardian groups of recurring failures. */
  guardianGroups: number;
  /** Guardian groups failing again after their fix was released. */
  regressions: number;
}
export const FINDING_KINDS = ["anomalies", "guardianGroups", "regressions"] as const;

/**
 * Pseudo-failures per finding (at full weight):
 * - `anomalies` 2: the entity behaves unlike its own history (or breaks a rogue-block rule);
 * - `guardianGroups` 1: its failures recur with one cause (the failures count already);
 * - `regressions` 3: a released fix did not hold.
 */
export const DEFAULT_FINDING_WEIGHTS: Readonly<TrustFindings> = {
  anomalies: 2,
  guardianGroups: 1,
  regressions: 3,
};

export const NO_FINDINGS: Readonly<TrustFindings> = {
  anomalies: 0,
  guardianGroups: 0,
  regressions: 0,
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
  /** Pseudo-failures per finding. */
  findingWeights: Readonly<TrustFindings>;
  /** Pseudo-failures all findings of an entity add at most. Default 8. */
  findingsCap: number;
  /** Half-life of a finding's weight once it is no longer current. Default 3 days. */
  findingHalfLifeMs: number;
}

export const DEFAULT_TRUST_CONFIG: Readonly<TrustConfig> = {
  halfLifeMs: 14 * 24 * 3600_000,
  priorStrength: 10,
  minN: 20,
  credibility: 0.9,
  weights: DEFAULT_WEIGHTS,
  findingWeights: DEFAULT_FINDING_WEIGHTS,
  findingsCap: 8,
  findingHalfLifeMs: 3 * 24 * 3600_000,
};

/**
 * This process's trust model: one per process (process-state.ts), since the boot configures it in
 * one of Next's bundles and the pages' reads run in others.
 */
const processConfig = () =>
  processSingleton<{ config: Readonly<TrustConfig> }>("trust-config", () => ({
    config: DEFAULT_TRUST_CONFIG,
  }));

/**
 * Sets this process's trust model (the boot does, from `TRUST_SCORE_HALF_LIFE_DAYS`): the
 * consumer and every read use it, so counts are stored and read with the same half-life.
 */
export function configureTrust(over: Partial<Pick<TrustConfig, "halfLifeMs">>): void {
  processConfig().config = { ...DEFAULT_TRUST_CONFIG, ...over };
}

/** This process's trust model (default {@link DEFAULT_TRUST_CONFIG}). */
export function trustConfig(): Readonly<TrustConfig> {
  return processConfig().config;
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
  /** The decayed inputs, as of `asOf`, with the findings in effect. */
  inputs: Omit<TrustCounts, "at"> & TrustFindings;
  /** Pseudo-failures the findings add to β (after the cap). */
  findingsPenalty: number;
  asOf: number;
}

/** The pseudo-failures `f` adds to β: the weighted sum, at most `findingsCap`. */
export function findingsPenalty(
  f: Readonly<TrustFindings>,
  config: TrustConfig = DEFAULT_TRUST_CONFIG,
): number {
  let sum = 0;
  for (const k of FINDING_KINDS) sum += config.findingWeights[k] * Math.max(0, f[k] || 0);
  return Math.min(config.findingsCap, sum);
}

/** The sum of findings (an entity's own and, for a flow's step, the flow's). */
export function addFindings(a: Readonly<TrustFindings>, b: Readonly<TrustFindings>): TrustFindings {
  return {
    anomalies: a.anomalies + b.anomalies,
    guardianGroups: a.guardianGroups + b.guardianGroups,
    regressions: a.regressions + b.regressions,
  };
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
  findings: Readonly<TrustFindings> = NO_FINDINGS,
) {
  const b = clamp01(Number.isFinite(baseline) ? baseline : 0.5);
  const c = decayTo(counts, now, config.halfLifeMs);
  const fromFindings = findingsPenalty(findings, config);
  let penalty = fromFindings;
  for (const s of TRUST_SIGNALS) penalty += config.weights[s] * Math.max(0, c[s]);
  const alpha = config.priorStrength * b + Math.max(0, c.successes) + 1e-9;
  const beta = config.priorStrength * (1 - b) + Math.max(0, c.failures) + penalty + 1e-9;
  const posterior = alpha / (alpha + beta);
  const n = Math.max(0, c.successes) + Math.max(0, c.failures);
  const enoughData = n >= config.minN;
  const score = round(enoughData ? posterior : b);
  return { b, c, alpha, beta, posterior, n, enoughData, score, fromFindings };
}

/** The score of `counts` decayed to `now`, with the baseline prior `baseline` (0..1). */
export function trustScore(
  counts: TrustCounts,
  baseline: number,
  now: number,
  config: TrustConfig = DEFAULT_TRUST_CONFIG,
  findings: Readonly<TrustFindings> = NO_FINDINGS,
): TrustScore {
  const { b, c, alpha, beta, posterior, n, enoughData, fromFindings } = pointScore(
    counts,
    baseline,
    now,
    config,
    findings,
  );
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
    inputs: {
      ...inputs,
      anomalies: round(findings.anomalies),
      guardianGroups: round(findings.guardianGroups),
      regressions: round(findings.regressions),
    },
    findingsPenalty: round(fromFindings),
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
