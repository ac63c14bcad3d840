"use client";

import { formatDateTime } from "@/lib/format";
import type { RouterOutputs } from "@/lib/trpc/types";
import { Badge } from "@/components/ui/badge";
import { Table, Td, Th } from "@/components/ui/table";
import { METRIC_HELP } from "./eval-chart";
import { ms, pct, usd, type Metrics } from "./eval-format";

type EvalRun = RouterOutputs["evalSuite"]["get"]["runs"][number];

const STATUS_TONE = {
  running: "accent",
  completed: "success",
  failed: "danger",
  interrupted: "warning",
} as const;

/** Column headers with the metric's definition on hover. */
function MetricTh({ metric, children }: { metric: keyof typeof METRIC_HELP; children: string }) {
  return (
    <Th>
      <abbr title={METRIC_HELP[metric]} className="cursor-help no-underline">
        {children}
      </abbr>
    </Th>
  );
}

/**
 * A suite's eval runs, one line per model route with its metrics: tick two to compare them,
 * click a variant to show its results.
 */
export function EvalRunsTable({
  runs,
  picked,
  onToggle,
  onShow,
}: {
  runs: EvalRun[];
  /** The eval runs ticked for comparison. */
  picked: string[];
  onToggle: (runId: string) => void;
  onShow: (runId: string) => void;
}) {
  return (
    <Table label="Runs of the suite">
      <thead>
        <tr>
          <Th>Compare</Th>
          <Th>Variant</Th>
          <Th>Session</Th>
          <Th>Model route</Th>
          <Th>Status</Th>
          <Th>Samples</Th>
          <MetricTh metric="passAt1">pass@1</MetricTh>
          <MetricTh metric="passHatN">pass^n</MetricTh>
          <MetricTh metric="flakyRate">flaky</MetricTh>
          <MetricTh metric="cost">cost</MetricTh>
          <MetricTh metric="latency">p50</MetricTh>
          <Th>Started</Th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => {
          const routes = Object.entries(r.summary?.byRoute ?? {}) as [string, Metrics][];
          const lines: [string, Metrics | undefined][] = routes.length
            ? routes
            : [["–", r.summary?.overall as Metrics | undefined]];
          return lines.map(([route, m], i) => (
            <tr key={`${r.id}-${route}`}>
              {i === 0 && (
                <>
                  <Td rowSpan={lines.length}>
                    <input
                      type="checkbox"
                      aria-label={`Compare ${r.label}`}
                      checked={picked.includes(r.id)}
                      onChange={() => onToggle(r.id)}
                    />
                  </Td>
                  <Td rowSpan={lines.length}>
                    <button
                      type="button"
                      className="text-accent-700 underline-offset-2 hover:underline"
                      onClick={() => onShow(r.id)}
                    >
                      {r.label}
                    </button>
                  </Td>
                  <Td rowSpan={lines.length}>{r.sessionName ?? "–"}</Td>
                </>
              )}
              <Td>{route}</Td>
              {i === 0 && (
                <>
                  <Td rowSpan={lines.length}>
                    <span title={r.error ?? undefined}>
                      <Badge tone={STATUS_TONE[r.status]}>{r.status}</Badge>
                    </span>
                  </Td>
                  <Td rowSpan={lines.length}>
                    {r.done}/{r.total}
                  </Td>
                </>
              )}
              <Td>{pct(m?.passAt1)}</Td>
              <Td>{pct(m?.passHatN)}</Td>
              <Td>{pct(m?.flakyRate)}</Td>
              <Td>{usd(m?.costUsd)}</Td>
              <Td>{ms(m?.latencyP50Ms)}</Td>
              {i === 0 && <Td rowSpan={lines.length}>{formatDateTime(r.createdAt)}</Td>}
            </tr>
          ));
        })}
      </tbody>
    </Table>
  );
}
