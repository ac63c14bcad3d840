/** Number formats and the metrics row shape shared by the evaluation suite views. */

/** One set of metrics as the eval views show it (overall or one model route's). */
export interface Metrics {
  rows: number;
  samples: number;
  passAt1: number;
  passHatN: number;
  flakyRate: number;
  costUsd: number;
  latencyP50Ms: number;
}

export const pct = (v: number | undefined) =>
  v === undefined ? "–" : `${Math.round(v * 1000) / 10}%`;
export const usd = (v: number | undefined) => (v === undefined ? "–" : `$${v.toFixed(6)}`);
export const ms = (v: number | undefined) => (v === undefined ? "–" : `${v} ms`);
export const signed = (v: number, fmt: (n: number) => string) => `${v > 0 ? "+" : ""}${fmt(v)}`;
