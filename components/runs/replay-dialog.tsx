"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useId, useMemo, useState } from "react";
import type { RunDetail as RunRecord } from "@/lib/runs/use-run-live";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import type { RouterInputs } from "@/lib/trpc/types";
import { ReplayPlanView } from "@/components/approvals/replay-plan";
import { replayPlanOf } from "@/components/approvals/approval-view";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { inputClass, SelectField } from "@/components/ui/field";
import { inputsPatchOf, type ReplayMode } from "./replay-request";

type ReplayInput = RouterInputs["run"]["planReplay"];

const MODES: ReadonlyArray<{ mode: ReplayMode; label: string; hint: string }> = [
  {
    mode: "resume",
    label: "Resume from the failed step",
    hint: "What succeeded is reused; the failed step and everything after it run again.",
  },
  {
    mode: "from-step",
    label: "Restart from a chosen step",
    hint: "Steps before it are reused; it and everything downstream run again.",
  },
  {
    mode: "full",
    label: "Rerun every step",
    hint: "Every step runs again; completed writes are still reused unless the plan says otherwise.",
  },
];

/** `value`, once it has stopped changing for `ms` (the plan is asked for while one types). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/**
 * Asks for a replay of a finished run: how (resume, restart from a step, rerun all), on which
 * version of the flow, with which inputs (edited as JSON, sent as an RFC 6902 patch), and shows
 * the server's plan of it before anything is asked. "Request approval" creates the replay's
 * approval, bound to the plan's hash; another approver decides it in the inbox.
 */
export function ReplayDialog({
  run,
  open,
  onClose,
}: {
  run: RunRecord;
  open: boolean;
  onClose: () => void;
}) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      size="xl"
      title="Replay this run"
      description="Nothing runs until another approver approves the plan below."
    >
      <ReplayForm run={run} onClose={onClose} />
    </Dialog>
  );
}

function ReplayForm({ run, onClose }: { run: RunRecord; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const steps = run.ir.steps.map((s) => s.id);
  const failed = run.attempts.find((a) => a.status === "failed");
  const [mode, setMode] = useState<ReplayMode>("resume");
  const [fromStep, setFromStep] = useState(
    failed && steps.includes(failed.stepId) ? failed.stepId : (steps[0] ?? ""),
  );
  const [version, setVersion] = useState("run");
  // Writes that completed in this run: reused unless named here (done again, under a new key).
  const completedWrites = useMemo(() => {
    const done = new Set(run.attempts.filter((a) => a.status === "succeeded").map((a) => a.stepId));
    return run.ir.steps
      .filter((s) => s.block.sideEffect === "write" && done.has(s.id))
      .map((s) => s.id);
  }, [run]);
  const [redo, setRedo] = useState<readonly string[]>([]);
  const original = useMemo(() => JSON.stringify(run.inputs ?? {}, null, 2), [run.inputs]);
  const [inputsText, setInputsText] = useState(original);
  const settledText = useSettled(inputsText, 400);
  const edited = useMemo(() => inputsPatchOf(run.inputs ?? {}, settledText), [run, settledText]);
  const shownPatch = useMemo(() => inputsPatchOf(run.inputs ?? {}, inputsText), [run, inputsText]);

  const versions = useQuery({
    ...trpc.workflow.listVersions.queryOptions({ id: run.workflowId ?? "" }),
    enabled: Boolean(run.workflowId) && !run.workflowDeleted,
  });

  const input: ReplayInput | null = edited.ok
    ? {
        runId: run.id,
        mode,
        ...(mode === "from-step" ? { fromStep } : {}),
        version,
        inputsPatch: edited.patch,
        ...(redo.length > 0 ? { redo: [...redo] } : {}),
      }
    : null;
  const plan = useQuery({
    ...trpc.run.planReplay.queryOptions(input ?? { runId: run.id, mode: "resume" }),
    enabled: input !== null && (mode !== "from-step" || fromStep !== ""),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const request = useMutation(
    trpc.run.requestReplay.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.approval.pathFilter()),
          queryClient.invalidateQueries({ queryKey: trpc.run.get.queryKey({ id: run.id }) }),
        ]),
    }),
  );

  if (request.data) {
    const r = request.data;
    return (
      <div className="space-y-3" data-testid="replay-requested">
        <Alert tone="success">
          <p className="font-medium">Replay requested: it waits for approval.</p>
          <p className="mt-1">
            A second approver (a member with the approver or admin role, not you) must approve it in
            the Approvals inbox; the replay then starts as a new run linked to this one. Plan{" "}
            <span className="font-mono">{r.plan.hash.slice(0, 12)}</span>: the approval covers
            exactly this plan.
          </p>
        </Alert>
        <div className="flex justify-end gap-2">
          <Link
            href="/approvals"
            className="inline-flex h-9 items-center rounded-md px-3.5 text-sm font-medium text-accent-700 hover:bg-zinc-100"
          >
            Open the Approvals inbox
          </Link>
          <Button variant="primary" onClick={onClose}>
            Close
          </Button>
        </div>
      </div>
    );
  }

  const shown = plan.error ? null : replayPlanOf(plan.data);
  const stale = plan.isFetching || inputsText !== settledText || !input;
  const problem = !shownPatch.ok ? shownPatch.problem : null;
  const redone = shown?.steps.filter((s) => s.redoesSideEffect) ?? [];

  return (
    <form
      className="space-y-4"
      aria-label="Replay"
      onSubmit={(e) => {
        e.preventDefault();
        if (input && shown && !stale) request.mutate(input);
      }}
    >
      <fieldset className="space-y-1.5">
        <legend className="text-xs font-medium text-zinc-700">How</legend>
        {MODES.map((m) => (
          <label key={m.mode} className="flex items-start gap-2 text-sm">
            <input
              type="radio"
              name={`${id}-mode`}
              value={m.mode}
              checked={mode === m.mode}
              onChange={() => setMode(m.mode)}
              className="mt-1 accent-accent-600"
            />
            <span>
              {m.label}
              <span className="block text-xs text-zinc-500">{m.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>

      <div className="grid grid-cols-2 gap-3">
        {mode === "from-step" && (
          <SelectField
            label="Restart from step"
            value={fromStep}
            onChange={(e) => setFromStep(e.target.value)}
          >
            {steps.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </SelectField>
        )}
        <SelectField
          label="Flow version"
          value={version}
          onChange={(e) => setVersion(e.target.value)}
          hint={versions.error ? errorMessage(versions.error) : undefined}
        >
          <option value="run">This run&apos;s version ({run.version ?? "draft"})</option>
          {run.workflowId && !run.workflowDeleted && (
            <option value="latest">The latest saved version</option>
          )}
          {(versions.data ?? [])
            .filter((v) => v.version !== run.version)
            .map((v) => (
              <option key={v.id} value={v.version}>
                {v.version}
                {v.message ? ` — ${v.message}` : ""}
              </option>
            ))}
        </SelectField>
      </div>

      {completedWrites.length > 0 && (
        <fieldset className="space-y-1.5" data-testid="replay-redo">
          <legend className="text-xs font-medium text-zinc-700">Completed writes</legend>
          <p className="text-xs text-zinc-500">
            Reused as they are unless you tick them: a ticked write calls the remote system again,
            with a new idempotency key.
          </p>
          {completedWrites.map((stepId) => (
            <label key={stepId} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={redo.includes(stepId)}
                onChange={(e) =>
                  setRedo((r) =>
                    e.target.checked ? [...r, stepId] : r.filter((x) => x !== stepId),
                  )
                }
                className="accent-accent-600"
              />
              <span>
                Do <span className="font-mono">{stepId}</span> again
              </span>
            </label>
          ))}
        </fieldset>
      )}

      <div className="space-y-1">
        <label htmlFor={`${id}-inputs`} className="block text-xs font-medium text-zinc-700">
          Inputs (JSON; edit to replay with other values)
        </label>
        <textarea
          id={`${id}-inputs`}
          rows={Math.min(10, Math.max(3, inputsText.split("\n").length))}
          spellCheck={false}
          value={inputsText}
          onChange={(e) => setInputsText(e.target.value)}
          aria-invalid={problem !== null}
          aria-describedby={`${id}-patch`}
          className={`${inputClass} font-mono text-xs`}
        />
        <div id={`${id}-patch`} className="text-xs">
          {problem ? (
            <p className="text-red-700">{problem}</p>
          ) : shownPatch.ok && shownPatch.patch.length > 0 ? (
            <>
              <p className="text-zinc-600">
                Sent as an RFC 6902 patch of {shownPatch.patch.length} operation
                {shownPatch.patch.length === 1 ? "" : "s"}:
              </p>
              <pre
                aria-label="Inputs patch of the replay"
                className="mt-1 max-h-32 overflow-auto rounded-md bg-zinc-50 p-2 font-mono text-[11px] text-zinc-800"
              >
                {JSON.stringify(shownPatch.patch, null, 2)}
              </pre>
            </>
          ) : (
            <p className="text-zinc-500">The run&apos;s inputs, unchanged.</p>
          )}
        </div>
        {inputsText !== original && (
          <Button size="sm" variant="ghost" onClick={() => setInputsText(original)}>
            Undo input edits
          </Button>
        )}
      </div>

      <div aria-live="polite" aria-busy={stale} className="space-y-2">
        {plan.error ? (
          <Alert tone="error" testId="replay-plan-error">
            The replay cannot be planned: {errorMessage(plan.error)}
          </Alert>
        ) : !shown ? (
          input && <p className="text-sm text-zinc-600">Planning the replay…</p>
        ) : (
          <>
            {redone.length > 0 && (
              <Alert tone="warning" testId="replay-redo-warning">
                <strong className="font-medium">
                  Writes done again: {redone.map((s) => s.id).join(", ")}.
                </strong>{" "}
                {redone.length === 1 ? "It" : "They"} completed in this run and will call the remote
                system again with a new idempotency key; approving the replay covers{" "}
                {redone.length === 1 ? "it" : "them"}.
              </Alert>
            )}
            {shown.warnings.length > 0 && (
              <Alert tone="warning" testId="replay-warnings">
                <p className="font-medium">
                  Read {shown.warnings.length === 1 ? "this warning" : "these warnings"} before you
                  ask:
                </p>
                <ul className="mt-1 list-disc space-y-0.5 pl-5">
                  {shown.warnings.map((w) => (
                    <li key={w}>{w}</li>
                  ))}
                </ul>
              </Alert>
            )}
            <div className={stale ? "opacity-60" : undefined}>
              {/* The warnings are shown above, where they cannot be missed. */}
              <ReplayPlanView plan={{ ...shown, warnings: [] }} titleId={`${id}-plan`} />
            </div>
          </>
        )}
      </div>

      {request.error && (
        <Alert tone="error" testId="replay-request-error">
          {errorMessage(request.error)}
        </Alert>
      )}
      <div className="flex items-center justify-end gap-2">
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
        <Button
          type="submit"
          variant="primary"
          disabled={!shown || stale || Boolean(plan.error) || !input}
          pending={request.isPending}
        >
          Request approval
        </Button>
      </div>
    </form>
  );
}
