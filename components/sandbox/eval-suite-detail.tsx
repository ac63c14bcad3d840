"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EvalPassRateChart, type PassRatePoint } from "./eval-chart";
import { EvalCompareView } from "./eval-compare-view";
import { EvalRunResults } from "./eval-run-results";
import { EvalRunsTable } from "./eval-runs-table";
import { RunSuiteForm } from "./run-suite-form";

/** A suite: run it, its eval runs with metrics per model route, the chart, results, compare. */
export function EvalSuiteDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor");
  const detail = useQuery({
    ...trpc.evalSuite.get.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data?.runs.some((r) => r.status === "running") ? 1500 : false),
  });
  const [shown, setShown] = useState<string | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  const archive = useMutation(
    trpc.evalSuite.archive.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.evalSuite.pathFilter()),
    }),
  );
  const chart = useMemo<PassRatePoint[]>(() => {
    const runs = [...(detail.data?.runs ?? [])].reverse();
    return runs.flatMap((r) =>
      Object.entries(r.summary?.byRoute ?? {}).map(([route, m]) => ({
        name: `${r.label} · ${route}`,
        passAt1: m.passAt1,
        passHatN: m.passHatN,
        flakyRate: m.flakyRate,
      })),
    );
  }, [detail.data]);
  if (detail.isPending) return <p className="text-sm text-zinc-500">Loading the suite…</p>;
  if (detail.error) return <Alert tone="error">{errorMessage(detail.error)}</Alert>;
  const { suite, runs } = detail.data;
  const toggle = (runId: string) =>
    setPicked((p) => (p.includes(runId) ? p.filter((x) => x !== runId) : [...p, runId].slice(-2)));
  return (
    <section
      aria-labelledby="suite-heading"
      className="space-y-4 rounded-lg border border-zinc-200 p-3"
    >
      <div className="flex items-start justify-between">
        <div>
          <h2 id="suite-heading" className="text-sm font-semibold">
            {suite.name}
          </h2>
          <p className="text-xs text-zinc-600">
            {suite.target.kind === "block" ? suite.target.block : "flow"} ·{" "}
            {suite.assertions.length} assertion{suite.assertions.length === 1 ? "" : "s"} (
            {suite.assertions.map((a) => a.kind).join(", ")}) · {suite.repetitions} repetitions per
            row · dataset hash{" "}
            <code title={suite.datasetHash}>{suite.datasetHash.slice(0, 12)}</code>
            {suite.steersRouter && " · steers the model router"}
          </p>
        </div>
        {canEdit && !suite.archivedAt && (
          <Button
            size="sm"
            variant="danger"
            pending={archive.isPending}
            onClick={() => archive.mutate({ id })}
          >
            Archive
          </Button>
        )}
      </div>
      {canEdit && !suite.archivedAt && <RunSuiteForm detail={detail.data} />}
      {runs.length === 0 ? (
        <p className="text-sm text-zinc-600">Not run yet.</p>
      ) : (
        <>
          <EvalPassRateChart data={chart} />
          <EvalRunsTable runs={runs} picked={picked} onToggle={toggle} onShow={setShown} />
          {picked.length === 2 ? (
            <EvalCompareView a={picked[0]!} b={picked[1]!} />
          ) : (
            <p className="text-xs text-zinc-500">Tick two runs to compare them side by side.</p>
          )}
          {shown && <EvalRunResults id={shown} />}
        </>
      )}
    </section>
  );
}
