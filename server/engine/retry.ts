/**
 * The retry schedule as pure functions of the step's {@link ResilienceProfile} (plain data from
 * `dsl/sla.ts`). No clock, no randomness of its own: the caller passes a number in [0, 1).
 *
 * Defaults per tier are documented in `dsl/sla.ts`: e.g. T1 retries 4 times, exponential from
 * 1 s with factor 2, full jitter, capped at 30 s.
 */
import type { ResilienceProfile } from "@/dsl";
import type { ErrorInfo } from "./errors";

/** The subset of a profile the schedule reads. */
export type BackoffPolicy = Pick<
  ResilienceProfile,
  "backoff" | "initialDelayMs" | "factor" | "maxDelayMs" | "jitter"
>;

/**
 * Delay before retry number `retry` (1 = the first retry), before jitter, capped at
 * `maxDelayMs`.
 *
 * @example
 * baseDelay({ backoff: "exponential", initialDelayMs: 500, factor: 2, maxDelayMs: 60_000, jitter: "none" }, 3); // 2000
 */
export function baseDelay(policy: BackoffPolicy, retry: number): number {
  const n = Math.max(1, Math.floor(retry));
  let d: number;
  switch (policy.backoff) {
    case "exponential":
      d = policy.initialDelayMs * Math.pow(Math.max(1, policy.factor), n - 1);
      break;
    case "linear":
      d = policy.initialDelayMs * n;
      break;
    case "fixed":
      d = policy.initialDelayMs;
      break;
  }
  if (!Number.isFinite(d)) d = policy.maxDelayMs;
  return Math.max(0, Math.min(d, policy.maxDelayMs));
}

/**
 * Applies jitter to a delay. `full`: uniform in [0, d]; `equal`: uniform in [d/2, d]; `none`: d.
 * `rand` is in [0, 1) (seeded in tests).
 */
export function applyJitter(delay: number, jitter: BackoffPolicy["jitter"], rand: number): number {
  const r = Math.min(Math.max(rand, 0), 1);
  switch (jitter) {
    case "full":
      return Math.round(delay * r);
    case "equal":
      return Math.round(delay / 2 + (delay / 2) * r);
    case "none":
      return Math.round(delay);
  }
}

/**
 * Delay before retry number `retry` with jitter. A server's `Retry-After` wins over the
 * schedule: the retry waits exactly that long.
 */
export function retryDelay(
  policy: BackoffPolicy,
  retry: number,
  rand: number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0)
    return Math.round(retryAfterMs);
  return applyJitter(baseDelay(policy, retry), policy.jitter, rand);
}

/**
 * Whether a failed attempt (1-based `attempt`) gets another: the error must be retryable and
 * retries must remain (`retries` counts retries after the first attempt).
 */
export function shouldRetry(
  profile: Pick<ResilienceProfile, "retries">,
  attempt: number,
  error: Pick<ErrorInfo, "retryable">,
): boolean {
  return error.retryable && attempt <= profile.retries;
}

/**
 * The whole schedule (delays before each retry) for a profile, e.g. for docs and the inspector.
 * With jitter the values are upper bounds (`rand` = 1).
 */
export function retrySchedule(
  profile: Pick<ResilienceProfile, "retries"> & BackoffPolicy,
  rand = 1,
): number[] {
  return Array.from({ length: profile.retries }, (_, i) => retryDelay(profile, i + 1, rand));
}
