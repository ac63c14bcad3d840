/**
 * TEST HELPERS (the trust score's property tests, `server/domain/trust/*.test.ts`): decayed
 * counts as fast-check draws them, and the check that a score did not rise.
 */
import fc from "fast-check";
import { expect } from "vitest";
import type { trustScore } from "@/server/domain/trust/score";

/** Decayed counts at time 0: up to 500 successes and failures, up to 50 of each signal. */
export const arbTrustCounts = fc.record({
  successes: fc.double({ min: 0, max: 500, noNaN: true }),
  failures: fc.double({ min: 0, max: 500, noNaN: true }),
  slaMisses: fc.double({ min: 0, max: 50, noNaN: true }),
  retries: fc.double({ min: 0, max: 50, noNaN: true }),
  deadLetters: fc.double({ min: 0, max: 50, noNaN: true }),
  breakerTrips: fc.double({ min: 0, max: 50, noNaN: true }),
  policyViolations: fc.double({ min: 0, max: 50, noNaN: true }),
  findings: fc.double({ min: 0, max: 50, noNaN: true }),
  at: fc.constant(0),
});

/** `after`'s posterior and interval are no higher than `before`'s (the interval to 1e-4). */
export function expectNoRise(
  before: ReturnType<typeof trustScore>,
  after: ReturnType<typeof trustScore>,
) {
  expect(after.posterior).toBeLessThanOrEqual(before.posterior);
  expect(after.interval.low).toBeLessThanOrEqual(before.interval.low + 1e-4);
  expect(after.interval.high).toBeLessThanOrEqual(before.interval.high + 1e-4);
}
