/**
 * One entity's current window judged against its baselines (pure), with the cooldown that
 * turns a continuing anomaly into one alert: the anomaly consumer and the planted-anomaly
 * benchmark (`bench/anomaly/`) both run this.
 */
import { COOLDOWN_MS, evaluate, type Baselines, type Verdict } from "./detect";
import { METRICS, type BucketStats, type EntityKind, type Metric } from "./metrics";

export type AnomalyVerdict = Extract<Verdict, { state: "anomaly" }>;

/** Feedback factors per metric (absent: 1). */
export type Factors = Partial<Record<string, number>>;

/**
 * The anomalies of a window and the metrics that lack history ("not enough data").
 */
export function judgeWindow(
  kind: EntityKind,
  window: BucketStats,
  windowStart: number,
  baselines: Baselines,
  factors: Factors = {},
): { anomalies: AnomalyVerdict[]; notEnoughData: Metric[] } {
  const anomalies: AnomalyVerdict[] = [];
  const notEnoughData: Metric[] = [];
  for (const metric of METRICS) {
    const v = evaluate(kind, metric, window, windowStart, baselines[metric], factors[metric] ?? 1);
    if (v?.state === "anomaly") anomalies.push(v);
    else if (v?.state === "not-enough-data") notEnoughData.push(metric);
  }
  return { anomalies, notEnoughData };
}

/** Whether a detection at `now` continues an anomaly last seen at `lastSeenAt` (no new alert). */
export function continues(lastSeenAt: number | undefined, now: number): boolean {
  return lastSeenAt !== undefined && now - lastSeenAt <= COOLDOWN_MS;
}
