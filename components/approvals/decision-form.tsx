"use client";

import { useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";
import { commentProblem } from "./approval-view";

/**
 * Approve or reject with a comment. The comment is optional to approve and required to reject:
 * the label says so before anything is sent, and a rejection without one is stopped here with
 * the reason next to the field (the server refuses it too). `serverErrors` are the server's
 * messages about the comment.
 */
export function DecisionForm({
  subject,
  pending,
  serverErrors,
  onDecide,
}: {
  /** What is decided, for the buttons' accessible names: "step approve of run 1a2b3c4d". */
  subject: string;
  pending: boolean;
  serverErrors?: string[];
  onDecide: (decision: "approve" | "reject", comment: string) => void;
}) {
  const id = useId();
  const ref = useRef<HTMLTextAreaElement>(null);
  const [comment, setComment] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const errors = [...(problem ? [problem] : []), ...(serverErrors ?? [])];
  const decide = (decision: "approve" | "reject") => {
    const p = commentProblem(decision, comment);
    setProblem(p);
    if (p) {
      ref.current?.focus();
      return;
    }
    onDecide(decision, comment.trim());
  };
  return (
    <form
      aria-label={`Decide: ${subject}`}
      className="space-y-2"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        decide("approve");
      }}
    >
      <label htmlFor={id} className="block text-xs font-medium text-zinc-700">
        Comment
      </label>
      <textarea
        id={id}
        ref={ref}
        rows={2}
        maxLength={2000}
        value={comment}
        onChange={(e) => {
          setComment(e.target.value);
          if (problem && e.target.value.trim()) setProblem(null);
        }}
        aria-invalid={errors.length > 0}
        aria-describedby={`${id}-hint${errors.length ? ` ${id}-error` : ""}`}
        className={inputClass}
      />
      <p id={`${id}-hint`} className="text-xs text-zinc-500">
        Optional to approve, required to reject. Kept with the decision in the audit log.
      </p>
      {errors.length > 0 && (
        <p id={`${id}-error`} role="alert" className="text-xs text-red-700">
          {errors.join(" ")}
        </p>
      )}
      <div className="flex gap-2">
        <Button
          type="submit"
          variant="primary"
          pending={pending}
          aria-label={`Approve: ${subject}`}
        >
          Approve
        </Button>
        <Button
          variant="danger"
          pending={pending}
          aria-label={`Reject: ${subject}`}
          onClick={() => decide("reject")}
        >
          Reject
        </Button>
      </div>
    </form>
  );
}
