"use client";

import { useId, useRef, useState } from "react";
import type { JsonSchema } from "@/dsl";
import { InputForm } from "@/components/runs/input-form/input-form";
import type { InputLookup } from "@/components/runs/input-form/lookups";
import { useRunInputs } from "@/components/runs/input-form/use-run-inputs";
import { Button } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";
import { commentProblem } from "./approval-view";

const NO_LOOKUPS = new Map<string, InputLookup>();

const isSchema = (v: unknown): v is JsonSchema =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A `human.form` filled in from the inbox: the run form's generator builds the fields from the
 * form's JSON Schema (prefilled), checks the values as they are typed, and the server validates
 * them again on submit (its refusal shows next to the fields). The form may also be rejected,
 * with a comment, which fails the step.
 */
export function FormSubmission({
  subject,
  schema,
  prefill,
  pending,
  serverErrors,
  onSubmit,
  onReject,
}: {
  subject: string;
  schema: unknown;
  prefill: unknown;
  pending: boolean;
  serverErrors: { values?: string[]; comment?: string[] };
  onSubmit: (values: Record<string, unknown>, comment: string) => void;
  onReject: (comment: string) => void;
}) {
  const state = useRunInputs(isSchema(schema) ? schema : {}, prefill ?? undefined);
  const id = useId();
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const [comment, setComment] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const commentErrors = [...(problem ? [problem] : []), ...(serverErrors.comment ?? [])];
  return (
    <form
      aria-label={`Fill in: ${subject}`}
      className="space-y-3"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setProblem(null);
        const values = state.value();
        if (values) onSubmit(values, comment.trim());
      }}
    >
      <InputForm state={state} lookups={NO_LOOKUPS} serverErrors={serverErrors.values} />
      <div className="space-y-1">
        <label htmlFor={id} className="block text-xs font-medium text-zinc-700">
          Comment
        </label>
        <textarea
          id={id}
          ref={commentRef}
          rows={2}
          maxLength={2000}
          value={comment}
          onChange={(e) => {
            setComment(e.target.value);
            if (problem && e.target.value.trim()) setProblem(null);
          }}
          aria-invalid={commentErrors.length > 0}
          aria-describedby={`${id}-hint${commentErrors.length ? ` ${id}-error` : ""}`}
          className={inputClass}
        />
        <p id={`${id}-hint`} className="text-xs text-zinc-500">
          Optional to submit, required to reject the form (which fails the step).
        </p>
        {commentErrors.length > 0 && (
          <p id={`${id}-error`} role="alert" className="text-xs text-red-700">
            {commentErrors.join(" ")}
          </p>
        )}
      </div>
      <div className="flex gap-2">
        <Button type="submit" variant="primary" pending={pending} aria-label={`Submit: ${subject}`}>
          Submit
        </Button>
        <Button
          variant="danger"
          pending={pending}
          aria-label={`Reject: ${subject}`}
          onClick={() => {
            const p = commentProblem("reject", comment);
            setProblem(p);
            if (p) commentRef.current?.focus();
            else onReject(comment.trim());
          }}
        >
          Reject
        </Button>
      </div>
    </form>
  );
}
