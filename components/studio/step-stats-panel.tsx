"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useStudio } from "@/lib/studio/use-studio";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { useStudioContext } from "./studio-context";

const WINDOWS = [7, 30] as const;
type Days = (typeof WINDOWS)[number];

const pct = (x: number | null) => (x === null ? "—" : `${Math.round(x * 1000) / 10} %`);
const msText = (x: number | null) =>
  x === null ? "—" : x >= 10_000 ? `${Math.round(x / 100) / 10} s` : `${x} ms`;

/**
 * Per-step statistics of the open flow (`run.stepStats`): runs, success rate, p50/p95 latency,
 * retries and the last failure (linking to its run) over the last 7 or 30 days; the selected
 * step first.
 */
export function StepStatsPanel() {
  const { workflowId, store } = useStudioContext();
  const [days, setDays] = useState<Days>(7);
  const trpc = useTRPC();
  const stats = useQuery({
    ...trpc.run.stepStats.queryOptions({ workflowId, days }),
    staleTime: 15_000,
  });
  const selected = useStudio(store, (s) => s.selection);
  const steps = [...(stats.data?.steps ?? [])].sort(
    (a, b) =>
      Number(selected.includes(b.stepId)) - Number(selected.includes(a.stepId)) ||
      a.stepId.localeCompare(b.stepId),
  );
  return (
    <div className="space-y-2 p-3 text-xs" data-testid="step-stats">
      <div role="radiogroup" aria-label="Period" className="flex gap-1">
        {WINDOWS.map((d) => (
          <button
            key={d}
            type="button"
            role="radio"
            aria-checked={days === d}
            onClick={() => setDays(d)}
            className={`rounded border px-2 py-0.5 ${days === d ? "border-accent-600 bg-accent-600 text-white" : "border-zinc-300 bg-white text-zinc-700 hover:bg-zinc-50"}`}
          >
            Last {d} days
          </button>
        ))}
      </div>
      {stats.error && <Alert tone="error">{errorMessage(stats.error)}</Alert>}
      {stats.isPending && <p className="text-zinc-500">Loading statistics…</p>}
      {stats.data && (
        <p className="text-zinc-600">
          {stats.data.runs} run{stats.data.runs === 1 ? "" : "s"} in the last {stats.data.days} days
          {stats.data.capped ? " (the latest 2,000 are counted)" : ""}; sandbox runs are left out.
        </p>
      )}
      {stats.data && steps.length === 0 && (
        <EmptyState title="No step has finished in this period">
          Run the flow (or wait for its triggers); each step&apos;s figures appear here.
        </EmptyState>
      )}
      {steps.map((s) => (
        <section
          key={s.stepId}
          aria-label={`Step ${s.stepId}`}
          className="rounded border border-zinc-200 bg-white p-2"
          data-step-stats={s.stepId}
        >
          <h3 className="mb-1 font-mono text-[12px] font-semibold text-zinc-900">{s.stepId}</h3>
          <dl className="grid grid-cols-2 gap-x-2 gap-y-0.5">
            <dt className="text-zinc-500">Runs</dt>
            <dd>{s.runs}</dd>
            <dt className="text-zinc-500">Success rate</dt>
            <dd className={s.successRate !== null && s.successRate < 0.9 ? "text-red-700" : ""}>
              {pct(s.successRate)}
            </dd>
            <dt className="text-zinc-500">p50 / p95</dt>
            <dd>
              {msText(s.p50Ms)} / {msText(s.p95Ms)}
            </dd>
            <dt className="text-zinc-500">Retries</dt>
            <dd>{s.retries}</dd>
          </dl>
          {s.lastFailure && (
            <p className="mt-1 text-zinc-600">
              Last failure{" "}
              <Link
                href={`/runs/${s.lastFailure.runId}`}
                className="text-accent-700 underline"
                title={s.lastFailure.message}
              >
                {new Date(s.lastFailure.at).toLocaleString()}
              </Link>
              : <span className="break-words">{s.lastFailure.message || "no message"}</span>
            </p>
          )}
        </section>
      ))}
    </div>
  );
}
