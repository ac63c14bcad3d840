/**
 * A mergeable latency sketch: a fixed log-bucket histogram. Bin i holds durations in
 * [1.25^i, 1.25^(i+1)) ms (bin 0 also everything below 1.25 ms, the last bin everything above
 * ~27 minutes), so two histograms merge by adding bin by bin (rollup rows add in SQL) and a
 * quantile is read to within one bin (±12.5 %): the bin's geometric middle is reported.
 */

/** Number of bins. */
export const LATENCY_BINS = 64;
const RATIO = 1.25;
const LOG_RATIO = Math.log(RATIO);

/** The bin of a duration in ms. */
export function latencyBin(ms: number): number {
  if (!(ms >= RATIO)) return 0;
  return Math.min(LATENCY_BINS - 1, Math.floor(Math.log(ms) / LOG_RATIO));
}

/** A histogram holding one duration. */
export function addLatency(h: number[], ms: number): void {
  while (h.length < LATENCY_BINS) h.push(0);
  h[latencyBin(ms)]! += 1;
}

/**
 * The `q` quantile (0..1) of a histogram, in ms (the middle of its bin), or null when empty.
 *
 * @example latencyQuantile([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10], 0.95) // ≈ 10.4 ms (bin 10)
 */
export function latencyQuantile(h: readonly number[], q: number): number | null {
  const total = h.reduce((s, v) => s + v, 0);
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i] ?? 0;
    if (seen >= rank) return Math.round(Math.pow(RATIO, i + 0.5) * 10) / 10;
  }
  return Math.round(Math.pow(RATIO, h.length - 0.5) * 10) / 10;
}
