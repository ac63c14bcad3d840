"use client";

import { useId, useState } from "react";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { inputClass } from "@/components/ui/field";
import { BREAK_GLASS_NEEDS_REASON } from "./approval-view";
import { useBreakGlass } from "./use-approvals";

/**
 * An admin's break glass: decides the approval alone, past the approvers and the quorum, with a
 * reason. Its own action, never the normal approve button: it is flagged in the ledger and on
 * the Audit page, and the server refuses it on the admin's own request.
 */
export function BreakGlassDialog({
  open,
  onClose,
  approvalId,
  subject,
  onDone,
}: {
  open: boolean;
  onClose: () => void;
  approvalId: string;
  subject: string;
  onDone: (decision: "approve" | "reject") => void;
}) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Break glass"
      description={
        <>
          Decide <strong className="font-medium text-zinc-800">{subject}</strong> alone, without the
          approvers or the quorum. The decision is flagged as break glass in the audit log, with
          your reason. Not allowed on a request of your own.
        </>
      }
    >
      <BreakGlassForm approvalId={approvalId} onClose={onClose} onDone={onDone} />
    </Dialog>
  );
}

function BreakGlassForm({
  approvalId,
  onClose,
  onDone,
}: {
  approvalId: string;
  onClose: () => void;
  onDone: (decision: "approve" | "reject") => void;
}) {
  const id = useId();
  const [decision, setDecision] = useState<"approve" | "reject">("approve");
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const breakGlass = useBreakGlass();
  const server = formErrors(breakGlass.error);
  const reasonErrors = [...(problem ? [problem] : []), ...(server.fields.reason ?? [])];
  const otherErrors = Object.entries(server.fields)
    .filter(([k]) => k !== "reason")
    .flatMap(([, v]) => v);
  return (
    <form
      className="space-y-3"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!reason.trim()) {
          setProblem(BREAK_GLASS_NEEDS_REASON);
          return;
        }
        setProblem(null);
        breakGlass.mutate(
          { id: approvalId, decision, reason: reason.trim() },
          {
            onSuccess: () => {
              onDone(decision);
              onClose();
            },
          },
        );
      }}
    >
      <fieldset className="space-y-1">
        <legend className="text-xs font-medium text-zinc-700">Decision</legend>
        {(["approve", "reject"] as const).map((d) => (
          <label key={d} className="flex items-center gap-2 text-sm">
            <input
              type="radio"
              name={`${id}-decision`}
              value={d}
              checked={decision === d}
              onChange={() => setDecision(d)}
              className="accent-accent-600"
            />
            {d === "approve" ? "Approve" : "Reject"}
          </label>
        ))}
      </fieldset>
      <div className="space-y-1">
        <label htmlFor={id} className="block text-xs font-medium text-zinc-700">
          Reason (required)
        </label>
        <textarea
          id={id}
          rows={3}
          maxLength={2000}
          required
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          aria-invalid={reasonErrors.length > 0}
          aria-describedby={reasonErrors.length ? `${id}-error` : undefined}
          className={inputClass}
        />
        {reasonErrors.length > 0 && (
          <p id={`${id}-error`} className="text-xs text-red-700">
            {reasonErrors.join(" ")}
          </p>
        )}
      </div>
      {(server.message || otherErrors.length > 0) && (
        <Alert tone="error" testId="break-glass-error">
          {server.message ?? otherErrors.join(" ")}
        </Alert>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" variant="danger" pending={breakGlass.isPending}>
          Break glass: {decision === "approve" ? "approve" : "reject"}
        </Button>
      </div>
    </form>
  );
}
