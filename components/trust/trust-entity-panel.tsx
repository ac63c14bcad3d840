"use client";

import Link from "next/link";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
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
import { formatCount } from "@/components/operations/format";
import { RangePicker, type Range } from "@/components/operations/range-picker";
import { ScoreInputs } from "./score-inputs";
import type { TrustEntry } from "./trust-scores-table";

const AXIS = { fontSize: 11, fill: "#52525b" };

/**
 * One entity's score: its inputs and the findings lowering it, its trend over 30 days (from the
 * daily rollups: the same formula, day by day) with the interval as a band, and the flows it ran
 * in during a range, each a link to the runs list filtered to that flow.
 */
export function TrustEntityPanel({ entry, onClose }: { entry: TrustEntry; onClose: () => void }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<Range>("7d");
  const q = useQuery({
    ...trpc.dashboard.trustEntity.queryOptions({ kind: entry.kind, key: entry.key, range }),
    placeholderData: keepPreviousData,
  });
  const view = q.data;
  const data = (view?.trend ?? []).map((p) => ({
    ...p,
    band: [p.low, p.high] as [number, number],
  }));
  const measured = data.filter((p) => p.n > 0);
  const first = measured[0];
  const last = measured.at(-1);
  return (
    <section
      aria-labelledby="trust-entity-title"
      className="space-y-3 rounded-lg border border-zinc-200 bg-zinc-50 p-4"
    >
      <div className="flex items-start justify-between gap-3">
        <div>
          <h2 id="trust-entity-title" className="text-sm font-semibold text-zinc-900">
            {entry.label || entry.key}
          </h2>
          <p className="mt-0.5 text-xs text-zinc-600">{entry.why}</p>
        </div>
        <button
          type="button"
          className="text-xs font-medium text-zinc-700 underline"
          onClick={onClose}
        >
          Close
        </button>
      </div>
      <ScoreInputs entry={entry} />
      {q.error && (
        <Alert tone="error">{errorMessage(q.error) ?? "The trend could not be read."}</Alert>
      )}
      {view &&
        (measured.length === 0 ? (
          <EmptyState title="No history in the last 30 days">
            The trend is computed from the daily rollups of finished runs; this entity has none in
            the window.
          </EmptyState>
        ) : (
          <ChartFigure
            title="Score over the last 30 days"
            summary={`From ${first!.score.toFixed(3)} on ${first!.day} to ${last!.score.toFixed(3)} on ${last!.day} (n ${last!.n.toFixed(1)}${last!.enoughData ? "" : ", not enough data: the baseline stands in"}).`}
            table={
              <Table label="Score by day">
                <HeadRow columns={["Day", "Score", "Interval", "n", "Source"]} last={null} />
                <tbody>
                  {measured.map((p) => (
                    <tr key={p.day}>
                      <Td>{p.day}</Td>
                      <Td>
                        {p.score.toFixed(3)}
                        {!p.enoughData && " (baseline)"}
                      </Td>
                      <Td>
                        {p.low.toFixed(3)}–{p.high.toFixed(3)}
                      </Td>
                      <Td>{p.n.toFixed(1)}</Td>
                      <Td className="font-mono text-xs">{p.source}</Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            }
          >
            <ResponsiveContainer width="100%" height="100%">
              <ComposedChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -12 }}>
                <CartesianGrid stroke="#e4e4e7" vertical={false} />
                <XAxis dataKey="day" tick={AXIS} minTickGap={24} />
                <YAxis domain={[0, 1]} tick={AXIS} />
                <Tooltip />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                <Area
                  dataKey="band"
                  name="Interval"
                  stroke="none"
                  fill="#c7d2fe"
                  isAnimationActive={false}
                />
                <Line
                  dataKey="score"
                  name="Score"
                  stroke="#4f46e5"
                  dot={false}
                  isAnimationActive={false}
                />
              </ComposedChart>
            </ResponsiveContainer>
          </ChartFigure>
        ))}
      <div className="flex items-center justify-between gap-3">
        <h3 className="text-sm font-semibold text-zinc-900">Runs behind this score</h3>
        <RangePicker value={range} onChange={setRange} name="trust-range" />
      </div>
      {view && view.flows.length === 0 ? (
        <p className="text-sm text-zinc-600">No run of any flow used it in this range.</p>
      ) : (
        view && (
          <Table label="Flows it ran in">
            <HeadRow columns={["Flow", "Attempts", "Failed"]} last="Runs" />
            <tbody>
              {view.flows.map((f) => (
                <tr key={f.workflowId ?? "none"}>
                  <Td>{f.name}</Td>
                  <Td>{formatCount(f.attempts)}</Td>
                  <Td>{formatCount(f.failures)}</Td>
                  <Td>
                    {f.workflowId && (
                      <Link
                        className="text-xs font-medium text-accent-700 underline"
                        href={`/runs?workflow=${f.workflowId}`}
                      >
                        Runs of {f.name}
                      </Link>
                    )}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )
      )}
    </section>
  );
}
