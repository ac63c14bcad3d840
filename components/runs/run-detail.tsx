"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { formatDateTime } from "@/lib/format";
import {
  baseStepId,
  buildTimeline,
  compensationsAt,
  deadLetteredAt,
  formatDuration,
  isCancellable,
  isTerminal,
  OUTCOME_LABEL,
  pendingDecisionOf,
  runOutcomeAt,
  STEP_STATUSES,
  stepStatusesAt,
  waitingSteps,
} from "@/lib/runs/run-state";
import { useRunLive, type LiveMode } from "@/lib/runs/use-run-live";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { TextField } from "@/components/ui/field";
import { ModelName } from "./model-name";
import { RunGraph } from "./run-graph";
import { RunScrubber } from "./run-scrubber";
import { RunStatusBadge, StepStatusLegend } from "./run-status";
import { RunTimeline } from "./run-timeline";
import { runTitle } from "./run-title";
import { StepDrawer } from "./step-drawer";

const DECIDABLE = new Set(["human.approval", "human.form", "policy.check"]);

const LIVE_LABEL: Record<LiveMode, string> = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Live (polling every 2 s)",
  ended: "Run ended: no more updates",
};

/** Agent cost per IR step (children and retries summed into their step). */
function costByStep(rows: ReadonlyArray<{ stepId: string; costUsd: number }>) {
  const by = new Map<string, { stepId: string; attempts: number; costUsd: number }>();
  for (const r of rows) {
    const id = baseStepId(r.stepId);
    const c = by.get(id) ?? { stepId: id, attempts: 0, costUsd: 0 };
    c.attempts += 1;
    c.costUsd += r.costUsd;
    by.set(id, c);
  }
  return [...by.values()];
}

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

/** What a waiting human step asks, and of whom: the banner's text. */
function DecisionBanner({
  stepId,
  pending,
  canApprove,
}: {
  stepId: string;
  pending: ReturnType<typeof pendingDecisionOf>;
  canApprove: boolean;
}) {
  const what =
    pending?.reason === "form"
      ? "a form to be filled"
      : pending?.reason === "approval"
        ? "an approval"
        : "a decision";
  return (
    <div className="space-y-0.5">
      <p>
        Step <span className="font-mono font-medium">{stepId}</span> is waiting for {what}
        {pending?.approvers ? ` by ${pending.approvers}` : canApprove ? "" : " by an approver"}.
      </p>
      {pending?.message && (
        <p data-testid={`decision-message-${stepId}`} className="font-medium whitespace-pre-line">
          “{pending.message}”
        </p>
      )}
    </div>
  );
}

/** One run: header and actions, the live canvas, the scrubber, the timeline and a step drawer. */
export function RunDetail({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor");
  const canApprove = useCan("approver");
  const { run, error, isPending, events, mode } = useRunLive(runId);
  const usage = useQuery(trpc.model.usageByRun.queryOptions({ runId }));
  const [selected, setSelected] = useState<string | null>(null);
  const [position, setPosition] = useState<number | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [reason, setReason] = useState("");
  const live = run ? !isTerminal(run.status) : false;
  const now = useNow(live);

  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: trpc.run.get.queryKey({ id: runId }) });
  const cancel = useMutation(
    trpc.run.cancel.mutationOptions({
      onSuccess: async () => {
        setConfirmCancel(false);
        await Promise.all([refresh(), queryClient.invalidateQueries(trpc.run.list.pathFilter())]);
      },
    }),
  );
  const resume = useMutation(trpc.run.resume.mutationOptions({ onSuccess: () => refresh() }));

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

  const decidable = isTerminal(run.status)
    ? []
    : waitingSteps(run.attempts).filter((id) =>
        DECIDABLE.has(steps.find((s) => s.id === id)?.block.id ?? ""),
      );
  const selectedStep = steps.find((s) => s.id === selected) ?? null;
  const decide = (stepId: string) => ({
    run: (decision: "approve" | "reject", comment: string) =>
      resume.mutate({ runId, stepId, decision, comment: comment.trim() || undefined }),
    pending: resume.isPending,
    error: resume.error ? errorMessage(resume.error) : null,
  });
  const duration = run.startedAt ? (run.finishedAt ?? now) - run.startedAt : null;

  return (
    <>
      <header className="mb-3 flex items-start justify-between gap-4">
        <div className="min-w-0">
          <p className="text-xs text-zinc-500">
            <Link href="/runs" className="hover:underline">
              Runs
            </Link>{" "}
            / <span className="font-mono">{run.id.slice(0, 8)}</span>
          </p>
          <h1 className="flex items-center gap-2 text-lg font-semibold tracking-tight text-zinc-900">
            <span className="truncate" data-testid="run-title">
              {runTitle({ ...run, flowName: run.ir.name })}
            </span>
            {run.draft && (
              <span title="A draft run: kept out of trust scores and replays">
                <Badge tone="warning">Draft run</Badge>
              </span>
            )}
            <span data-testid="run-status">
              <RunStatusBadge status={run.outcome} />
            </span>
            {run.workflowId && !run.workflowDeleted && (
              <Link
                href={`/studio/${run.workflowId}`}
                className="ml-1 text-xs font-normal text-accent-700 hover:underline"
              >
                Open in studio
              </Link>
            )}
          </h1>
          <dl className="mt-1 flex flex-wrap gap-x-4 gap-y-0.5 text-xs text-zinc-600">
            <div className="flex gap-1">
              <dt>Started by</dt>
              <dd className="text-zinc-900">{run.startedBy ?? "—"}</dd>
            </div>
            <div className="flex gap-1">
              <dt>Queued</dt>
              <dd className="text-zinc-900">{formatDateTime(new Date(run.createdAt))}</dd>
            </div>
            <div className="flex gap-1">
              <dt>Finished</dt>
              <dd className="text-zinc-900">
                {run.finishedAt ? formatDateTime(new Date(run.finishedAt)) : "—"}
              </dd>
            </div>
            <div className="flex gap-1">
              <dt>Duration</dt>
              <dd className="text-zinc-900">{formatDuration(duration)}</dd>
            </div>
            <div className="flex gap-1">
              <dt>Agent cost</dt>
              <dd className="text-zinc-900" data-testid="run-cost">
                {usage.data
                  ? usage.data.attempts === 0
                    ? "no agent steps billed"
                    : `$${usage.data.costUsd.toFixed(4)} · ${usage.data.tokensIn + usage.data.tokensOut} tokens`
                  : "—"}
              </dd>
            </div>
            <div className="flex gap-1">
              <dt className="sr-only">Updates</dt>
              <dd data-testid="live-mode" className="flex items-center gap-1">
                {live && (
                  <span
                    aria-hidden
                    className="inline-block size-1.5 animate-pulse rounded-full bg-emerald-500"
                  />
                )}
                {LIVE_LABEL[mode]}
              </dd>
            </div>
          </dl>
        </div>
        {canEdit && isCancellable(run.status) && (
          <Button variant="danger" onClick={() => setConfirmCancel(true)}>
            Cancel run
          </Button>
        )}
      </header>

      {run.error && (
        <Alert tone={run.status === "cancelled" ? "info" : "error"} className="mb-3">
          {run.error.name}: {run.error.message}
        </Alert>
      )}
      {run.deadLetters.length > 0 && (
        <Alert tone="warning" className="mb-3" testId="dead-letters">
          {run.status === "succeeded" ? "The run succeeded with dead letters: " : "Dead letters: "}
          {run.deadLetters.map((d, i) => (
            <span key={d.id}>
              {i > 0 && "; "}
              <button
                type="button"
                className="font-mono font-medium underline"
                onClick={() => setSelected(baseStepId(d.stepId))}
              >
                {d.stepId}
              </button>{" "}
              failed for good after {d.attempts} attempt{d.attempts === 1 ? "" : "s"} (
              {d.error.name}: {d.error.message})
            </span>
          ))}
          . {run.deadLetters.length === 1 ? "It waits" : "They wait"} in the dead-letter queue with{" "}
          {run.deadLetters.length === 1 ? "its" : "their"} inputs.
        </Alert>
      )}
      {decidable.map((stepId) => (
        <Alert
          key={stepId}
          tone="warning"
          className="mb-3"
          testId={`decision-${stepId}`}
          action={
            canApprove ? (
              <div className="flex gap-2">
                <Button size="sm" onClick={() => setSelected(stepId)}>
                  Details
                </Button>
                <Button
                  size="sm"
                  variant="primary"
                  pending={resume.isPending}
                  aria-label={`Approve ${stepId}`}
                  onClick={() => decide(stepId).run("approve", "")}
                >
                  Approve
                </Button>
                <Button
                  size="sm"
                  variant="danger"
                  pending={resume.isPending}
                  aria-label={`Reject ${stepId}`}
                  onClick={() => decide(stepId).run("reject", "")}
                >
                  Reject
                </Button>
              </div>
            ) : undefined
          }
        >
          <DecisionBanner
            stepId={stepId}
            pending={pendingDecisionOf(stepId, run.attempts, events)}
            canApprove={canApprove}
          />
        </Alert>
      ))}
      {resume.error && !selectedStep && (
        <Alert tone="error" className="mb-3">
          {errorMessage(resume.error)}
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
            canDecide={canApprove && !isTerminal(run.status)}
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
        <section
          aria-labelledby="run-cost-title"
          className="rounded-lg border border-zinc-200 bg-white p-3"
        >
          <h2 id="run-cost-title" className="mb-2 text-sm font-semibold text-zinc-900">
            Agent cost
          </h2>
          {usage.error ? (
            <Alert tone="error">{errorMessage(usage.error)}</Alert>
          ) : !usage.data || usage.data.attempts === 0 ? (
            <p className="text-xs text-zinc-600">No agent step of this run has used a model.</p>
          ) : (
            <>
              <table aria-label="Agent cost by model" className="w-full text-xs">
                <thead>
                  <tr className="text-left text-zinc-500">
                    <th className="font-medium">Model</th>
                    <th className="font-medium">Calls</th>
                    <th className="font-medium">Tokens in / out</th>
                    <th className="text-right font-medium">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {usage.data.byModel.map((m) => (
                    <tr key={m.model}>
                      <td>
                        <ModelName model={m.model} label={m.label} />
                      </td>
                      <td>{m.attempts}</td>
                      <td>
                        {m.tokensIn} / {m.tokensOut}
                      </td>
                      <td className="text-right">${m.costUsd.toFixed(4)}</td>
                    </tr>
                  ))}
                  <tr className="border-t border-zinc-200 font-medium">
                    <td>Total</td>
                    <td>{usage.data.attempts}</td>
                    <td>
                      {usage.data.tokensIn} / {usage.data.tokensOut}
                    </td>
                    <td className="text-right">${usage.data.costUsd.toFixed(4)}</td>
                  </tr>
                </tbody>
              </table>
              <table aria-label="Agent cost by step" className="mt-3 w-full text-xs">
                <thead>
                  <tr className="text-left text-zinc-500">
                    <th className="font-medium">Step</th>
                    <th className="font-medium">Attempts</th>
                    <th className="text-right font-medium">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {costByStep(run.agentUsage).map((c) => (
                    <tr key={c.stepId}>
                      <td>
                        <button
                          type="button"
                          className="font-mono hover:underline"
                          onClick={() => setSelected(c.stepId)}
                        >
                          {c.stepId}
                        </button>
                      </td>
                      <td>{c.attempts}</td>
                      <td className="text-right">${c.costUsd.toFixed(4)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>
      </div>

      <Dialog
        open={confirmCancel}
        onClose={() => setConfirmCancel(false)}
        title="Cancel this run?"
        description="Steps that are running finish their current call; nothing new starts."
      >
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            cancel.mutate({ id: runId, reason: reason.trim() || undefined });
          }}
        >
          <TextField
            label="Reason (optional)"
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
          />
          {cancel.error && <Alert tone="error">{errorMessage(cancel.error)}</Alert>}
          <div className="flex justify-end gap-2">
            <Button variant="ghost" onClick={() => setConfirmCancel(false)}>
              Keep running
            </Button>
            <Button type="submit" variant="danger" pending={cancel.isPending}>
              Cancel run
            </Button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
