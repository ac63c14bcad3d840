"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState, type ReactNode } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  approvalTitle,
  approversText,
  DECISION_LABEL,
  KIND_LABEL,
  outcomeText,
  quorumText,
  replayPlanOf,
  showJson,
  STATUS_LABEL,
  STATUS_TONE,
  subjectOf,
  type ApprovalView,
  type Decision,
} from "./approval-view";
import { BreakGlassDialog } from "./break-glass-dialog";
import { DecisionForm } from "./decision-form";
import { FixDecision } from "./fix-decision";
import { FormSubmission } from "./form-submission";
import { ReplayPlanView } from "./replay-plan";
import { useDecide } from "./use-approvals";

/** What the inbox announces after a decision was sent. */
export interface DecisionOutcome {
  id: string;
  tone: "success" | "error";
  text: string;
}

/**
 * One decision of the inbox, with everything the decider needs: what is asked (the message, the
 * form, the replay plan), the run's context (flow, version, run, who started or requested it),
 * the inputs, the decisions so far and the quorum. A person who may decide gets the controls; one
 * who may not reads why. Admins also get break glass, a separate action asking for a reason.
 */
export function ApprovalCard({
  approval: v,
  isAdmin,
  onDecided,
}: {
  approval: ApprovalView;
  isAdmin: boolean;
  /**
   * Called with what a decision changed, or with the server's refusal (the inbox announces it:
   * after a refusal, a request decided meanwhile leaves the list with its card).
   */
  onDecided: (outcome: DecisionOutcome) => void;
}) {
  const titleId = useId();
  const planId = useId();
  const decide = useDecide();
  const [breakingGlass, setBreakingGlass] = useState(false);
  const errors = formErrors(decide.error);
  const otherFieldErrors = Object.entries(errors.fields)
    .filter(([k]) => k !== "comment" && k !== "values")
    .flatMap(([, m]) => m);
  const pending = v.status === "pending";
  const subject = subjectOf(v);
  const inputs = showJson(v.inputs);
  const plan = replayPlanOf(v.plan);
  // Break glass approves or rejects; a form needs its values, so it is filled in, not overridden.
  const canBreakGlass = isAdmin && pending && v.kind !== "form";

  const send = (decision: Decision, comment: string, values?: Record<string, unknown>) =>
    decide.mutate(
      {
        id: v.id,
        decision,
        ...(comment ? { comment } : {}),
        ...(v.planHash ? { planHash: v.planHash } : {}),
        ...(values ? { values } : {}),
      },
      {
        onSuccess: (after) => onDecided({ id: v.id, tone: "success", text: outcomeText(after) }),
        onError: (err) =>
          onDecided({
            id: v.id,
            tone: "error",
            text: `Not decided: ${subject}. ${errorMessage(err) ?? ""}`.trim(),
          }),
      },
    );

  return (
    <article
      aria-labelledby={titleId}
      data-testid={`approval-${v.id}`}
      data-kind={v.kind}
      data-status={v.status}
      className="space-y-3 rounded-lg border border-zinc-200 bg-white p-4"
    >
      <header className="flex items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <div className="flex flex-wrap items-center gap-1.5">
            <Badge tone="accent">{KIND_LABEL[v.kind]}</Badge>
            <Badge tone={STATUS_TONE[v.status]}>
              <span className="sr-only">Status: </span>
              {STATUS_LABEL[v.status]}
            </Badge>
            {v.escalated && <Badge tone="danger">escalated</Badge>}
          </div>
          <h2 id={titleId} className="text-sm font-semibold text-zinc-900">
            {approvalTitle(v)}
          </h2>
        </div>
        <p className="shrink-0 text-xs text-zinc-600">
          {!pending
            ? `Decided ${formatDateTime(v.decidedAt)}`
            : v.kind === "form"
              ? "Waiting to be filled in"
              : quorumText(v)}
        </p>
      </header>

      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-xs">
        <Row term="Flow">
          {v.workflow ? (
            <Link href={`/studio/${v.workflow.id}`} className="text-accent-700 hover:underline">
              {v.workflow.name}
            </Link>
          ) : (
            "—"
          )}
          {v.version && (
            <span className="ml-1 font-mono text-zinc-600">
              {v.version === "draft" ? "(draft)" : `v${v.version}`}
            </span>
          )}
        </Row>
        {v.runId && (
          <Row term="Run">
            <Link
              href={`/runs/${v.runId}`}
              className="font-mono text-accent-700 hover:underline"
              aria-label={`Run ${v.runId}`}
            >
              {v.runId.slice(0, 8)}
            </Link>
            {v.stepId && (
              <span className="text-zinc-600">
                {" "}
                · step <span className="font-mono">{v.stepId}</span>
                {v.attempt !== null && v.attempt > 1 && `, attempt ${v.attempt}`}
              </span>
            )}
          </Row>
        )}
        <Row term={v.kind === "step" || v.kind === "form" ? "Started by" : "Requested by"}>
          <span data-testid="approval-requester">
            {v.requester?.userId
              ? v.requester.label
              : `${v.requester?.label ?? "A trigger"} (no personal requester: any qualified approver decides)`}
          </span>
        </Row>
        <Row term={v.kind === "form" ? "Assignees" : "Approvers"}>
          {approversText(v.approvers) ?? "members with the approver role or above"}
          {!pending && v.kind !== "form" && ` · ${quorumText(v)}`}
        </Row>
        <Row term="Asked">{formatDateTime(v.createdAt)}</Row>
        {v.expiresAt && pending && <Row term="Expires">{formatDateTime(v.expiresAt)}</Row>}
      </dl>

      {v.message && (
        <blockquote
          data-testid="approval-message"
          className="border-l-2 border-amber-400 pl-3 text-sm font-medium whitespace-pre-line text-zinc-900"
        >
          {v.message}
        </blockquote>
      )}

      {plan && <ReplayPlanView plan={plan} titleId={planId} />}

      {v.kind === "reprocess" && (
        <Link href="/dead-letters" className="text-xs text-accent-700 hover:underline">
          Dead letters and reprocess jobs
        </Link>
      )}

      {v.kind === "fix" && (
        <Link href="/guardian" className="text-xs text-accent-700 hover:underline">
          The fix&apos;s proof and diff on the Guardian page
        </Link>
      )}

      {inputs && (
        <details className="text-xs" open={v.kind === "replay" || v.kind === "reprocess"}>
          <summary className="cursor-pointer font-medium text-zinc-700">
            {v.kind === "replay"
              ? "Inputs of the replay"
              : v.kind === "reprocess"
                ? "The job and its dead letters"
                : "Inputs of the step"}
          </summary>
          <pre
            tabIndex={0}
            aria-label={`Inputs of ${subject}`}
            className="mt-1 max-h-48 overflow-auto rounded-md bg-zinc-50 p-2 font-mono text-[11px] text-zinc-800"
          >
            {inputs}
          </pre>
        </details>
      )}

      {v.runId && v.kind !== "replay" && <RunInputs runId={v.runId} subject={subject} />}

      {v.decisions.length > 0 && (
        <section aria-label={`Decisions on ${subject}`} className="space-y-1">
          <h3 className="text-xs font-semibold text-zinc-800">Decisions</h3>
          <ul className="space-y-1 text-xs text-zinc-700">
            {v.decisions.map((d) => (
              <li key={`${d.userId}:${d.at}`}>
                <span className="font-medium">{d.label}</span> {DECISION_LABEL[d.decision]}{" "}
                {formatDateTime(d.at)}
                {d.breakGlass && (
                  <>
                    {" "}
                    <Badge tone="danger">break glass</Badge>
                    {d.reason && <span> — reason: “{d.reason}”</span>}
                  </>
                )}
                {d.comment && <span className="text-zinc-600"> — “{d.comment}”</span>}
              </li>
            ))}
          </ul>
        </section>
      )}

      {pending && (
        <div className="space-y-2 border-t border-zinc-100 pt-3">
          {v.canDecide ? (
            v.kind === "form" && v.form ? (
              <FormSubmission
                subject={subject}
                schema={v.form.schema}
                prefill={v.form.prefill}
                pending={decide.isPending}
                serverErrors={{ values: errors.fields.values, comment: errors.fields.comment }}
                onSubmit={(values, comment) => send("submit", comment, values)}
                onReject={(comment) => send("reject", comment)}
              />
            ) : v.kind === "fix" ? (
              // Accepted with the Guardian page's replay choice (the same four-eyes guard).
              <FixDecision approvalId={v.id} subject={subject} onDecided={onDecided} />
            ) : (
              <DecisionForm
                subject={subject}
                pending={decide.isPending}
                serverErrors={errors.fields.comment}
                onDecide={(decision, comment) => send(decision, comment)}
              />
            )
          ) : (
            <p
              data-testid="approval-why-not"
              className="rounded-md bg-zinc-50 px-3 py-2 text-sm text-zinc-700"
            >
              <span className="font-medium">Not yours to decide.</span>{" "}
              {v.whyNot ?? "You are not one of its approvers."}
            </p>
          )}
          {(errors.message || otherFieldErrors.length > 0) && (
            <Alert tone="error" testId="approval-error">
              {errors.message ?? otherFieldErrors.join(" ")}
            </Alert>
          )}
          {canBreakGlass && (
            <div className="flex items-center justify-between gap-3 rounded-md border border-dashed border-red-200 px-3 py-2">
              <p className="text-xs text-zinc-600">
                Admin override: decide alone, with a reason, flagged in the audit log.
              </p>
              <Button
                size="sm"
                variant="danger"
                aria-label={`Break glass: ${subject}`}
                onClick={() => setBreakingGlass(true)}
              >
                <span aria-hidden>⚠</span> Break glass…
              </Button>
            </div>
          )}
        </div>
      )}
      {canBreakGlass && (
        <BreakGlassDialog
          open={breakingGlass}
          onClose={() => setBreakingGlass(false)}
          approvalId={v.id}
          subject={subject}
          onDone={(decision) =>
            onDecided({
              id: v.id,
              tone: "success",
              text: `Break glass: ${decision === "approve" ? "approved" : "rejected"} ${subject}.`,
            })
          }
        />
      )}
    </article>
  );
}

/** The run's own inputs, fetched when opened (the run's context of a step or form). */
function RunInputs({ runId, subject }: { runId: string; subject: string }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState(false);
  const run = useQuery({ ...trpc.run.get.queryOptions({ id: runId }), enabled: open });
  const text = run.data ? (showJson(run.data.inputs) ?? "The run has no inputs.") : null;
  return (
    <details className="text-xs" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary className="cursor-pointer font-medium text-zinc-700">Inputs of the run</summary>
      {run.error ? (
        <p className="mt-1 text-red-700">{errorMessage(run.error)}</p>
      ) : text === null ? (
        <p className="mt-1 text-zinc-600">Loading…</p>
      ) : (
        <pre
          tabIndex={0}
          aria-label={`Inputs of the run of ${subject}`}
          className="mt-1 max-h-48 overflow-auto rounded-md bg-zinc-50 p-2 font-mono text-[11px] text-zinc-800"
        >
          {text}
        </pre>
      )}
    </details>
  );
}

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-zinc-500">{term}</dt>
      <dd className="min-w-0 text-zinc-800">{children}</dd>
    </>
  );
}
