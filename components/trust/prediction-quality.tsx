"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { hasRole } from "@/lib/enums";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import type { RouterOutputs } from "@/lib/trpc/types";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, Td, Th } from "@/components/ui/table";

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : x.toFixed(3));
const hours = (ms: number) => `${Math.round(ms / 3_600_000)} h`;
const day = (iso: string) => new Date(iso).toISOString().slice(0, 16).replace("T", " ");

const FEATURE_WORDS: Record<string, string> = {
  flow_fail_24h: "flow's failure rate, 24 h (the baseline)",
  block_fail_24h: "blocks' failure rate, 24 h (worst)",
  block_retry_24h: "blocks' retry rate, 24 h (worst)",
  endpoint_fail_1h: "endpoints' failure rate, 1 h (worst)",
  endpoint_fail_24h: "endpoints' failure rate, 24 h (worst)",
  breaker_open: "an endpoint's breaker looks open",
  hour_sin: "time of day (sine)",
  hour_cos: "time of day (cosine)",
  log_input_bytes: "input size (log bytes)",
  log_version_age_h: "flow version age (log hours)",
  open_anomalies: "open anomalies on its entities",
};

/**
 * Prediction quality (Trust page): the workspace's failure model's rolling-origin backtest —
 * ROC-AUC, PR-AUC and Brier score beside the baseline (the flow's recent failure rate) — the
 * verdict on gating, and the protocol that produced the figures (windows, sizes, features,
 * weights). Admins can retrain now.
 */
export function PredictionQuality() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const role = useCurrentWorkspace().data?.role;
  const q = useQuery(trpc.prediction.quality.queryOptions());
  const retrain = useMutation(
    trpc.prediction.retrain.mutationOptions({
      onSuccess: (data) => queryClient.setQueryData(trpc.prediction.quality.queryKey(), data),
    }),
  );
  const d = q.data;
  return (
    <section aria-labelledby="prediction-quality" id="prediction-quality" className="space-y-3">
      <div className="flex items-center justify-between gap-2">
        <h2 id="prediction-quality" className="text-sm font-semibold text-zinc-900">
          Failure prediction
        </h2>
        {hasRole(role, "admin") && (
          <Button size="sm" pending={retrain.isPending} onClick={() => retrain.mutate()}>
            Retrain now
          </Button>
        )}
      </div>
      {q.error && (
        <Alert tone="error">
          {errorMessage(q.error) ?? "The prediction quality could not be read."}
        </Alert>
      )}
      {retrain.error && (
        <Alert tone="error">{errorMessage(retrain.error) ?? "Retraining failed."}</Alert>
      )}
      {d && d.modelVersion === null && (
        <p className="text-sm text-zinc-600" data-testid="prediction-none">
          No failure model has been trained yet. Models are trained hourly from the runs of the last
          two weeks (admins can retrain now); until then the risk shown before a run is the
          flow&apos;s recent failure rate, never used to gate runs.
        </p>
      )}
      {d && d.modelVersion !== null && d.figures && d.protocol && (
        <>
          <p className="text-sm text-zinc-700" data-testid="prediction-gate">
            <Badge tone={d.gateEnabled ? "success" : "warning"}>
              {d.gateEnabled ? "May gate runs" : "Not reliable enough to gate"}
            </Badge>{" "}
            {d.gate}. Model v{d.modelVersion}, trained {d.trainedAt ? day(d.trainedAt) : ""} UTC on{" "}
            {d.trainRows} runs in {(d.durationMs / 1000).toFixed(1)} s.
          </p>
          <Table label="Backtest figures: model and baseline">
            <thead>
              <tr>
                <Th>Measure</Th>
                <Th>Model</Th>
                <Th>Baseline (flow&apos;s recent failure rate)</Th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <Td>ROC-AUC (higher is better)</Td>
                <Td data-testid="prediction-auc">{f3(d.figures.auc)}</Td>
                <Td>{f3(d.figures.baselineAuc)}</Td>
              </tr>
              <tr>
                <Td>PR-AUC (higher is better)</Td>
                <Td>{f3(d.figures.prAuc)}</Td>
                <Td>{f3(d.figures.baselinePrAuc)}</Td>
              </tr>
              <tr>
                <Td>Brier score (lower is better)</Td>
                <Td>{f3(d.figures.brier)}</Td>
                <Td>{f3(d.figures.baselineBrier)}</Td>
              </tr>
            </tbody>
          </Table>
          <Protocol d={d} />
        </>
      )}
    </section>
  );
}

type Quality = RouterOutputs["prediction"]["quality"];

/** The protocol, printed next to the figures: what was trained on what, and tested on what. */
function Protocol({ d }: { d: Quality }) {
  const p = d.protocol!;
  const weights = new Map((d.weights ?? []).map((w) => [w.feature, w.weight]));
  return (
    <details className="rounded-lg border border-zinc-200 bg-white p-3 text-sm">
      <summary className="cursor-pointer font-medium text-zinc-800">
        How these figures were measured
      </summary>
      <div className="mt-2 space-y-2 text-zinc-700">
        <p>
          Rolling-origin backtest over {p.historyRuns} finished runs
          {p.historyFrom && p.historyTo
            ? ` (${day(p.historyFrom)} to ${day(p.historyTo)} UTC)`
            : ""}
          {p.historyTruncated ? ", the most recent ones only" : ""}: for each of up to {p.folds}{" "}
          windows of {hours(p.horizonMs)}, the model is fitted on runs that finished before the
          window (the last {hours(p.trainSpanMs)}, at most {p.trainCap} sampled, {p.fitSteps}{" "}
          gradient steps) and scored on the runs that started in it; the first {hours(p.lookbackMs)}{" "}
          only warm the features up. {d.figures?.n ?? 0} test runs, {d.figures?.positives ?? 0}{" "}
          failed. Features are computed as of each run&apos;s start from history that had finished
          by then. Labels: {p.labels}. Gate rule: {p.gateRule}.
        </p>
        <Table label="Backtest windows">
          <thead>
            <tr>
              <Th>Window (UTC)</Th>
              <Th>Trained on</Th>
              <Th>Tested on</Th>
              <Th>AUC</Th>
              <Th>Baseline AUC</Th>
            </tr>
          </thead>
          <tbody>
            {p.windows.map((w) => (
              <tr key={w.origin}>
                <Td>
                  {day(w.origin)} to {day(w.testTo)}
                </Td>
                <Td>
                  {w.trainRows} of {w.trainEligible}
                  {w.fitted ? "" : " (one class only: not fitted)"}
                </Td>
                <Td>
                  {w.testRows} ({w.testFailures} failed)
                </Td>
                <Td>{f3(w.auc)}</Td>
                <Td>{f3(w.baselineAuc)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
        <Table label="Features and their weights">
          <thead>
            <tr>
              <Th>Feature (known before the run starts)</Th>
              <Th>Weight (standardised)</Th>
            </tr>
          </thead>
          <tbody>
            {p.features.map((f) => (
              <tr key={f}>
                <Td>{FEATURE_WORDS[f] ?? f}</Td>
                <Td>{weights.has(f) ? weights.get(f)!.toFixed(3) : "n/a"}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </div>
    </details>
  );
}
