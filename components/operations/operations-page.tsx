"use client";

import Link from "next/link";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { HeadRow, Table, Td } from "@/components/ui/table";
import { formatCount, formatPercent, formatUsd } from "./format";
import {
  CostChart,
  FlowsCharts,
  ThroughputChart,
  TiersChart,
  type OperationsView,
} from "./operations-charts";
import { RangePicker, type Range } from "./range-picker";

/**
 * The Operations page: runs per minute, success rate and p95 by flow, SLA compliance by tier,
 * dead letters, breaker states, cost by model and flow and agent usage, for a chosen range —
 * all read from the rollups (`dashboard.operations`), refreshed every 15 seconds.
 */
export function OperationsPage() {
  const trpc = useTRPC();
  const [range, setRange] = useState<Range>("24h");
  const ops = useQuery({
    ...trpc.dashboard.operations.queryOptions({ range }),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
  const view = ops.data;
  return (
    <>
      <PageHeader
        title="Operations"
        description="How runs are doing: volume, success, latency, SLAs, dead letters, breakers and cost."
        actions={<RangePicker value={range} onChange={setRange} />}
      />
      {ops.error && (
        <Alert tone="error">{errorMessage(ops.error) ?? "The numbers could not be read."}</Alert>
      )}
      {!view && !ops.error && <p className="text-sm text-zinc-600">Loading…</p>}
      {view && <OperationsBody view={view} />}
    </>
  );
}

function OperationsBody({ view }: { view: OperationsView }) {
  const runs = view.flows.reduce((s, f) => s + f.runs, 0);
  const ok = view.flows.reduce((s, f) => s + f.succeeded, 0);
  const failed = view.flows.reduce((s, f) => s + f.failed, 0);
  const cost = view.flows.reduce((s, f) => s + f.costUsd, 0);
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Tile label="Runs ended" value={formatCount(runs)} />
        <Tile
          label="Success rate"
          value={formatPercent(ok + failed > 0 ? ok / (ok + failed) : null)}
        />
        <Tile
          label="Open dead letters"
          value={`${formatCount(view.deadLetters.open)}${view.deadLetters.capped ? "+" : ""}`}
          href="/dead-letters"
          note={`${formatCount(view.deadLetters.created)} new in this range`}
        />
        <Tile label="Cost" value={formatUsd(cost)} />
      </dl>
      {view.empty ? (
        <EmptyState
          title="No runs ended in this range"
          action={
            <Link className="text-sm font-medium text-accent-700 underline" href="/runs">
              Go to runs
            </Link>
          }
        >
          Runs show here about a second after they end (once reconciled). Choose a longer range, or
          start a flow.
        </EmptyState>
      ) : (
        <>
          <ThroughputChart view={view} />
          <FlowsCharts view={view} />
          <div className="grid gap-4 lg:grid-cols-2">
            <TiersChart view={view} />
            <CostChart view={view} />
          </div>
        </>
      )}
      {view.coarseFrom !== view.from && (
        <p className="text-xs text-zinc-600">
          Breakers and agent usage are counted per hour: below, they cover the time since{" "}
          {new Date(view.coarseFrom).toLocaleTimeString("en-GB", {
            hour: "2-digit",
            minute: "2-digit",
          })}
          .
        </p>
      )}
      <div className="grid gap-4 lg:grid-cols-2">
        <Breakers view={view} />
        <AgentUsage view={view} />
      </div>
    </div>
  );
}

function Tile({
  label,
  value,
  note,
  href,
}: {
  label: string;
  value: string;
  note?: string;
  href?: string;
}) {
  return (
    <div className="rounded-lg border border-zinc-200 bg-white px-4 py-3">
      <dt className="text-xs font-medium text-zinc-600">
        {href ? (
          <Link href={href} className="underline">
            {label}
          </Link>
        ) : (
          label
        )}
      </dt>
      <dd className="mt-1 text-xl font-semibold text-zinc-900 tabular-nums">{value}</dd>
      {note && <dd className="text-xs text-zinc-600">{note}</dd>}
    </div>
  );
}

const STATE_TONE = { open: "danger", "half-open": "warning", closed: "success" } as const;

function Breakers({ view }: { view: OperationsView }) {
  return (
    <section aria-labelledby="breakers-title" className="space-y-2">
      <h2 id="breakers-title" className="text-sm font-semibold text-zinc-900">
        Circuit breakers
      </h2>
      {view.breakers.length === 0 ? (
        <EmptyState title="No connector endpoint called in this range">
          Each endpoint a connector step calls has a breaker; it opens after repeated failures.
        </EmptyState>
      ) : (
        <Table label="Circuit breakers">
          <HeadRow columns={["Endpoint", "State now", "Refused calls", "Attempts"]} last={null} />
          <tbody>
            {view.breakers.map((b) => (
              <tr key={b.endpoint}>
                <Td className="font-mono text-xs">{b.endpoint}</Td>
                <Td>
                  {b.state ? (
                    <Badge tone={STATE_TONE[b.state as keyof typeof STATE_TONE] ?? "neutral"}>
                      {b.state}
                    </Badge>
                  ) : (
                    <span className="text-xs text-zinc-600">unknown (no worker running)</span>
                  )}
                </Td>
                <Td>{formatCount(b.trips)}</Td>
                <Td>{formatCount(b.attempts)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}

function AgentUsage({ view }: { view: OperationsView }) {
  return (
    <section aria-labelledby="agents-title" className="space-y-2">
      <h2 id="agents-title" className="text-sm font-semibold text-zinc-900">
        Agent usage
      </h2>
      {view.models.length === 0 ? (
        <EmptyState title="No agent step ran in this range">
          Agent steps record their model, tokens and cost; they show here per model.
        </EmptyState>
      ) : (
        <Table label="Agent usage by model">
          <HeadRow
            columns={["Model", "Calls", "Tokens in", "Tokens out", "Cost", "Failed attempts"]}
            last={null}
          />
          <tbody>
            {view.models.map((m) => (
              <tr key={m.model}>
                <Td className="font-mono text-xs">{m.model}</Td>
                <Td>{formatCount(m.calls)}</Td>
                <Td>{formatCount(m.tokensIn)}</Td>
                <Td>{formatCount(m.tokensOut)}</Td>
                <Td>{formatUsd(m.costUsd)}</Td>
                <Td>{formatCount(m.failures)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
