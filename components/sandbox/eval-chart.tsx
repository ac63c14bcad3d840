"use client";

import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

/** One bar group: an eval run's variant and the model route that answered. */
export interface PassRatePoint {
  name: string;
  passAt1: number;
  passHatN: number;
  flakyRate: number;
}

/** What each metric means (the chart's legend and the tables' headers show it on hover). */
export const METRIC_HELP = {
  passAt1: "pass@1: share of rows whose first repetition passed every assertion.",
  passHatN: "pass^n: share of rows whose every repetition passed every assertion.",
  flakyRate: "Flaky: share of rows with mixed results (some repetitions passed, some failed).",
  cost: "Cost: the USD of the samples' model calls, from the agent usage records.",
  latency: "Latency p50: the median time of a sample (the block's step, or the flow's run).",
} as const;

const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

/** Pass rates per model route and variant, as grouped bars (0–100 %). */
export function EvalPassRateChart({ data }: { data: PassRatePoint[] }) {
  if (data.length === 0) return null;
  return (
    <figure
      aria-label="Pass rates per variant and model route"
      className="h-64 w-full rounded-lg border border-zinc-200 bg-white p-2"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="name" tick={{ fontSize: 11 }} interval={0} />
          <YAxis domain={[0, 1]} tickFormatter={pct} tick={{ fontSize: 11 }} width={44} />
          <Tooltip formatter={(v) => pct(Number(v))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="passAt1" name="pass@1" fill="#4f46e5" isAnimationActive={false} />
          <Bar dataKey="passHatN" name="pass^n" fill="#059669" isAnimationActive={false} />
          <Bar dataKey="flakyRate" name="flaky" fill="#d97706" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
