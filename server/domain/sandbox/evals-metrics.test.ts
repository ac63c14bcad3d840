import { describe, expect, it } from "vitest";
import {
  bestRoute,
  computeMetrics,
  metricsByRoute,
  NO_MODEL_ROUTE,
  quantile,
  type Sample,
} from "./evals-metrics";

/** Samples of rows × repetitions from a pass table: `table[row][rep]`. */
function samples(
  table: boolean[][],
  route = "m",
  cost = 0.001,
  latency = (i: number) => 10 * (i + 1),
) {
  const out: Sample[] = [];
  let i = 0;
  table.forEach((reps, rowIndex) =>
    reps.forEach((passed, repetition) =>
      out.push({
        rowIndex,
        repetition,
        passed,
        route,
        costUsd: cost,
        latencyMs: latency(i++),
        tokensIn: 3,
        tokensOut: 2,
      }),
    ),
  );
  return out;
}

const T = true;
const F = false;

describe("computeMetrics", () => {
  it("computes pass@1, pass^n and the flaky rate on a hand-worked table", () => {
    // Row 0 passes all 3; row 1 fails its first, passes the rest (flaky); row 2 passes its first,
    // then fails (flaky); row 3 fails all.
    // pass@1: rows 0 and 2 pass their first -> 2/4. pass^n: only row 0 -> 1/4. flaky: rows 1, 2 -> 2/4.
    // pass rate: 3 + 2 + 1 + 0 = 6 of 12.
    const m = computeMetrics(
      samples([
        [T, T, T],
        [F, T, T],
        [T, F, F],
        [F, F, F],
      ]),
    );
    expect(m).toMatchObject({
      rows: 4,
      samples: 12,
      passAt1: 0.5,
      passHatN: 0.25,
      flakyRate: 0.5,
      passRate: 0.5,
      costUsd: 0.012,
      meanCostUsd: 0.001,
      tokensIn: 36,
      tokensOut: 24,
    });
    // Latencies 10, 20, ..., 120: p50 by nearest rank is the 6th (60), p95 the 12th (120), mean 65.
    expect(m.latencyP50Ms).toBe(60);
    expect(m.latencyP95Ms).toBe(120);
    expect(m.latencyMeanMs).toBe(65);
  });

  it("takes a row's lowest repetition present as its first, whatever the order", () => {
    const s = samples([[F, T, T]]).reverse();
    expect(computeMetrics(s)).toMatchObject({ passAt1: 0, passHatN: 0, flakyRate: 1 });
    // An interrupted run that recorded only repetition 1 and 2 of the row: repetition 1 is its first.
    expect(computeMetrics(s.filter((x) => x.repetition > 0))).toMatchObject({
      passAt1: 1,
      passHatN: 1,
      flakyRate: 0,
    });
  });

  it("gives zeros for no samples", () => {
    expect(computeMetrics([])).toMatchObject({
      rows: 0,
      passAt1: 0,
      passHatN: 0,
      flakyRate: 0,
      latencyP50Ms: 0,
    });
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([5], 0.95)).toBe(5);
  });
});

describe("metricsByRoute and bestRoute", () => {
  it("groups samples by the model that answered them", () => {
    const a = samples(
      [
        [T, T, T],
        [T, F, T],
      ],
      "model-a",
      0.002,
    );
    const b = samples(
      [
        [T, T, T],
        [T, T, T],
      ],
      "model-b",
      0.004,
    );
    const none = samples([[T, T, T]], "");
    const by = metricsByRoute([...a, ...b, ...none]);
    expect(Object.keys(by)).toEqual([NO_MODEL_ROUTE, "model-a", "model-b"]);
    expect(by["model-a"]).toMatchObject({ rows: 2, passAt1: 1, passHatN: 0.5, flakyRate: 0.5 });
    expect(by["model-b"]).toMatchObject({ rows: 2, passAt1: 1, passHatN: 1, flakyRate: 0 });
    // b is more reliable (pass^n 1 > 0.5) although dearer; the no-model group never wins.
    expect(bestRoute(by)?.route).toBe("model-b");
  });

  it("breaks ties by pass@1, then cost, then latency", () => {
    const cheap = samples([[T, T, T]], "cheap", 0.001);
    const dear = samples([[T, T, T]], "dear", 0.01);
    expect(bestRoute(metricsByRoute([...dear, ...cheap]))?.route).toBe("cheap");
    const slow = samples([[T, T, T]], "slow", 0.001, () => 900);
    expect(bestRoute(metricsByRoute([...slow, ...cheap]))?.route).toBe("cheap");
    const firstFails = samples(
      [
        [F, T, T],
        [T, T, T],
      ],
      "x",
    );
    const allFirst = samples(
      [
        [T, F, T],
        [T, T, T],
      ],
      "y",
    );
    expect(bestRoute(metricsByRoute([...firstFails, ...allFirst]))?.route).toBe("y");
    expect(bestRoute({})).toBeNull();
    expect(bestRoute(metricsByRoute(cheap), 2)).toBeNull();
  });
});
