/**
 * The metrics of an eval run (pure). A sample is one repetition of one dataset row.
 *
 * - **pass@1**: the mean, over rows, of whether the row's FIRST repetition (the lowest
 *   repetition number present) passed: what one try gets you.
 * - **pass^n**: the share of rows whose every repetition passed: what you can rely on.
 * - **flaky rate**: the share of rows with mixed results (some repetitions passed, some failed).
 * - **pass rate**: passed samples / samples.
 * - **cost**: the summed USD of the samples' model calls (from the agent usage table); **latency**:
 *   each sample's run, from its start to its end (p50, p95, mean).
 *
 * Per model route, the samples are grouped by the route that answered them; a row counts in a
 * route's metrics with the repetitions that route answered. An interrupted run's metrics cover
 * the samples it recorded.
 */

export interface Sample {
  rowIndex: number;
  repetition: number;
  passed: boolean;
  /** The model route that answered (the configured model's name), or "" when none was called. */
  route: string;
  costUsd: number;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
}

export interface EvalMetrics {
  rows: number;
  samples: number;
  passAt1: number;
  passHatN: number;
  flakyRate: number;
  passRate: number;
  costUsd: number;
  /** Cost per sample, USD. */
  meanCostUsd: number;
  tokensIn: number;
  tokensOut: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyMeanMs: number;
}

/** The `q` quantile (0..1) of sorted numbers, nearest rank; 0 when empty. */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

const round = (n: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** The metrics of `samples` (see the file's comment). Empty input gives zeros. */
export function computeMetrics(samples: readonly Sample[]): EvalMetrics {
  const byRow = new Map<number, Sample[]>();
  for (const s of samples) {
    const list = byRow.get(s.rowIndex);
    if (list) list.push(s);
    else byRow.set(s.rowIndex, [s]);
  }
  let first = 0;
  let all = 0;
  let mixed = 0;
  for (const list of byRow.values()) {
    const earliest = list.reduce((a, b) => (b.repetition < a.repetition ? b : a));
    if (earliest.passed) first++;
    const passed = list.filter((s) => s.passed).length;
    if (passed === list.length) all++;
    else if (passed > 0) mixed++;
  }
  const rows = byRow.size;
  const n = samples.length;
  const latencies = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const cost = samples.reduce((t, s) => t + s.costUsd, 0);
  return {
    rows,
    samples: n,
    passAt1: rows ? round(first / rows, 6) : 0,
    passHatN: rows ? round(all / rows, 6) : 0,
    flakyRate: rows ? round(mixed / rows, 6) : 0,
    passRate: n ? round(samples.filter((s) => s.passed).length / n, 6) : 0,
    costUsd: round(cost, 10),
    meanCostUsd: n ? round(cost / n, 10) : 0,
    tokensIn: samples.reduce((t, s) => t + s.tokensIn, 0),
    tokensOut: samples.reduce((t, s) => t + s.tokensOut, 0),
    latencyP50Ms: quantile(latencies, 0.5),
    latencyP95Ms: quantile(latencies, 0.95),
    latencyMeanMs: n ? Math.round(latencies.reduce((t, l) => t + l, 0) / n) : 0,
  };
}

/** The label of samples that called no model (e.g. a flow without agent steps). */
export const NO_MODEL_ROUTE = "(no model)";

/** The metrics of every route's samples, by route name. */
export function metricsByRoute(samples: readonly Sample[]): Record<string, EvalMetrics> {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = s.route || NO_MODEL_ROUTE;
    const list = groups.get(key);
    if (list) list.push(s);
    else groups.set(key, [s]);
  }
  const out: Record<string, EvalMetrics> = {};
  for (const [route, list] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    out[route] = computeMetrics(list);
  }
  return out;
}

/** What an ended eval run stores as its summary. */
export interface EvalSummary {
  overall: EvalMetrics;
  byRoute: Record<string, EvalMetrics>;
}

export function summarize(samples: readonly Sample[]): EvalSummary {
  return { overall: computeMetrics(samples), byRoute: metricsByRoute(samples) };
}

/**
 * The route a set of summaries recommends: the route with the highest pass^n, then pass@1,
 * then the lowest mean cost, then the lowest p50 latency; routes with fewer than `minRows`
 * rows and the no-model group never win. Null when none qualifies.
 */
export function bestRoute(
  byRoute: Record<string, EvalMetrics>,
  minRows = 1,
): { route: string; metrics: EvalMetrics } | null {
  let best: { route: string; metrics: EvalMetrics } | null = null;
  for (const [route, m] of Object.entries(byRoute)) {
    if (route === NO_MODEL_ROUTE || m.rows < minRows) continue;
    if (
      !best ||
      m.passHatN > best.metrics.passHatN ||
      (m.passHatN === best.metrics.passHatN &&
        (m.passAt1 > best.metrics.passAt1 ||
          (m.passAt1 === best.metrics.passAt1 &&
            (m.meanCostUsd < best.metrics.meanCostUsd ||
              (m.meanCostUsd === best.metrics.meanCostUsd &&
                m.latencyP50Ms < best.metrics.latencyP50Ms)))))
    ) {
      best = { route, metrics: m };
    }
  }
  return best;
}
