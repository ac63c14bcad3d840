"use client";

import type { ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { CommentField, useDecisionComment } from "./comment-field";

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
  hint = "Optional to approve, required to reject. Kept with the decision in the audit log.",
  approveLabel = "Approve",
  children,
}: {
  /** What is decided, for the buttons' accessible names: "step approve of run 1a2b3c4d". */
  subject: string;
  pending: boolean;
  serverErrors?: string[];
  onDecide: (decision: "approve" | "reject", comment: string) => void;
  /** The comment field's hint. */
  hint?: string;
  /** The approve button's text (its accessible name stays "Approve: <subject>"). */
  approveLabel?: ReactNode;
  /** More of the decision, between the comment and the buttons (a guardian fix's replay choice). */
  children?: ReactNode;
}) {
  const [comment, commentRef] = useDecisionComment();
  const decide = (decision: "approve" | "reject") => {
    const text = comment.checked(decision);
    if (text !== null) onDecide(decision, text);
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
      <CommentField
        comment={comment}
        inputRef={commentRef}
        hint={hint}
        serverErrors={serverErrors}
      />
      {children}
      <div className="flex gap-2">
        <Button
          type="submit"
          variant="primary"
          pending={pending}
          aria-label={`Approve: ${subject}`}
        >
          {approveLabel}
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
