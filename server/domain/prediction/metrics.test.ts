import { describe, expect, it } from "vitest";
import { brier, prAuc, rocAuc } from "./metrics";

describe("rocAuc", () => {
  it("counts the ordered pairs (worked example: 3 of 4 pairs right)", () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
  });
  it("is 1 for a perfect ranking, 0 for a reversed one, 0.5 for all ties", () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [false, true, false, true])).toBe(0.5);
  });
  it("counts a tie between a positive and a negative as half a pair", () => {
    // pairs (p, n): (0.5, 0.5) tie = 0.5, (0.5, 0.1) = 1, (0.9, 0.5) = 1, (0.9, 0.1) = 1 -> 3.5 / 4
    expect(rocAuc([0.5, 0.1, 0.5, 0.9], [false, false, true, true])).toBe(0.875);
  });
  it("matches the pairwise definition on random data", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const scores = Array.from({ length: 300 }, () => Math.round(rnd() * 20) / 20);
    const labels = scores.map((s) => rnd() < s);
    let wins = 0;
    let pairs = 0;
    scores.forEach((sp, i) => {
      if (!labels[i]) return;
      scores.forEach((sn, j) => {
        if (labels[j]) return;
        pairs++;
        wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
      });
    });
    expect(rocAuc(scores, labels)).toBeCloseTo(wins / pairs, 12);
  });
  it("is null without positives or without negatives", () => {
    expect(rocAuc([0.1, 0.2], [false, false])).toBeNull();
    expect(rocAuc([0.1, 0.2], [true, true])).toBeNull();
    expect(() => rocAuc([0.1], [true, false])).toThrow(RangeError);
  });
});

describe("prAuc", () => {
  it("averages the precision at each positive (worked example)", () => {
    expect(prAuc([0.9, 0.8, 0.7, 0.6], [true, false, true, false])).toBeCloseTo(
      (1 + 2 / 3) / 2,
      12,
    );
  });
  it("is 1 for a perfect ranking and the positive share for all ties", () => {
    expect(prAuc([0.9, 0.8, 0.1, 0.2], [true, true, false, false])).toBe(1);
    expect(prAuc([0.3, 0.3, 0.3, 0.3], [true, false, false, false])).toBe(0.25);
  });
  it("is null without positives", () => {
    expect(prAuc([0.3, 0.2], [false, false])).toBeNull();
  });
});

describe("brier", () => {
  it("is the mean squared error of the probabilities", () => {
    expect(brier([1, 0, 0.5], [true, false, true])).toBeCloseTo(0.25 / 3, 12);
    expect(brier([0.5, 0.5], [true, false])).toBe(0.25);
    expect(brier([], [])).toBeNull();
  });
});
