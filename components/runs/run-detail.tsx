"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import {
  baseStepId,
  buildTimeline,
  compensationsAt,
  deadLetteredAt,
  isCancellable,
  isTerminal,
  OUTCOME_LABEL,
  runOutcomeAt,
  STEP_STATUSES,
  stepStatusesAt,
  waitingSteps,
} from "@/lib/runs/run-state";
import { useRunLive } from "@/lib/runs/use-run-live";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { CancelRunDialog } from "./cancel-run-dialog";
import { ReplayDialog } from "./replay-dialog";
import { replayableStatus } from "./replay-request";
import { RunAlerts, type StepGuard } from "./run-alerts";
import { RunCostPanel } from "./run-cost-panel";
import { RunGraph } from "./run-graph";
import { RunHeader } from "./run-header";
import { RunLineage } from "./run-lineage";
import { RunReconciliation } from "./run-reconciliation";
import { RunScrubber } from "./run-scrubber";
import { StepStatusLegend } from "./run-status";
import { RunTimeline } from "./run-timeline";
import { StepDrawer } from "./step-drawer";

const DECIDABLE = new Set(["human.approval", "human.form", "policy.check"]);

/** Ticks every second while `on`, for open timeline bars and running durations. */
function useNow(on: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now;
}

/** One run: header and actions, the live canvas, the scrubber, the timeline and a step drawer. */
export function RunDetail({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor");
  const canApprove = useCan("approver");
  const { run, error, isPending, events, mode } = useRunLive(runId);
  const usage = useQuery(trpc.model.usageByRun.queryOptions({ runId }));
  // `?step=<id>` (a search result for a step's error) opens that step's drawer.
  const stepParam = useSearchParams().get("step");
  const [selected, setSelected] = useState<string | null>(stepParam);
  const [position, setPosition] = useState<number | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [replaying, setReplaying] = useState(false);
  const live = run ? !isTerminal(run.status) : false;
  const now = useNow(live);

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.run.get.queryKey({ id: runId }) }),
      queryClient.invalidateQueries(trpc.approval.pathFilter()),
    ]);
  const resume = useMutation(trpc.run.resume.mutationOptions({ onSuccess: () => refresh() }));
  const decideApproval = useMutation(
    trpc.approval.decide.mutationOptions({ onSettled: () => refresh() }),
  );

  // The human steps waiting for a decision, with their attempts, and the guard's answer for
  // each: the run's pending approvals say whether this person may decide, and why not.
  const waiting = useMemo(() => {
    if (!run || isTerminal(run.status)) return [];
    return waitingSteps(run.attempts)
      .filter((id) => DECIDABLE.has(run.ir.steps.find((s) => s.id === id)?.block.id ?? ""))
      .map((id) => ({
        stepId: id,
        attempt: Math.max(...run.attempts.filter((a) => a.stepId === id).map((a) => a.attempt)),
      }));
  }, [run]);
  const waitingKey = waiting.map((w) => `${w.stepId}#${w.attempt}`).join(",");
  const approvals = useQuery({
    ...trpc.approval.list.queryOptions({ runId, status: "pending" }),
    enabled: waiting.length > 0,
  });
  const refetchApprovals = approvals.refetch;
  useEffect(() => {
    // Another step parked (or the same one again): its approval is read afresh.
    if (waitingKey) void refetchApprovals();
  }, [waitingKey, refetchApprovals]);

  const steps = useMemo(() => run?.ir.steps ?? [], [run?.ir.steps]);
  const stepIds = useMemo(() => steps.map((s) => s.id), [steps]);
  const upTo = position === null ? undefined : position > 0 ? events[position - 1]?.seq : 0;
  const statuses = useMemo(
    () => stepStatusesAt(stepIds, events, upTo ?? Number.POSITIVE_INFINITY),
    [stepIds, events, upTo],
  );
  const deadLettered = useMemo(
    () => deadLetteredAt(events, upTo ?? Number.POSITIVE_INFINITY),
    [events, upTo],
  );
  const compensations = useMemo(
    () => compensationsAt(steps, events, upTo ?? Number.POSITIVE_INFINITY),
    [steps, events, upTo],
  );
  const timeline = useMemo(() => {
    if (!run) return null;
    const origin = run.startedAt ?? run.createdAt;
    return buildTimeline({
      stepIds,
      attempts: run.attempts,
      events,
      origin,
      end: run.finishedAt ?? Math.max(now, origin),
    });
  }, [run, stepIds, events, now]);

  if (isPending) return <p className="text-sm text-zinc-600">Loading the run…</p>;
  if (error || !run) {
    return (
      <EmptyState
        title="Run not found"
        action={
          <Link href="/runs" className="text-sm text-accent-700 underline">
            Back to runs
          </Link>
        }
      >
        {errorMessage(error) ?? "This run does not exist in this workspace."}
      </EmptyState>
    );
  }

  const decidable = waiting.map((w) => w.stepId);
  const selectedStep = steps.find((s) => s.id === selected) ?? null;
  const approvalOf = (stepId: string) => {
    const w = waiting.find((x) => x.stepId === stepId);
    if (!w) return undefined;
    return approvals.data?.items.find(
      (a) =>
        (a.kind === "step" || a.kind === "form") &&
        a.stepId === stepId &&
        (a.attempt === null || a.attempt === w.attempt),
    );
  };
  const guard = (stepId: string): StepGuard => {
    const a = approvalOf(stepId);
    if (a) return { canDecide: a.canDecide, whyNot: a.whyNot, checking: false };
    if (approvals.isPending || approvals.isFetching)
      return { canDecide: false, whyNot: null, checking: true };
    // No approval to read (or the list failed): the role decides here, the server guards anyway.
    return {
      canDecide: canApprove,
      whyNot: canApprove ? null : "Deciding needs the approver role.",
      checking: false,
    };
  };
  const decideError = resume.error ?? decideApproval.error;
  const decide = (stepId: string) => ({
    run: (decision: "approve" | "reject", comment: string) => {
      const a = approvalOf(stepId);
      const c = comment.trim() || undefined;
      // A step's approval is decided like in the inbox; a form approved here has no values of
      // its own, which `run.resume` submits as `{}` (checked against the form's schema).
      if (a?.kind === "step") {
        resume.reset();
        decideApproval.mutate({ id: a.id, decision, comment: c });
      } else {
        decideApproval.reset();
        resume.mutate({ runId, stepId, decision, comment: c });
      }
    },
    pending: resume.isPending || decideApproval.isPending,
    error: decideError ? errorMessage(decideError) : null,
  });
  const duration = run.startedAt ? (run.finishedAt ?? now) - run.startedAt : null;

  return (
    <>
      <RunHeader
        run={run}
        usage={usage.data}
        live={live}
        mode={mode}
        duration={duration}
        canCancel={canEdit && isCancellable(run.status)}
        onCancel={() => setConfirmCancel(true)}
        canReplay={canEdit && replayableStatus(run)}
        onReplay={() => setReplaying(true)}
      />
      <RunLineage run={run} />

      <RunAlerts
        run={run}
        events={events}
        decidable={decidable}
        guard={guard}
        deciding={resume.isPending || decideApproval.isPending}
        // A rejection needs a comment: Reject opens the step's drawer, where it is written.
        onDecide={(stepId, decision) =>
          decision === "reject" ? setSelected(stepId) : decide(stepId).run(decision, "")
        }
        onSelect={setSelected}
      />
      <RunReconciliation run={run} onSelect={setSelected} />
      {decideError && !selectedStep && (
        <Alert tone="error" className="mb-3">
          {errorMessage(decideError)}
        </Alert>
      )}

      <div className="mb-3 flex h-[440px] gap-3">
        <section
          aria-label="Run canvas"
          className="flex min-w-0 flex-1 flex-col overflow-hidden rounded-lg border border-zinc-200 bg-white"
        >
          <div className="flex items-center justify-between gap-2 border-b border-zinc-200 px-3 py-1.5">
            <div className="flex items-center gap-3">
              <StepStatusLegend statuses={STEP_STATUSES} />
              {compensations.length > 0 && (
                <span className="flex items-center gap-1 text-[11px] text-zinc-600">
                  <span
                    aria-hidden
                    className="inline-block h-2.5 w-4 rounded-sm border border-dashed border-orange-500 bg-orange-50"
                  />
                  compensation
                </span>
              )}
            </div>
            {position !== null && (
              <p
                role="status"
                className="shrink-0 rounded bg-amber-100 px-2 py-0.5 text-[11px] text-amber-900"
              >
                Replay: run {OUTCOME_LABEL[runOutcomeAt(events, upTo)]} after event {position} of{" "}
                {events.length}
              </p>
            )}
          </div>
          <div className="min-h-0 flex-1">
            {steps.length ? (
              <RunGraph
                steps={steps}
                statuses={statuses}
                deadLettered={deadLettered}
                compensations={compensations}
                selected={selected}
                onSelect={setSelected}
              />
            ) : (
              <p className="p-6 text-sm text-zinc-600">This flow has no steps.</p>
            )}
          </div>
        </section>
        {selectedStep && (
          <StepDrawer
            key={selectedStep.id}
            step={selectedStep}
            status={statuses[selectedStep.id] ?? "pending"}
            attempts={run.attempts}
            events={events}
            usage={run.agentUsage}
            canDecide={!isTerminal(run.status) && guard(selectedStep.id).canDecide}
            whyNot={guard(selectedStep.id).whyNot}
            decide={decide(selectedStep.id)}
            onClose={() => setSelected(null)}
          />
        )}
      </div>

      <div className="mb-3">
        <RunScrubber events={events} position={position} onChange={setPosition} />
      </div>

      {timeline && (
        <RunTimeline
          timeline={timeline}
          selected={selected}
          onSelect={(id) => setSelected(baseStepId(id))}
        />
      )}

      <div className="mt-3 grid grid-cols-2 gap-3">
        <section
          aria-labelledby="run-io-title"
          className="rounded-lg border border-zinc-200 bg-white p-3"
        >
          <h2 id="run-io-title" className="mb-2 text-sm font-semibold text-zinc-900">
            Inputs and output
          </h2>
          <p className="text-xs text-zinc-500">Inputs</p>
          <pre
            aria-label="Run inputs"
            className="mb-2 max-h-40 overflow-auto rounded bg-zinc-50 p-2 font-mono text-[11px]"
          >
            {JSON.stringify(run.inputs, null, 2)}
          </pre>
          <p className="text-xs text-zinc-500">Output</p>
          <pre
            aria-label="Run output"
            className="max-h-40 overflow-auto rounded bg-zinc-50 p-2 font-mono text-[11px]"
          >
            {run.output === null || run.output === undefined
              ? "—"
              : JSON.stringify(run.output, null, 2)}
          </pre>
        </section>
        <RunCostPanel
          usage={usage.data}
          usageError={usage.error}
          agentUsage={run.agentUsage}
          onSelect={setSelected}
        />
      </div>

      <CancelRunDialog runId={runId} open={confirmCancel} onClose={() => setConfirmCancel(false)} />
      <ReplayDialog run={run} open={replaying} onClose={() => setReplaying(false)} />
    </>
  );
}
