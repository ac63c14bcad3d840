"use client";

import { baseStepId, pendingDecisionOf } from "@/lib/runs/run-state";
import type { RunDetail as RunRecord, RunEvent } from "@/lib/runs/use-run-live";
import Link from "next/link";
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

/** Whether the signed-in person may decide a waiting step, and if not, why (the four-eyes guard). */
export interface StepGuard {
  canDecide: boolean;
  /** Why not, in the guard's words (null when they may, or while it is being checked). */
  whyNot: string | null;
  /** The guard's answer is still loading: the buttons wait. */
  checking: boolean;
}

/** What became of one dead letter: waiting in the queue, being reprocessed, reprocessed, discarded. */
function DeadLetterFate({ letter: d }: { letter: RunRecord["deadLetters"][number] }) {
  switch (d.status) {
    case "reprocessed":
      return d.reprocessedRunId ? (
        <>
          — reprocessed by run{" "}
          <Link href={`/runs/${d.reprocessedRunId}`} className="font-mono underline">
            {d.reprocessedRunId.slice(0, 8)}
          </Link>
        </>
      ) : (
        <>— reprocessed</>
      );
    case "reprocessing":
      return (
        <>
          — being reprocessed (
          <Link href="/dead-letters" className="underline">
            dead letters
          </Link>
          )
        </>
      );
    case "discarded":
      return (
        <>
          — discarded{d.discardedBy ? ` by ${d.discardedBy}` : ""}
          {d.discardReason ? `: “${d.discardReason}”` : ""}
        </>
      );
    default:
      return (
        <>
          — waits in the{" "}
          <Link href="/dead-letters" className="underline">
            dead-letter queue
          </Link>{" "}
          with its inputs
        </>
      );
  }
}

/**
 * What the run asks of the reader above its canvas: its error, its dead letters (each opens its
 * step), and one banner per human step waiting for a decision, with approve and reject buttons
 * usable only by a person the approval's guard lets decide (the requester and people who are
 * not among its approvers read why not).
 */
export function RunAlerts({
  run,
  events,
  decidable,
  guard,
  deciding,
  onDecide,
  onSelect,
}: {
  run: RunRecord;
  events: readonly RunEvent[];
  /** The waiting human steps. */
  decidable: readonly string[];
  /** The approval guard's answer for a waiting step. */
  guard: (stepId: string) => StepGuard;
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
            <span key={d.id} data-testid={`dead-letter-${d.stepId}`} data-status={d.status}>
              {i > 0 && "; "}
              <button
                type="button"
                className="font-mono font-medium underline"
                onClick={() => onSelect(baseStepId(d.stepId))}
              >
                {d.stepId}
              </button>{" "}
              failed for good after {d.attempts} attempt{d.attempts === 1 ? "" : "s"} (
              {d.error.name}: {d.error.message}) <DeadLetterFate letter={d} />
            </span>
          ))}
          .
        </Alert>
      )}
      {decidable.map((stepId) => {
        const g = guard(stepId);
        const whyId = `decision-why-not-${stepId}`;
        const blocked = !g.canDecide && !g.checking;
        return (
          <Alert
            key={stepId}
            tone="warning"
            className="mb-3"
            testId={`decision-${stepId}`}
            action={
              <div className="flex gap-2">
                <Button size="sm" onClick={() => onSelect(stepId)}>
                  Details
                </Button>
                <Button
                  size="sm"
                  variant="primary"
                  pending={deciding}
                  disabled={!g.canDecide}
                  aria-label={`Approve ${stepId}`}
                  aria-describedby={blocked ? whyId : undefined}
                  onClick={() => onDecide(stepId, "approve")}
                >
                  Approve
                </Button>
                <Button
                  size="sm"
                  variant="danger"
                  pending={deciding}
                  disabled={!g.canDecide}
                  aria-label={`Reject ${stepId}`}
                  aria-describedby={blocked ? whyId : undefined}
                  onClick={() => onDecide(stepId, "reject")}
                >
                  Reject
                </Button>
              </div>
            }
          >
            <DecisionBanner
              stepId={stepId}
              pending={pendingDecisionOf(stepId, run.attempts, events)}
              canApprove={g.canDecide}
            />
            {blocked && (
              <p id={whyId} data-testid={`decision-why-not-${stepId}`} className="mt-1 text-xs">
                <span className="font-medium">Not yours to decide.</span>{" "}
                {g.whyNot ?? "You are not one of its approvers."}
              </p>
            )}
          </Alert>
        );
      })}
    </>
  );
}
