/**
 * SLA tiers compile to resilience profiles: plain data the engine's retry loop, breaker and
 * dead-letter queue read. A block may adjust its tier's defaults; a step may override retries and
 * timeout. The table is documented in `dsl/README.md`.
 */
import { DURATION_RE } from "./schema";
import type { BlockDefinition, ResilienceProfile, SlaTier } from "./types";

/** Documented defaults per tier. */
export const SLA_PROFILES: Readonly<Record<SlaTier, Readonly<ResilienceProfile>>> = {
  T0: {
    tier: "T0",
    retries: 8,
    backoff: "exponential",
    initialDelayMs: 500,
    factor: 2,
    maxDelayMs: 60_000,
    jitter: "full",
    timeoutMs: 30_000,
    breaker: { failureThreshold: 5, halfOpenAfterMs: 30_000 },
    deadLetter: true,
  },
  T1: {
    tier: "T1",
    retries: 4,
    backoff: "exponential",
    initialDelayMs: 1_000,
    factor: 2,
    maxDelayMs: 30_000,
    jitter: "full",
    timeoutMs: 30_000,
    breaker: { failureThreshold: 10, halfOpenAfterMs: 60_000 },
    deadLetter: true,
  },
  T2: {
    tier: "T2",
    retries: 1,
    backoff: "fixed",
    initialDelayMs: 2_000,
    factor: 1,
    maxDelayMs: 2_000,
    jitter: "none",
    timeoutMs: 60_000,
    breaker: { failureThreshold: 20, halfOpenAfterMs: 120_000 },
    deadLetter: false,
  },
};

/** The tier used when neither the step, the flow nor the block names one. */
export const DEFAULT_TIER: SlaTier = "T1";

/**
 * Parses `500ms`, `30s`, `5m`, `1h` into milliseconds; undefined when malformed.
 *
 * @example
 * parseDuration("1.5s"); // 1500
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2];
  const factor = unit === "ms" ? 1 : unit === "s" ? 1_000 : unit === "m" ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}

/** Per-step overrides, as written in the flow (`retry:` and `timeout:`). */
export interface StepResilienceOverrides {
  retry?: {
    max?: number;
    backoff?: ResilienceProfile["backoff"];
    jitter?: ResilienceProfile["jitter"];
    initial_delay?: string;
    max_delay?: string;
    factor?: number;
  };
  timeout?: string;
}

/**
 * The effective profile of a step. Precedence, lowest first: tier defaults, the block's `sla`
 * adjustments, the step's `retry`/`timeout`. The tier is the step's `sla`, else the flow's, else
 * the block's, else {@link DEFAULT_TIER}.
 */
export function resolveResilience(
  tiers: { step?: SlaTier; flow?: SlaTier },
  block: Pick<BlockDefinition, "sla"> | undefined,
  overrides: StepResilienceOverrides = {},
): ResilienceProfile {
  const tier = tiers.step ?? tiers.flow ?? block?.sla?.tier ?? DEFAULT_TIER;
  const base = SLA_PROFILES[tier];
  const p: ResilienceProfile = { ...base, breaker: { ...base.breaker } };
  const b = block?.sla;
  if (b) {
    if (b.retries !== undefined) p.retries = b.retries;
    if (b.backoff !== undefined) p.backoff = b.backoff;
    if (b.initialDelayMs !== undefined) p.initialDelayMs = b.initialDelayMs;
    if (b.factor !== undefined) p.factor = b.factor;
    if (b.maxDelayMs !== undefined) p.maxDelayMs = b.maxDelayMs;
    if (b.jitter !== undefined) p.jitter = b.jitter;
    if (b.timeoutMs !== undefined) p.timeoutMs = b.timeoutMs;
    if (b.deadLetter !== undefined) p.deadLetter = b.deadLetter;
  }
  const r = overrides.retry;
  if (r) {
    if (r.max !== undefined) p.retries = r.max;
    if (r.backoff !== undefined) p.backoff = r.backoff;
    if (r.jitter !== undefined) p.jitter = r.jitter;
    if (r.factor !== undefined) p.factor = r.factor;
    const init = r.initial_delay !== undefined ? parseDuration(r.initial_delay) : undefined;
    if (init !== undefined) p.initialDelayMs = init;
    const max = r.max_delay !== undefined ? parseDuration(r.max_delay) : undefined;
    if (max !== undefined) p.maxDelayMs = max;
  }
  const timeout = overrides.timeout !== undefined ? parseDuration(overrides.timeout) : undefined;
  if (timeout !== undefined) p.timeoutMs = timeout;
  if (p.maxDelayMs < p.initialDelayMs) p.maxDelayMs = p.initialDelayMs;
  return p;
}
