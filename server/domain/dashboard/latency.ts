/**
 * The rollups' latency sketch: the anomaly detector's fixed log-bucket histogram
 * (`../anomaly/metrics.ts`: bin i holds durations in [1.25^i, 1.25^(i+1)) ms, 64 bins), so two
 * histograms merge by adding bin by bin (rollup rows add in SQL) and a quantile is read to
 * within one bin (±12.5 %).
 */
import { histogramQuantile, LATENCY_BINS, latencyBin } from "../anomaly/metrics";

export { LATENCY_BINS, latencyBin };

/** Adds one duration (ms) to a histogram, padding it to its bins. */
export function addLatency(h: number[], ms: number): void {
  while (h.length < LATENCY_BINS) h.push(0);
  h[latencyBin(ms)]! += 1;
}

/**
 * The `q` quantile (0..1) of a histogram, in ms (the middle of its bin, one decimal), or null
 * when empty.
 */
export function latencyQuantile(h: readonly number[], q: number): number | null {
  const v = histogramQuantile(
    Array.from(h, (x) => x ?? 0),
    q,
  );
  return v === null ? null : Math.round(v * 10) / 10;
}
