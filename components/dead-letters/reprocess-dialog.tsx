"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";
import {
  DEFAULT_REPROCESS_FORM,
  reprocessInputOf,
  reprocessProblems,
  reprocessSummary,
  type DeadLetterFilter,
  type ReprocessForm,
} from "./dead-letter-view";

/** What is reprocessed: the selected dead letters, or every open one matching a filter. */
export type ReprocessTarget =
  { kind: "ids"; ids: string[] } | { kind: "filter"; filter: DeadLetterFilter; described: string };

/**
 * "Reprocess…": the canary, the rate and stop on failure, with what will be submitted for
 * approval spelled out; sends the request and says where it waits (the Approvals inbox).
 */
export function ReprocessDialog({
  target,
  onClose,
  onRequested,
}: {
  target: ReprocessTarget | null;
  onClose: () => void;
  onRequested: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<ReprocessForm>(DEFAULT_REPROCESS_FORM);
  const [tried, setTried] = useState(false);
  const request = useMutation(
    trpc.deadLetter.requestReprocess.mutationOptions({
      onSuccess: async () => {
        onRequested();
        await Promise.all([
          queryClient.invalidateQueries(trpc.deadLetter.jobs.pathFilter()),
          queryClient.invalidateQueries(trpc.approval.pathFilter()),
        ]);
      },
    }),
  );
  const close = () => {
    request.reset();
    setTried(false);
    setForm(DEFAULT_REPROCESS_FORM);
    onClose();
  };
  const problems = reprocessProblems(form);
  const server = formErrors(request.error);
  const what =
    target?.kind === "ids"
      ? `${target.ids.length} selected dead letter${target.ids.length === 1 ? "" : "s"}.`
      : target
        ? `Every open dead letter matching: ${target.described}.`
        : "";
  const valid = Object.keys(problems).length === 0;
  const summary = valid
    ? reprocessSummary(what, {
        canary: Number(form.canary),
        ratePerMinute: Number(form.ratePerMinute),
        stopOnFailure: form.stopOnFailure,
      })
    : null;
  const done = request.data;

  return (
    <Dialog
      open={target !== null}
      onClose={close}
      size="lg"
      title="Reprocess dead letters"
      description="A durable job, approval-gated like a replay: nothing runs until an approver approves it."
    >
      {done ? (
        <div className="space-y-3">
          <Alert tone="success" testId="reprocess-requested">
            Requested: a job of {done.job.progress.total} dead letter
            {done.job.progress.total === 1 ? "" : "s"} waits for approval.
          </Alert>
          <p className="text-sm text-zinc-700">
            An approver or admin other than you decides it in the{" "}
            <Link href="/approvals" className="text-accent-700 hover:underline">
              Approvals inbox
            </Link>
            ; its progress shows under Reprocess jobs below.
          </p>
          <div className="flex justify-end">
            <Button variant="primary" onClick={close}>
              Close
            </Button>
          </div>
        </div>
      ) : (
        <form
          className="space-y-3"
          aria-label="Reprocess"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            setTried(true);
            if (!target || !valid) return;
            request.mutate(
              reprocessInputOf(
                target.kind === "ids" ? { ids: target.ids } : { filter: target.filter },
                form,
              ),
            );
          }}
        >
          <div className="grid grid-cols-2 gap-3">
            <TextField
              label="Canary"
              inputMode="numeric"
              hint="How many go first, alone (0: no canary)."
              value={form.canary}
              errors={tried && problems.canary ? [problems.canary] : server.fields.canary}
              onChange={(e) => setForm({ ...form, canary: e.target.value })}
            />
            <TextField
              label="Rate (per minute)"
              inputMode="numeric"
              hint="Replay runs started per minute, at most."
              value={form.ratePerMinute}
              errors={
                tried && problems.ratePerMinute
                  ? [problems.ratePerMinute]
                  : server.fields.ratePerMinute
              }
              onChange={(e) => setForm({ ...form, ratePerMinute: e.target.value })}
            />
          </div>
          <label className="flex items-center gap-2 text-sm text-zinc-800">
            <input
              type="checkbox"
              checked={form.stopOnFailure}
              onChange={(e) => setForm({ ...form, stopOnFailure: e.target.checked })}
            />
            Stop on the first failure
          </label>
          {summary && (
            <section
              aria-label="What will be submitted for approval"
              className="rounded-md border border-zinc-200 bg-zinc-50 p-3"
            >
              <h3 className="text-xs font-semibold text-zinc-800">
                What will be submitted for approval
              </h3>
              <ul className="mt-1 list-disc space-y-0.5 pl-4 text-xs text-zinc-700">
                {summary.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </section>
          )}
          {(server.message || server.fields.ids || server.fields.filter) && (
            <Alert tone="error">
              {server.message ??
                [...(server.fields.ids ?? []), ...(server.fields.filter ?? [])].join(" ")}
            </Alert>
          )}
          <div className="flex justify-end gap-2">
            <Button variant="ghost" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" variant="primary" pending={request.isPending}>
              Request approval
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
