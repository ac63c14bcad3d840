"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import {
  baseStepId,
  decisionOf,
  formatDuration,
  isCompensation,
  pendingDecisionOf,
  type StepStatus,
} from "@/lib/runs/run-state";
import { formatDateTime } from "@/lib/format";
import type { RunDetail, RunEvent } from "@/lib/runs/use-run-live";
import { Button } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";
import { Alert } from "@/components/ui/alert";
import { ModelName } from "./model-name";
import { STEP_STATUS_STYLE } from "./run-status";

type Attempt = RunDetail["attempts"][number];
type Usage = RunDetail["agentUsage"][number];
type Step = RunDetail["ir"]["steps"][number];

const DECIDABLE = new Set(["human.approval", "human.form", "policy.check"]);

const DECISION_WORD = {
  approved: "Approved",
  rejected: "Rejected",
  submitted: "Submitted",
  "timed out": "Timed out",
} as const;

const time = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  fractionalSecondDigits: 3,
});

export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "—" : time.format(new Date(ms));
}

function Json({ value, label }: { value: unknown; label: string }) {
  if (value === undefined || value === null) return <p className="text-xs text-zinc-500">None.</p>;
  return (
    <pre
      aria-label={label}
      className="max-h-48 overflow-auto rounded bg-zinc-50 p-2 font-mono text-[11px] leading-4 text-zinc-800"
    >
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** The source of a `step.reused` event (`{ fromRunId, attempt }`), if it is one. */
function reusedFrom(e: RunEvent | undefined): { fromRunId: string; attempt: number } | null {
  const d = e?.data as { fromRunId?: unknown; attempt?: unknown } | null | undefined;
  return typeof d?.fromRunId === "string" && typeof d.attempt === "number"
    ? { fromRunId: d.fromRunId, attempt: d.attempt }
    : null;
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="space-y-1.5">
      <h3 className="text-xs font-semibold tracking-wide text-zinc-500 uppercase">{title}</h3>
      {children}
    </section>
  );
}

/**
 * Everything recorded about one step: status, block, decisions for a waiting human step, each
 * attempt (timing, idempotency key, consent id, inputs, output, error with its classification)
 * and the step's events.
 */
export function StepDrawer({
  step,
  status,
  attempts,
  events,
  usage,
  canDecide,
  whyNot = null,
  decide,
  onClose,
}: {
  step: Step;
  status: StepStatus;
  attempts: readonly Attempt[];
  events: readonly RunEvent[];
  usage: readonly Usage[];
  /** Whether the four-eyes guard lets the signed-in person decide this step now. */
  canDecide: boolean;
  /** Why not, in the guard's words (shown instead of the decision form). */
  whyNot?: string | null;
  decide: {
    run: (decision: "approve" | "reject", comment: string) => void;
    pending: boolean;
    error: string | null;
  };
  onClose: () => void;
}) {
  const [comment, setComment] = useState("");
  const [needsComment, setNeedsComment] = useState(false);
  const own = attempts
    .filter((a) => baseStepId(a.stepId) === step.id)
    .sort((a, b) => a.startedAt - b.startedAt || a.attempt - b.attempt);
  const latest = own.filter((a) => a.stepId === step.id).at(-1);
  const waiting = latest?.status === "waiting";
  const stepEvents = events.filter((e) => e.stepId && baseStepId(e.stepId) === step.id);
  const stepUsage = usage.filter((u) => baseStepId(u.stepId) === step.id);
  // A replay run's reused step: the output recorded by the run it replays.
  const reused = reusedFrom(
    stepEvents.find((e) => e.type === "step.reused" && e.stepId === step.id),
  );
  // A sandbox draft run's pinned step: its output was given, the step did not run.
  const pinned = stepEvents.find((e) => e.type === "step.pinned" && e.stepId === step.id);
  const pinnedFrom = (pinned?.data as { fromRunId?: unknown } | null | undefined)?.fromRunId;
  const isAgent = step.block.id.startsWith("agent.");
  const decidable = DECIDABLE.has(step.block.id);
  const decision = decidable ? decisionOf(step.id, attempts, events) : null;
  const pending = decidable ? pendingDecisionOf(step.id, attempts, events) : null;
  return (
    <aside
      aria-label={`Step ${step.id}`}
      className="flex h-full w-[360px] shrink-0 flex-col overflow-hidden rounded-lg border border-zinc-200 bg-white"
    >
      <header className="flex items-start justify-between gap-2 border-b border-zinc-200 px-3 py-2">
        <div className="min-w-0">
          <h2 className="truncate font-mono text-sm font-semibold text-zinc-900">{step.id}</h2>
          <p className="truncate font-mono text-[11px] text-zinc-600">{step.uses}</p>
        </div>
        <div className="flex items-center gap-1">
          <span
            data-testid="step-drawer-status"
            className={`rounded border px-1.5 py-0.5 text-[11px] font-medium ${STEP_STATUS_STYLE[status].node}`}
          >
            {status}
          </span>
          <Button size="sm" variant="ghost" aria-label="Close step" onClick={onClose}>
            ×
          </Button>
        </div>
      </header>
      <div className="flex-1 space-y-4 overflow-y-auto px-3 py-3 text-sm">
        {step.description && <p className="text-xs text-zinc-600">{step.description}</p>}
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
          <dt className="text-zinc-500">Needs</dt>
          <dd className="font-mono">{step.needs.length ? step.needs.join(", ") : "—"}</dd>
          <dt className="text-zinc-500">On error</dt>
          <dd>{step.onError}</dd>
          {step.consent && (
            <>
              <dt className="text-zinc-500">Consent</dt>
              <dd>{step.consent.purpose}</dd>
            </>
          )}
        </dl>

        {reused && (
          <p
            data-testid="step-reused"
            className="rounded bg-emerald-50 p-2 text-xs text-emerald-900"
          >
            Reused by this replay: the recorded output of attempt {reused.attempt} of run{" "}
            <Link
              href={`/runs/${reused.fromRunId}`}
              aria-label={`Run ${reused.fromRunId}`}
              className="font-mono underline"
            >
              {reused.fromRunId.slice(0, 8)}
            </Link>
            , not executed again.
          </p>
        )}

        {pinned && (
          <p data-testid="step-pinned" className="rounded bg-amber-50 p-2 text-xs text-amber-900">
            Pinned: this sandbox run recorded the output pinned in the studio
            {typeof pinnedFrom === "string" ? (
              <>
                {" "}
                (from run{" "}
                <Link href={`/runs/${pinnedFrom}`} className="font-mono underline">
                  {pinnedFrom.slice(0, 8)}
                </Link>
                )
              </>
            ) : (
              " (typed in)"
            )}
            ; the step was not executed.
          </p>
        )}

        {decision && (
          <Section title="Decision">
            <p data-testid="step-decision" className="text-xs text-zinc-800">
              <span className="font-medium">{DECISION_WORD[decision.outcome]}</span>
              {decision.by.length > 0 && (
                <>
                  {" "}
                  by <span className="font-medium">{decision.by.join(", ")}</span>
                </>
              )}
              {decision.at !== null && <> on {formatDateTime(new Date(decision.at))}</>}
              {decision.outcome === "timed out" && " (the step's onTimeout decided)"}.
            </p>
            {decision.comment && (
              <p className="text-xs whitespace-pre-line text-zinc-600">“{decision.comment}”</p>
            )}
          </Section>
        )}

        {waiting && decidable && (
          <Section title="Decision">
            {pending?.message && (
              <p className="text-xs font-medium whitespace-pre-line text-zinc-800">
                “{pending.message}”
              </p>
            )}
            {pending?.approvers && (
              <p className="text-xs text-zinc-600">To be decided by {pending.approvers}.</p>
            )}
            {canDecide ? (
              <form
                className="space-y-2"
                onSubmit={(e) => e.preventDefault()}
                aria-label={`Decide ${step.id}`}
              >
                <label
                  className="block text-xs font-medium text-zinc-700"
                  htmlFor="decision-comment"
                >
                  Comment (needed to reject)
                </label>
                <textarea
                  id="decision-comment"
                  rows={2}
                  maxLength={2000}
                  value={comment}
                  onChange={(e) => {
                    setComment(e.target.value);
                    setNeedsComment(false);
                  }}
                  className={inputClass}
                />
                {(needsComment || decide.error) && (
                  <Alert tone="error">
                    {needsComment
                      ? "Say why you reject: a rejection needs a comment."
                      : decide.error}
                  </Alert>
                )}
                <div className="flex gap-2">
                  <Button
                    variant="primary"
                    pending={decide.pending}
                    onClick={() => decide.run("approve", comment)}
                  >
                    Approve
                  </Button>
                  <Button
                    variant="danger"
                    pending={decide.pending}
                    onClick={() => {
                      // The server refuses a rejection without a comment; say so before sending.
                      if (!comment.trim()) return setNeedsComment(true);
                      decide.run("reject", comment);
                    }}
                  >
                    Reject
                  </Button>
                </div>
              </form>
            ) : (
              <p data-testid="step-why-not" className="text-xs text-zinc-600">
                {whyNot ? (
                  <>
                    <span className="font-medium">Not yours to decide.</span> {whyNot}
                  </>
                ) : (
                  "Waiting for a decision by someone with the approver role."
                )}
              </p>
            )}
          </Section>
        )}

        {(isAgent || stepUsage.length > 0) && (
          <Section title="Agent cost">
            {stepUsage.length === 0 ? (
              <p className="text-xs text-zinc-500">No model usage recorded for this step yet.</p>
            ) : (
              <table aria-label={`Agent cost of ${step.id}`} className="w-full text-[11px]">
                <thead>
                  <tr className="text-left text-zinc-500">
                    <th className="font-medium">Attempt</th>
                    <th className="font-medium">Model</th>
                    <th className="font-medium">Tokens in / out</th>
                    <th className="text-right font-medium">Cost</th>
                  </tr>
                </thead>
                <tbody>
                  {stepUsage.map((u) => (
                    <tr key={`${u.stepId}#${u.attempt}`}>
                      <td className="font-mono">
                        {u.stepId !== step.id ? `${u.stepId} ` : ""}#{u.attempt}
                      </td>
                      <td>
                        <ModelName model={u.model} label={u.label} />
                      </td>
                      <td>
                        {u.tokensIn} / {u.tokensOut}
                      </td>
                      <td className="text-right">${u.costUsd.toFixed(4)}</td>
                    </tr>
                  ))}
                  <tr className="border-t border-zinc-200 font-medium">
                    <td colSpan={3}>Step total</td>
                    <td className="text-right">
                      ${stepUsage.reduce((n, u) => n + u.costUsd, 0).toFixed(4)}
                    </td>
                  </tr>
                </tbody>
              </table>
            )}
          </Section>
        )}

        <Section title={`Attempts (${own.length})`}>
          {own.length === 0 && <p className="text-xs text-zinc-500">Not started.</p>}
          <ol className="space-y-3">
            {own.map((a) => (
              <li
                key={`${a.stepId}#${a.attempt}`}
                className="space-y-1.5 rounded border border-zinc-200 p-2"
                aria-label={`${a.stepId} attempt ${a.attempt}`}
              >
                <div className="flex items-center justify-between text-xs">
                  <span className="font-mono font-medium">
                    {isCompensation(a.stepId)
                      ? "compensation · "
                      : a.stepId !== step.id
                        ? `${a.stepId} · `
                        : ""}
                    attempt {a.attempt}
                  </span>
                  <span className="font-medium">{a.status}</span>
                </div>
                <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-[11px]">
                  <dt className="text-zinc-500">Started</dt>
                  <dd>{formatTime(a.startedAt)}</dd>
                  <dt className="text-zinc-500">Finished</dt>
                  <dd>{formatTime(a.finishedAt)}</dd>
                  <dt className="text-zinc-500">Duration</dt>
                  <dd>{formatDuration(a.durationMs)}</dd>
                  {a.retryAt !== null && (
                    <>
                      <dt className="text-zinc-500">Retry at</dt>
                      <dd>{formatTime(a.retryAt)}</dd>
                    </>
                  )}
                  <dt className="text-zinc-500">Idempotency key</dt>
                  <dd className="font-mono break-all">{a.idempotencyKey}</dd>
                  <dt className="text-zinc-500">Consent id</dt>
                  <dd className="font-mono break-all">{a.consentId ?? "—"}</dd>
                  {a.workerId && (
                    <>
                      <dt className="text-zinc-500">Worker</dt>
                      <dd className="font-mono break-all">{a.workerId}</dd>
                    </>
                  )}
                </dl>
                {a.error && (
                  <div
                    role="group"
                    aria-label="Error"
                    className="rounded bg-red-50 p-2 text-xs text-red-800"
                  >
                    <p className="font-medium">
                      {a.error.name}: {a.error.message}
                    </p>
                    {(a.classification ?? a.error.classification) && (
                      <p className="mt-0.5">
                        severity {(a.classification ?? a.error.classification)?.severity} · category{" "}
                        {(a.classification ?? a.error.classification)?.category}
                        {a.error.retryable ? " · retryable" : " · not retryable"}
                      </p>
                    )}
                  </div>
                )}
                <details>
                  <summary className="cursor-pointer text-[11px] text-zinc-600">Inputs</summary>
                  <Json value={a.inputs} label={`Inputs of attempt ${a.attempt}`} />
                </details>
                <details open={a === own.at(-1)}>
                  <summary className="cursor-pointer text-[11px] text-zinc-600">Output</summary>
                  <Json value={a.output} label={`Output of attempt ${a.attempt}`} />
                </details>
              </li>
            ))}
          </ol>
        </Section>

        <Section title={`Events (${stepEvents.length})`}>
          <ol className="space-y-1 font-mono text-[11px]">
            {stepEvents.map((e) => (
              <li key={e.seq} className="flex gap-2">
                <span className="w-8 shrink-0 text-right text-zinc-400">#{e.seq}</span>
                <span className="shrink-0 text-zinc-500">{formatTime(e.at)}</span>
                <span className="break-all text-zinc-800">
                  {e.type}
                  {e.stepId !== step.id ? ` (${e.stepId})` : ""}
                </span>
              </li>
            ))}
          </ol>
        </Section>
      </div>
    </aside>
  );
}
