"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { baseStepId, isTerminal } from "@/lib/runs/run-state";
import type { RunDetail } from "@/lib/runs/use-run-live";
import { useTRPC } from "@/lib/trpc/client";
import { Alert } from "@/components/ui/alert";

type Reconciliation = RunDetail["reconciliation"];
type Finding = Reconciliation["findings"][number];

const KIND_LABEL: Record<string, string> = {
  unknown_step: "unknown step",
  step_unaccounted: "step not accounted for",
  skip_unexplained: "skipped without a reason",
  output_invalid: "output outside its contract",
  duplicate_effect: "side effect recorded under two keys",
  key_shared: "idempotency key shared by steps",
  compensation_missing: "write not compensated",
  dead_letter_mismatch: "dead letter of a step that did not fail",
  check_failed: "the check could not run",
};

/** Re-reads a finished run until its reconciliation (in the background) is recorded. */
const RECHECK_MS = 2_000;
const MAX_RECHECKS = 15;

/** A short, human line of a finding's detail. */
function detailLine(f: Finding): string | null {
  const d = (f.detail ?? {}) as Record<string, unknown>;
  if (f.kind === "output_invalid" && Array.isArray(d.errors)) {
    const first = d.errors[0] as { path?: string; message?: string } | undefined;
    return first ? `${first.path ?? "/"} ${first.message ?? "is invalid"}` : null;
  }
  if (f.kind === "key_shared" && Array.isArray(d.steps)) return `steps ${d.steps.join(", ")}`;
  if (f.kind === "duplicate_effect" && Array.isArray(d.keys)) return `${d.keys.length} keys`;
  if (f.kind === "unknown_step" && Array.isArray(d.records)) return `in ${d.records.join(", ")}`;
  if (typeof d.status === "string") return `last attempt: ${d.status}`;
  if (typeof d.message === "string") return d.message;
  return null;
}

/**
 * The run's reconciliation against its flow, once it ended: "all N steps accounted for", or the
 * findings (each opens its step). Pending while the background reconciler has not checked it.
 */
export function RunReconciliation({
  run,
  onSelect,
}: {
  run: RunDetail;
  onSelect: (stepId: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rechecks = useRef(0);
  const terminal = isTerminal(run.status);
  const r = run.reconciliation;
  const pending = terminal && r.status === "pending";

  useEffect(() => {
    if (!pending || rechecks.current >= MAX_RECHECKS) return;
    const t = setTimeout(() => {
      rechecks.current++;
      void queryClient.invalidateQueries({ queryKey: trpc.run.get.queryKey({ id: run.id }) });
    }, RECHECK_MS);
    return () => clearTimeout(t);
  }, [pending, run, queryClient, trpc]);

  if (!terminal) return null;
  if (r.status === "pending")
    return (
      <p data-testid="reconciliation" className="mb-3 text-xs text-zinc-500">
        Reconciliation against the flow pending…
      </p>
    );
  if (r.status === "clean")
    return (
      <Alert tone="success" className="mb-3" testId="reconciliation">
        Reconciled: all {r.steps} step{r.steps === 1 ? "" : "s"} accounted for.
      </Alert>
    );
  return (
    <Alert tone="warning" className="mb-3" testId="reconciliation">
      <p>
        Reconciliation found {r.findings.length} problem{r.findings.length === 1 ? "" : "s"} against
        the flow:
      </p>
      <ul className="mt-1 list-disc pl-5">
        {r.findings.map((f) => {
          const line = detailLine(f);
          return (
            <li key={f.id}>
              {KIND_LABEL[f.kind] ?? f.kind}
              {f.stepId && (
                <>
                  {" "}
                  <button
                    type="button"
                    className="font-mono font-medium underline"
                    onClick={() => onSelect(baseStepId(f.stepId!))}
                  >
                    {f.stepId}
                  </button>
                </>
              )}
              {line && <span className="text-amber-800">: {line}</span>}
            </li>
          );
        })}
      </ul>
    </Alert>
  );
}
