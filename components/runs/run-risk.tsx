"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Badge } from "@/components/ui/badge";

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const f2 = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : x.toFixed(2));

/**
 * The predicted failure risk of a run of a saved version, before it starts (`prediction.risk`):
 * the probability, what raises it, and whether the model is reliable enough to gate runs — with
 * the backtest's AUC beside the baseline's, so the number is never shown without its quality.
 */
export function RunRisk({ workflowId, version }: { workflowId: string; version?: string }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.prediction.risk.queryOptions({ workflowId, version, inputs: {} }),
    retry: false,
    staleTime: 10_000,
  });
  if (q.isPending) return <p className="text-xs text-zinc-600">Predicting the failure risk…</p>;
  if (q.error)
    return (
      <p className="text-xs text-zinc-600" data-testid="run-risk">
        Failure risk: {errorMessage(q.error) ?? "could not be predicted."}
      </p>
    );
  const r = q.data;
  const high = r.risk >= 0.3;
  return (
    <div
      className="rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 text-xs text-zinc-700"
      data-testid="run-risk"
      role="group"
      aria-label="Predicted failure risk"
    >
      <p className="text-sm">
        Predicted failure risk:{" "}
        <strong className={high ? "text-red-700" : "text-zinc-900"} data-testid="run-risk-value">
          {pct(r.risk)}
        </strong>{" "}
        <Badge tone={r.gateEnabled ? "success" : "warning"}>
          {r.gateEnabled ? "reliable enough to gate" : "not reliable enough to gate"}
        </Badge>
      </p>
      <p className="mt-0.5">
        {r.source === "model"
          ? `Failure model v${r.modelVersion}; backtest AUC ${f2(r.quality?.auc)} vs ${f2(r.quality?.baselineAuc)} for the flow's recent failure rate.`
          : "No failure model yet: this is the flow's recent failure rate."}{" "}
        Assessed for a run started now with empty inputs.{" "}
        <Link href="/trust#prediction-quality" className="underline">
          How it is measured
        </Link>
      </p>
      <ul className="mt-1 list-disc pl-4">
        {r.reasons.map((why) => (
          <li key={why}>{why}</li>
        ))}
      </ul>
    </div>
  );
}
