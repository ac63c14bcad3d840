import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbTrustCounts, expectNoRise } from "@/server/testing/trust-score";
import { combine, findingWeight } from "./adjustments";
import {
  DEFAULT_TRUST_CONFIG,
  FINDING_KINDS,
  NO_FINDINGS,
  emptyCounts,
  findingsPenalty,
  trustScore,
  type TrustFindings,
} from "./score";

const C = DEFAULT_TRUST_CONFIG;
const arbFindings = fc.record({
  anomalies: fc.double({ min: 0, max: 10, noNaN: true }),
  guardianGroups: fc.double({ min: 0, max: 10, noNaN: true }),
  regressions: fc.double({ min: 0, max: 10, noNaN: true }),
});
const arbBaseline = fc.double({ min: 0.05, max: 0.99, noNaN: true });

describe("findings in the trust score", () => {
  it("weighs each finding as documented, up to the cap", () => {
    const c = { ...emptyCounts(0), successes: 100 };
    const none = trustScore(c, 0.9, 0);
    for (const k of FINDING_KINDS) {
      const one = trustScore(c, 0.9, 0, C, { ...NO_FINDINGS, [k]: 1 });
      expect(one.beta - none.beta).toBeCloseTo(C.findingWeights[k], 9);
      expect(one.inputs[k]).toBe(1);
      expect(one.findingsPenalty).toBe(C.findingWeights[k]);
    }
    const many = trustScore(c, 0.9, 0, C, { anomalies: 40, guardianGroups: 40, regressions: 40 });
    expect(many.beta - none.beta).toBeCloseTo(C.findingsCap, 9);
    expect(many.findingsPenalty).toBe(C.findingsCap);
  });

  it("is monotone: another finding never raises the score, the posterior or the interval", () => {
    fc.assert(
      fc.property(
        arbTrustCounts,
        arbBaseline,
        arbFindings,
        fc.constantFrom(...FINDING_KINDS),
        fc.double({ min: 0.001, max: 5, noNaN: true }),
        (c, b, f, k, add) => {
          const before = trustScore(c, b, 0, C, f);
          const after = trustScore(c, b, 0, C, { ...f, [k]: f[k] + add });
          expect(after.score).toBeLessThanOrEqual(before.score);
          expectNoRise(before, after);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is bounded: findings take at most the cap's worth of pseudo-failures", () => {
    fc.assert(
      fc.property(arbTrustCounts, arbBaseline, arbFindings, (c, b, f) => {
        const clean = trustScore(c, b, 0, C);
        const hit = trustScore(c, b, 0, C, f);
        const capped = trustScore({ ...c, failures: c.failures + C.findingsCap }, b, 0, C);
        expect(hit.beta - clean.beta).toBeLessThanOrEqual(C.findingsCap + 1e-9);
        expect(hit.posterior).toBeGreaterThanOrEqual(capped.posterior - 1e-4);
        expect(findingsPenalty(f)).toBeLessThanOrEqual(C.findingsCap);
      }),
      { numRuns: 300 },
    );
  });

  it("reverses exactly when the finding is taken back (an anomaly marked expected)", () => {
    fc.assert(
      fc.property(arbTrustCounts, arbBaseline, arbFindings, (c, b, f) => {
        const clean = trustScore(c, b, 0, C);
        trustScore(c, b, 0, C, f);
        expect(trustScore(c, b, 0, C, NO_FINDINGS)).toEqual(clean);
      }),
      { numRuns: 100 },
    );
  });

  it("weighs a finding 1 while current, then halves it every half-life, and drops it", () => {
    const h = C.findingHalfLifeMs;
    expect(findingWeight(1000, 500, C)).toBe(1);
    expect(findingWeight(1000, 1000, C)).toBe(1);
    expect(findingWeight(0, h, C)).toBeCloseTo(0.5, 12);
    expect(findingWeight(0, 3 * h, C)).toBeCloseTo(0.125, 12);
    expect(findingWeight(0, 5 * h + 1, C)).toBe(0);
    // Decay never raises a weight.
    fc.assert(
      fc.property(fc.nat(10 * h), fc.nat(h), (t, dt) => {
        expect(findingWeight(0, t + dt, C)).toBeLessThanOrEqual(findingWeight(0, t, C));
      }),
    );
  });

  it("adds a flow's findings to its step's", () => {
    const a: TrustFindings & { items: [] } = { ...NO_FINDINGS, anomalies: 1, items: [] };
    const b = { ...NO_FINDINGS, regressions: 0.5, items: [] };
    expect(combine(a, b)).toMatchObject({ anomalies: 1, guardianGroups: 0, regressions: 0.5 });
    expect(combine(a, undefined)).toBe(a);
    expect(combine(undefined, undefined)).toBeUndefined();
  });
});
