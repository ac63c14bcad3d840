"use client";

import { useId, useRef, useState } from "react";
import { inputClass } from "@/components/ui/field";
import { commentProblem, type Decision } from "./approval-view";

/**
 * A decision's comment: its text and the check a decision makes before it is sent; and the ref
 * its field takes (focused when the check fails).
 */
export function useDecisionComment() {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const comment = {
    text,
    problem,
    onChange(value: string) {
      setText(value);
      if (problem && value.trim()) setProblem(null);
    },
    /**
     * The trimmed comment when `decision` may be sent with it; otherwise null, with the reason
     * shown next to the field and the field focused (a rejection needs a comment).
     */
    checked(decision: Decision): string | null {
      const p = commentProblem(decision, text);
      setProblem(p);
      if (p) {
        ref.current?.focus();
        return null;
      }
      return text.trim();
    },
    clearProblem: () => setProblem(null),
  };
  return [comment, ref] as const;
}

type DecisionComment = ReturnType<typeof useDecisionComment>[0];

/**
 * The comment field of a decision (approve or reject, submit or reject a form): labelled, with
 * its hint, and the problems — this form's and the server's — announced next to it.
 */
export function CommentField({
  comment,
  inputRef,
  hint,
  serverErrors,
}: {
  comment: DecisionComment;
  inputRef: ReturnType<typeof useDecisionComment>[1];
  hint: string;
  serverErrors?: string[];
}) {
  const id = useId();
  const errors = [...(comment.problem ? [comment.problem] : []), ...(serverErrors ?? [])];
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-700">
        Comment
      </label>
      <textarea
        id={id}
        ref={inputRef}
        rows={2}
        maxLength={2000}
        value={comment.text}
        onChange={(e) => comment.onChange(e.target.value)}
        aria-invalid={errors.length > 0}
        aria-describedby={`${id}-hint${errors.length ? ` ${id}-error` : ""}`}
        className={inputClass}
      />
      <p id={`${id}-hint`} className="text-xs text-zinc-500">
        {hint}
      </p>
      {errors.length > 0 && (
        <p id={`${id}-error`} role="alert" className="text-xs text-red-700">
          {errors.join(" ")}
        </p>
      )}
    </div>
  );
}
