import { describe, expect, it } from "vitest";
import { Prng } from "@/server/adapters/connectors/mock/prng";
import {
  adjustFactor,
  computeBaselines,
  evaluate,
  mad,
  median,
  MIN_HISTORY_WINDOWS,
  peerOutliers,
} from "./detect";
import { continues, judgeWindow } from "./judge";
import { rogue } from "./detector";
import {
  addStats,
  BUCKET_MS,
  emptyStats,
  histogramQuantile,
  latencyBin,
  WINDOW_MS,
  type BucketStats,
} from "./metrics";

const T0 = Date.UTC(2026, 10, 2);
const DAY = 86_400_000;

/** A seeded bucket: `calls` calls at error rate `p`, log-normal latency around `ms`. */
function bucket(r: Prng, calls: number, p: number, ms: number, extra: Partial<BucketStats> = {}) {
  const s = emptyStats();
  s.runs = calls;
  s.calls = calls;
  for (let i = 0; i < calls; i++) {
    if (r.next() < p) s.failures++;
    s.latency[latencyBin(ms * Math.exp(0.4 * (r.next() + r.next() + r.next() - 1.5)))]!++;
    s.cost += 0.001;
    s.outBytes += 500;
  }
  return Object.assign(s, extra);
}

function history(seed: number, days: number) {
  const r = new Prng(seed);
  const out: Array<{ at: number; stats: BucketStats }> = [];
  for (let t = T0; t < T0 + days * DAY; t += BUCKET_MS)
    out.push({ at: t, stats: bucket(r, 40, 0.05, 200) });
  return { r, out, end: T0 + days * DAY };
}

function window(r: Prng, p: number, ms: number, calls = 40) {
  const w = emptyStats();
  for (let i = 0; i < 3; i++) addStats(w, bucket(r, calls, p, ms));
  return w;
}

describe("robust statistics", () => {
  it("computes median and MAD", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1);
  });

  it("reads a quantile from the log histogram within one bin", () => {
    const h = emptyStats().latency;
    for (let ms = 1; ms <= 1000; ms++) h[latencyBin(ms)]!++;
    const p95 = histogramQuantile(h, 0.95)!;
    expect(p95).toBeGreaterThan(950 / 1.25);
    expect(p95).toBeLessThan(950 * 1.25);
  });
});

describe("the detector", () => {
  it("says not enough data below the minimum history, whatever the window shows", () => {
    const { r, out, end } = history(1, 0.5);
    const b = computeBaselines("block", out, end);
    expect(b.error_rate!.windows).toBeLessThan(MIN_HISTORY_WINDOWS);
    const v = evaluate("block", "error_rate", window(r, 0.9, 200), end, b.error_rate);
    expect(v).toEqual({
      state: "not-enough-data",
      metric: "error_rate",
      windows: b.error_rate!.windows,
    });
    expect(judgeWindow("block", window(r, 0.9, 200), end, b).anomalies).toEqual([]);
  });

  it("finds an error rate ×3 and a p95 ×2, naming baseline, observed value, n and rule", () => {
    const { r, out, end } = history(2, 3);
    const b = computeBaselines("block", out, end);
    // At n = 240 an error rate ×3 (5 % → 15 %) is 7 binomial standard deviations away.
    const err = judgeWindow("block", window(r, 0.15, 200, 80), end, b).anomalies;
    expect(err.map((a) => a.metric)).toEqual(["error_rate"]);
    expect(err[0]).toMatchObject({ rule: "robust-z", n: 240 });
    expect(err[0]!.baseline).toBeCloseTo(0.05, 1);
    expect(err[0]!.explanation).toMatch(/median of .* robust z = /);
    const slow = judgeWindow("block", window(r, 0.05, 400), end, b).anomalies;
    expect(slow.map((a) => [a.metric, a.rule])).toEqual([["p95_latency", "tail-exceedance"]]);
  });

  it("stays quiet on clean windows (seeded: 500 of them)", () => {
    const { r, out, end } = history(3, 3);
    const b = computeBaselines("block", out, end);
    let alerts = 0;
    for (let i = 0; i < 500; i++)
      alerts += judgeWindow("block", window(r, 0.05, 200), end + i * WINDOW_MS, b).anomalies.length;
    expect(alerts).toBe(0);
  });

  it("judges a quiet entity over a longer window, and finds a calls-per-run jump there", () => {
    const r = new Prng(6);
    const out: Array<{ at: number; stats: BucketStats }> = [];
    // About one run every 10 minutes, two calls each.
    for (let t = T0; t < T0 + 4 * DAY; t += BUCKET_MS) {
      const runs = r.next() < 0.5 ? 1 : 0;
      out.push({ at: t, stats: Object.assign(emptyStats(), { runs, calls: 2 * runs }) });
    }
    const end = T0 + 4 * DAY;
    const b = computeBaselines("block", out, end);
    expect(b.calls_per_run!.windowMs).toBeGreaterThan(WINDOW_MS);
    expect(b.calls_per_run!.median).toBe(2);
    const w = Object.assign(emptyStats(), { runs: 4, calls: 40 });
    const found = judgeWindow("block", w, end - b.calls_per_run!.windowMs!, b).anomalies;
    expect(found.map((a) => a.metric)).toEqual(["calls_per_run"]);
    expect(found[0]!.explanation).toMatch(/^10\.00 over the last \d+ (h|minutes) \(n = 4\)/);
  });

  it("uses hour-of-week baselines once the history spans three weeks", () => {
    const { out, end } = history(4, 22);
    const b = computeBaselines("block", out, end);
    expect(b.error_rate!.slots).toBeDefined();
    expect(Object.keys(b.error_rate!.slots!).length).toBe(168);
    expect(computeBaselines("block", out.slice(-2000), end).error_rate!.slots).toBeUndefined();
  });

  it("raises the threshold on 'expected' and lowers it on 'real', within bounds", () => {
    expect(adjustFactor(1, "expected")).toBe(1.25);
    expect(adjustFactor(1, "real")).toBe(0.9);
    expect(adjustFactor(2.9, "expected")).toBe(3);
    expect(adjustFactor(0.76, "real")).toBe(0.75);
    // A raised factor silences an anomaly the default one reports.
    const { r, out, end } = history(5, 3);
    const b = computeBaselines("block", out, end);
    const w = window(r, 0.15, 200, 80);
    const z = judgeWindow("block", w, end, b).anomalies[0]!.z;
    expect(judgeWindow("block", w, end, b, { error_rate: (z + 1) / 5 }).anomalies).toEqual([]);
  });

  it("extends an anomaly within the cooldown", () => {
    expect(continues(undefined, T0)).toBe(false);
    expect(continues(T0, T0 + 30 * 60_000)).toBe(true);
    expect(continues(T0, T0 + 61 * 60_000)).toBe(false);
  });

  it("finds peer outliers among blocks of the same kind", () => {
    const base = (m: number) => ({
      error_rate: { median: m, mad: 0.01, windows: MIN_HISTORY_WINDOWS },
    });
    const peers = [0.04, 0.05, 0.05, 0.06, 0.05, 0.3].map((m, i) => ({
      key: `b${i}`,
      peer: "connector",
      baselines: base(m),
    }));
    expect(peerOutliers(peers).map((o) => [o.key, o.metric])).toEqual([["b5", "error_rate"]]);
    expect(peerOutliers(peers.slice(0, 4))).toEqual([]);
  });
});

describe("rogue-block rules", () => {
  const delta = (over: object) => ({
    workspaceId: "w",
    kind: "endpoint" as const,
    key: "erp:erp.invoice.create",
    label: "erp:erp.invoice.create",
    peer: "",
    write: true,
    bucket: T0,
    stats: emptyStats(),
    lastAt: T0 + 5 * DAY,
    first: T0 + 5 * DAY,
    fields: new Set<string>(),
    flow: "f",
    ...over,
  });

  it("reports a new write endpoint of a flow with a day of history, not of a new flow", () => {
    const old = { firstSeenAt: new Date(T0) };
    expect(rogue(delta({}), undefined, old).map((f) => f.rule)).toEqual(["new-write-endpoint"]);
    expect(rogue(delta({}), undefined, { firstSeenAt: new Date(T0 + 5 * DAY - 60_000) })).toEqual(
      [],
    );
    expect(rogue(delta({}), { firstSeenAt: new Date(T0), fields: [] }, old)).toEqual([]);
  });

  it("reports output fields a block never returned before", () => {
    const f = rogue(
      delta({ kind: "block", key: "crm.contact.get@1.0.0", fields: new Set(["id", "ssn"]) }),
      { firstSeenAt: new Date(T0), fields: ["id", "email"] },
      undefined,
    );
    expect(f.map((x) => [x.rule, x.explanation])).toEqual([
      ["new-output-fields", "Output fields never seen before: ssn."],
    ]);
  });
});
