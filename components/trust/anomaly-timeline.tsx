"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import {
  CartesianGrid,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { HeadRow, Table, Td } from "@/components/ui/table";
import { ChartFigure } from "@/components/operations/chart-figure";
import { AnomalyList } from "./anomaly-list";

const AXIS = { fontSize: 11, fill: "#52525b" };
const DAY = 86_400_000;

const when = (iso: string) => new Date(iso).toISOString().slice(0, 16).replace("T", " ");

/**
 * Anomalies of the last 30 days on a timeline (one row per metric), with its table, and the
 * list below with their baseline, observed value, n and rule, and the expected/real feedback.
 */
export function AnomalyTimeline() {
  const trpc = useTRPC();
  // The day the page opened, to the day: the query's key stays put while it refreshes.
  const [today] = useState(() => Math.floor(Date.now() / DAY) * DAY);
  const since = new Date(today - 30 * DAY);
  const q = useQuery({
    ...trpc.anomaly.list.queryOptions({ since: since.toISOString(), limit: 200 }),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
  const items = q.data?.items ?? [];
  const metrics = [...new Set(items.map((a) => a.metricLabel))].sort();
  const points = items.map((a) => ({
    t: new Date(a.detectedAt).getTime(),
    m: metrics.indexOf(a.metricLabel),
    label: `${a.label || a.key}: ${a.metricLabel}`,
    feedback: a.feedback,
  }));
  return (
    <section aria-labelledby="anomalies-title" className="space-y-3">
      <h2 id="anomalies-title" className="text-sm font-semibold text-zinc-900">
        Anomalies
      </h2>
      {q.error && (
        <Alert tone="error">{errorMessage(q.error) ?? "The anomalies could not be read."}</Alert>
      )}
      {q.data && items.length === 0 ? (
        <EmptyState title="No anomaly in the last 30 days">
          Each flow, block, endpoint and model is compared with its own history every few seconds;
          an entity with less than a day of history is not judged yet (not enough data).
        </EmptyState>
      ) : null}
      {items.length > 0 && (
        <ChartFigure
          title="Anomalies over the last 30 days"
          summary={`${items.length} anomal${items.length === 1 ? "y" : "ies"} since ${since.toISOString().slice(0, 10)}, by metric: ${metrics
            .map((m) => `${m} ${items.filter((a) => a.metricLabel === m).length}`)
            .join(", ")}.`}
          table={
            <Table label="Anomalies by time">
              <HeadRow
                columns={["Detected (UTC)", "Entity", "Metric", "Rule", "Feedback"]}
                last={null}
              />
              <tbody>
                {items.map((a) => (
                  <tr key={a.id}>
                    <Td>{when(a.detectedAt)}</Td>
                    <Td>{a.label || a.key}</Td>
                    <Td>{a.metricLabel}</Td>
                    <Td>{a.rule}</Td>
                    <Td>{a.feedback ?? "—"}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          }
        >
          <ResponsiveContainer width="100%" height="100%">
            <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid stroke="#e4e4e7" />
              <XAxis
                dataKey="t"
                type="number"
                domain={[since.getTime(), today + DAY]}
                tickFormatter={(t: number) => new Date(t).toISOString().slice(5, 10)}
                tick={AXIS}
              />
              <YAxis
                dataKey="m"
                type="number"
                domain={[-0.5, Math.max(0.5, metrics.length - 0.5)]}
                ticks={metrics.map((_, i) => i)}
                tickFormatter={(i: number) => metrics[i] ?? ""}
                tick={AXIS}
                width={150}
              />
              <Tooltip
                formatter={(_v, _n, p) => (p?.payload as { label?: string })?.label ?? ""}
                labelFormatter={() => ""}
              />
              <Scatter data={points} fill="#b91c1c" isAnimationActive={false} />
            </ScatterChart>
          </ResponsiveContainer>
        </ChartFigure>
      )}
      {items.length > 0 && <AnomalyList items={items} />}
    </section>
  );
}
