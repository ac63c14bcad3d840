"use client";

import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { RouterOutputs } from "@/lib/trpc/types";
import { HeadRow, Table, Td } from "@/components/ui/table";
import { ChartFigure } from "./chart-figure";
import { bucketLabel, formatCount, formatMs, formatPercent, formatUsd } from "./format";

export type OperationsView = RouterOutputs["dashboard"]["operations"];

/** Series colours: the accent for volume, emerald for success, red for failure (with labels). */
const C = { accent: "#4f46e5", ok: "#059669", bad: "#dc2626", grey: "#71717a" };
const AXIS = { fontSize: 11, fill: "#52525b" };

/** Runs per minute over the range, with successes and failures per bucket. */
export function ThroughputChart({ view }: { view: OperationsView }) {
  const data = view.throughput.map((t) => ({ ...t, label: bucketLabel(t.at, view.bucketMs) }));
  const total = data.reduce((s, t) => s + t.runs, 0);
  const peak = data.reduce((m, t) => Math.max(m, t.perMinute), 0);
  const unit = view.bucketMs === 60_000 ? "minute" : view.bucketMs === 3_600_000 ? "hour" : "day";
  return (
    <ChartFigure
      title="Runs per minute"
      summary={`${formatCount(total)} runs ended in this range, at most ${peak} per minute (averaged per ${unit}).`}
      table={
        <Table label="Runs per bucket">
          <HeadRow
            columns={["Bucket start", "Runs", "Per minute", "Succeeded", "Failed", "Dead letters"]}
            last={null}
          />
          <tbody>
            {data
              .filter((t) => t.runs > 0 || t.deadLetters > 0)
              .map((t) => (
                <tr key={t.at}>
                  <Td>{t.label}</Td>
                  <Td>{formatCount(t.runs)}</Td>
                  <Td>{t.perMinute}</Td>
                  <Td>{formatCount(t.succeeded)}</Td>
                  <Td>{formatCount(t.failed)}</Td>
                  <Td>{formatCount(t.deadLetters)}</Td>
                </tr>
              ))}
          </tbody>
        </Table>
      }
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -12 }}>
          <CartesianGrid stroke="#e4e4e7" vertical={false} />
          <XAxis dataKey="label" tick={AXIS} minTickGap={24} />
          <YAxis tick={AXIS} allowDecimals />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line
            type="monotone"
            dataKey="perMinute"
            name="Runs per minute"
            stroke={C.accent}
            dot={false}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

/** Success rate and p95 run duration per flow. */
export function FlowsCharts({ view }: { view: OperationsView }) {
  const data = view.flows.slice(0, 12).map((f) => ({
    name: f.name,
    successRate: f.successRate === null ? null : Math.round(f.successRate * 1000) / 10,
    p95: f.p95Ms,
    cost: f.costUsd,
  }));
  const worst = [...view.flows]
    .filter((f) => f.successRate !== null)
    .sort((a, b) => a.successRate! - b.successRate!)[0];
  const slowest = [...view.flows].sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0))[0];
  const height = Math.max(120, data.length * 28 + 40);
  const table = (
    <Table label="Flows">
      <HeadRow
        columns={["Flow", "Runs", "Succeeded", "Failed", "Success rate", "p95", "Cost", "Tokens"]}
        last={null}
      />
      <tbody>
        {view.flows.map((f) => (
          <tr key={f.workflowId ?? f.name}>
            <Td>
              {f.workflowId ? (
                <a className="text-accent-700 underline" href={`/runs?workflow=${f.workflowId}`}>
                  {f.name}
                </a>
              ) : (
                f.name
              )}
            </Td>
            <Td>{formatCount(f.runs)}</Td>
            <Td>{formatCount(f.succeeded)}</Td>
            <Td>{formatCount(f.failed)}</Td>
            <Td>{formatPercent(f.successRate)}</Td>
            <Td>{formatMs(f.p95Ms)}</Td>
            <Td>{formatUsd(f.costUsd)}</Td>
            <Td>{formatCount(f.tokens)}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <ChartFigure
        title="Success rate by flow"
        summary={
          worst
            ? `${view.flows.length} flows ran; the lowest success rate is ${worst.name}'s, ${formatPercent(worst.successRate)}.`
            : "No flow ended in this range."
        }
        table={table}
        height={height}
      >
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} layout="vertical" margin={{ left: 8, right: 16 }}>
            <CartesianGrid stroke="#e4e4e7" horizontal={false} />
            <XAxis type="number" domain={[0, 100]} unit=" %" tick={AXIS} />
            <YAxis type="category" dataKey="name" width={120} tick={AXIS} />
            <Tooltip />
            <Bar
              dataKey="successRate"
              name="Success rate (%)"
              fill={C.ok}
              isAnimationActive={false}
            />
          </BarChart>
        </ResponsiveContainer>
      </ChartFigure>
      <ChartFigure
        title="p95 run duration by flow"
        summary={
          slowest?.p95Ms
            ? `The slowest flow at the 95th percentile is ${slowest.name}: ${formatMs(slowest.p95Ms)}.`
            : "No run durations in this range."
        }
        table={table}
        height={height}
      >
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} layout="vertical" margin={{ left: 8, right: 16 }}>
            <CartesianGrid stroke="#e4e4e7" horizontal={false} />
            <XAxis type="number" unit=" ms" tick={AXIS} />
            <YAxis type="category" dataKey="name" width={120} tick={AXIS} />
            <Tooltip />
            <Bar dataKey="p95" name="p95 (ms)" fill={C.accent} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </ChartFigure>
    </div>
  );
}

/** SLA compliance per tier: attempts within their tier's latency budget. */
export function TiersChart({ view }: { view: OperationsView }) {
  const data = view.tiers.map((t) => ({
    ...t,
    percent: t.compliance === null ? null : Math.round(t.compliance * 1000) / 10,
  }));
  const measured = view.tiers.filter((t) => t.compliance !== null);
  return (
    <ChartFigure
      title="SLA compliance by tier"
      summary={
        measured.length
          ? measured
              .map(
                (t) =>
                  `${t.tier}: ${formatPercent(t.compliance)} of ${formatCount(t.attempts)} attempts`,
              )
              .join("; ") + "."
          : "No attempts in this range."
      }
      table={
        <Table label="SLA compliance by tier">
          <HeadRow columns={["Tier", "Attempts", "Over budget", "Compliance"]} last={null} />
          <tbody>
            {view.tiers.map((t) => (
              <tr key={t.tier}>
                <Td>{t.tier}</Td>
                <Td>{formatCount(t.attempts)}</Td>
                <Td>{formatCount(t.misses)}</Td>
                <Td>{formatPercent(t.compliance)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      }
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -12 }}>
          <CartesianGrid stroke="#e4e4e7" vertical={false} />
          <XAxis dataKey="tier" tick={AXIS} />
          <YAxis domain={[0, 100]} unit=" %" tick={AXIS} />
          <Tooltip />
          <Bar dataKey="percent" name="Within budget (%)" fill={C.ok} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

/** Cost per model (agent steps) and per flow. */
export function CostChart({ view }: { view: OperationsView }) {
  const data = [
    ...view.models.map((m) => ({ name: `model ${m.model}`, cost: m.costUsd })),
    ...view.flows
      .filter((f) => f.costUsd > 0)
      .map((f) => ({ name: `flow ${f.name}`, cost: f.costUsd })),
  ].slice(0, 16);
  const total = view.models.reduce((s, m) => s + m.costUsd, 0);
  return (
    <ChartFigure
      title="Cost by model and flow"
      summary={
        view.models.length
          ? `Agent steps cost ${formatUsd(total)} in this range, over ${view.models.length} model(s).`
          : "No agent step ran in this range: no cost."
      }
      height={Math.max(120, data.length * 26 + 40)}
      table={
        <Table label="Cost by model and flow">
          <HeadRow columns={["Model or flow", "Cost"]} last={null} />
          <tbody>
            {data.map((d) => (
              <tr key={d.name}>
                <Td>{d.name}</Td>
                <Td>{formatUsd(d.cost)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      }
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 16 }}>
          <CartesianGrid stroke="#e4e4e7" horizontal={false} />
          <XAxis type="number" unit=" $" tick={AXIS} />
          <YAxis type="category" dataKey="name" width={150} tick={AXIS} />
          <Tooltip />
          <Bar dataKey="cost" name="Cost (USD)" fill={C.grey} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}
