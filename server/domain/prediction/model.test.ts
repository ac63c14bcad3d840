import LogisticRegression from "ml-logistic-regression";
import { Matrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { contributions, fitModel, scoreModel } from "./model";

// y = 1 mostly when x0 is high; x1 is noise.
function data(n: number) {
  let s = 3;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const rows: number[][] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const x0 = rnd() * 10;
    const x1 = rnd() * 5;
    rows.push([x0, x1]);
    labels.push(rnd() < 1 / (1 + Math.exp(-(x0 - 7))));
  }
  return { rows, labels };
}

describe("fitModel", () => {
  it("learns a positive weight for the signal and ranks by it", () => {
    const { rows, labels } = data(800);
    const m = fitModel(["flow_fail_24h", "hour_sin"], rows, labels)!;
    expect(m.weights[0]).toBeGreaterThan(1);
    expect(Math.abs(m.weights[1]!)).toBeLessThan(0.3);
    expect(scoreModel(m, [9, 2])).toBeGreaterThan(scoreModel(m, [3, 2]));
    // Calibrated in the sample: the mean prediction is near the failure share.
    const mean = rows.reduce((a, r) => a + scoreModel(m, r), 0) / rows.length;
    expect(mean).toBeCloseTo(labels.filter(Boolean).length / labels.length, 1);
  });

  it("scores exactly as the library's classifier does on the standardised rows", () => {
    const { rows, labels } = data(200);
    const m = fitModel(["flow_fail_24h", "hour_sin"], rows, labels, 50)!;
    const lr = LogisticRegression.load({
      name: "LogisticRegression",
      numberClasses: 1,
      classifiers: [{ numSteps: 0, learningRate: 0, weights: [[m.intercept, ...m.weights]] }],
    });
    const z = rows.map((r) => [1, ...r.map((v, j) => (v - m.means[j]!) / m.stds[j]!)]);
    const lib = lr.classifiers[0]!.testScores(new Matrix(z));
    rows.forEach((r, i) => expect(scoreModel(m, r)).toBeCloseTo(lib[i]!, 12));
    const c = contributions(m, rows[0]!);
    expect(1 / (1 + Math.exp(-(m.intercept + c[0]! + c[1]!)))).toBeCloseTo(lib[0]!, 12);
  });

  it("returns null when every label is the same (nothing to learn)", () => {
    expect(fitModel(["flow_fail_24h"], [[1], [2]], [false, false])).toBeNull();
    expect(fitModel(["flow_fail_24h"], [[1], [2]], [true, true])).toBeNull();
    expect(fitModel(["flow_fail_24h"], [], [])).toBeNull();
  });

  it("keeps a constant feature harmless (standard deviation 0 reads as 1)", () => {
    const { rows, labels } = data(200);
    const m = fitModel(
      ["flow_fail_24h", "open_anomalies"],
      rows.map((r) => [r[0]!, 0]),
      labels,
      50,
    )!;
    expect(m.stds[1]).toBe(1);
    expect(m.weights[1]).toBe(0);
  });
});
