"use client";

import { baseStepId, pendingDecisionOf } from "@/lib/runs/run-state";
import type { RunDetail as RunRecord, RunEvent } from "@/lib/runs/use-run-live";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

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

/**
 * What the run asks of the reader above its canvas: its error, its dead letters (each opens its
 * step), and one banner per human step waiting for a decision, with approve and reject buttons
 * for approvers.
 */
export function RunAlerts({
  run,
  events,
  decidable,
  canApprove,
  deciding,
  onDecide,
  onSelect,
}: {
  run: RunRecord;
  events: readonly RunEvent[];
  /** The waiting human steps a person can decide now. */
  decidable: readonly string[];
  canApprove: boolean;
  /** Whether a decision is being sent. */
  deciding: boolean;
  onDecide: (stepId: string, decision: "approve" | "reject") => void;
  onSelect: (stepId: string) => void;
}) {
  return (
    <>
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
                onClick={() => onSelect(baseStepId(d.stepId))}
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
                <Button size="sm" onClick={() => onSelect(stepId)}>
                  Details
                </Button>
                <Button
                  size="sm"
                  variant="primary"
                  pending={deciding}
                  aria-label={`Approve ${stepId}`}
                  onClick={() => onDecide(stepId, "approve")}
                >
                  Approve
                </Button>
                <Button
                  size="sm"
                  variant="danger"
                  pending={deciding}
                  aria-label={`Reject ${stepId}`}
                  onClick={() => onDecide(stepId, "reject")}
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
    </>
  );
}
