import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arbTrustCounts, expectNoRise } from "@/server/testing/trust-score";
import {
  DEFAULT_TRUST_CONFIG,
  TRUST_SIGNALS,
  betaCdf,
  betaQuantile,
  decayTo,
  emptyCounts,
  flowScore,
  mergeCounts,
  trustScore,
  type TrustCounts,
} from "./score";

const DAY = 24 * 3600_000;
const H = DEFAULT_TRUST_CONFIG.halfLifeMs;

function counts(over: Partial<TrustCounts>): TrustCounts {
  return { ...emptyCounts(0), ...over };
}

const arbBaseline = fc.double({ min: 0, max: 1, noNaN: true });

describe("the Beta distribution", () => {
  it("matches known CDF values and inverts them", () => {
    // Beta(1,1) is uniform; Beta(2,1) has CDF x^2; Beta(1,2) has CDF 1-(1-x)^2.
    expect(betaCdf(0.3, 1, 1)).toBeCloseTo(0.3, 10);
    expect(betaCdf(0.5, 2, 1)).toBeCloseTo(0.25, 10);
    expect(betaCdf(0.5, 1, 2)).toBeCloseTo(0.75, 10);
    expect(betaQuantile(0.25, 2, 1)).toBeCloseTo(0.5, 8);
    // Beta(10, 10) is symmetric about 0.5.
    expect(betaQuantile(0.05, 10, 10) + betaQuantile(0.95, 10, 10)).toBeCloseTo(1, 8);
  });
});

describe("trustScore", () => {
  it("reads 'not enough data' below n = 20 and lets the baseline stand in", () => {
    const s = trustScore(counts({ successes: 5, failures: 14 }), 0.9, 0);
    expect(s.n).toBe(19);
    expect(s.enoughData).toBe(false);
    expect(s.score).toBe(0.9);
    // The posterior is still reported, far lower.
    expect(s.posterior).toBeLessThan(0.5);
  });

  it("uses the posterior from n = 20 on, with a 90% credible interval around it", () => {
    const s = trustScore(counts({ successes: 90, failures: 10 }), 0.5, 0);
    expect(s.enoughData).toBe(true);
    // α = 10·0.5 + 90 = 95, β = 5 + 10 = 15.
    expect(s.score).toBeCloseTo(95 / 110, 3);
    expect(s.interval.mass).toBe(0.9);
    expect(s.interval.low).toBeLessThan(s.score);
    expect(s.interval.high).toBeGreaterThan(s.score);
    expect(betaCdf(s.interval.low, s.alpha, s.beta)).toBeCloseTo(0.05, 3);
    expect(betaCdf(s.interval.high, s.alpha, s.beta)).toBeCloseTo(0.95, 3);
  });

  it("narrows the interval as evidence grows", () => {
    const small = trustScore(counts({ successes: 18, failures: 2 }), 0.5, 0);
    const large = trustScore(counts({ successes: 1800, failures: 200 }), 0.5, 0);
    const width = (s: typeof small) => s.interval.high - s.interval.low;
    expect(width(large)).toBeLessThan(width(small) / 5);
  });

  it("decays old evidence: one half-life halves the counts", () => {
    const c = counts({ successes: 40, failures: 40 });
    const later = trustScore(c, 0.5, H);
    expect(later.n).toBeCloseTo(40, 3);
    const muchLater = trustScore(c, 0.5, 3 * H);
    expect(muchLater.enoughData).toBe(false);
    expect(decayTo(c, 14 * DAY, H).successes).toBeCloseTo(20, 6);
  });

  it("merges counts in any order to the same result", () => {
    const a = counts({ successes: 10, failures: 1, at: 0 });
    const b = counts({ successes: 3, retries: 2, at: 5 * DAY });
    const ab = mergeCounts(a, b, H);
    const ba = mergeCounts(b, a, H);
    expect(ab).toEqual(ba);
    expect(ab.at).toBe(5 * DAY);
    expect(ab.successes).toBeCloseTo(10 * Math.pow(0.5, 5 / 14) + 3, 9);
  });

  it("weighs each adverse signal as documented", () => {
    const base = counts({ successes: 50 });
    for (const s of TRUST_SIGNALS) {
      const hit = trustScore({ ...base, [s]: 1 }, 0.8, 0);
      expect(hit.beta - trustScore(base, 0.8, 0).beta).toBeCloseTo(
        DEFAULT_TRUST_CONFIG.weights[s],
        9,
      );
    }
  });

  it("never rises when a failure or an adverse signal is added (posterior and interval)", () => {
    const keys = ["failures", ...TRUST_SIGNALS] as const;
    fc.assert(
      fc.property(
        arbTrustCounts,
        arbBaseline,
        fc.constantFrom(...keys),
        fc.double({ min: 0.001, max: 20, noNaN: true }),
        (c, b, key, add) => {
          const before = trustScore(c, b, 0);
          const after = trustScore({ ...c, [key]: c[key] + add }, b, 0);
          expectNoRise(before, after);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never rises when a success becomes a failure (the effective score, n unchanged)", () => {
    fc.assert(
      fc.property(
        arbTrustCounts,
        arbBaseline,
        fc.double({ min: 0, max: 1, noNaN: true }),
        (c, b, r) => {
          const moved = c.successes * r;
          const before = trustScore(c, b, 0);
          const after = trustScore(
            { ...c, successes: c.successes - moved, failures: c.failures + moved },
            b,
            0,
          );
          expect(after.score).toBeLessThanOrEqual(before.score);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps the interval inside [0, 1], around the posterior whenever α, β >= 1", () => {
    fc.assert(
      fc.property(arbTrustCounts, arbBaseline, (c, b) => {
        const s = trustScore(c, b, 0);
        expect(s.interval.low).toBeGreaterThanOrEqual(0);
        expect(s.interval.high).toBeLessThanOrEqual(1);
        expect(s.interval.low).toBeLessThanOrEqual(s.interval.high);
        // A log-concave Beta (α, β >= 1) has its mean between its 5 % and 95 % quantiles; a
        // near-perfect record (β < 1) is so skewed that the mean may sit just below the interval.
        if (s.alpha >= 1 && s.beta >= 1) {
          expect(s.interval.low).toBeLessThanOrEqual(s.posterior + 1e-4);
          expect(s.posterior).toBeLessThanOrEqual(s.interval.high + 1e-4);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("flowScore", () => {
  it("is its lowest step's", () => {
    expect(flowScore([{ score: 0.9 }, { score: 0.4 }, { score: 0.7 }])).toEqual({ score: 0.4 });
    expect(flowScore([])).toBeNull();
  });
});
