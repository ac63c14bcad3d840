"use client";

import type { JsonSchema } from "@/dsl";
import { InputForm } from "@/components/runs/input-form/input-form";
import type { InputLookup } from "@/components/runs/input-form/lookups";
import { useRunInputs } from "@/components/runs/input-form/use-run-inputs";
import { Button } from "@/components/ui/button";
import { CommentField, useDecisionComment } from "./comment-field";

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
  const [comment, commentRef] = useDecisionComment();
  return (
    <form
      aria-label={`Fill in: ${subject}`}
      className="space-y-3"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        comment.clearProblem();
        const values = state.value();
        if (values) onSubmit(values, comment.text.trim());
      }}
    >
      <InputForm state={state} lookups={NO_LOOKUPS} serverErrors={serverErrors.values} />
      <CommentField
        comment={comment}
        inputRef={commentRef}
        hint="Optional to submit, required to reject the form (which fails the step)."
        serverErrors={serverErrors.comment}
      />
      <div className="flex gap-2">
        <Button type="submit" variant="primary" pending={pending} aria-label={`Submit: ${subject}`}>
          Submit
        </Button>
        <Button
          variant="danger"
          pending={pending}
          aria-label={`Reject: ${subject}`}
          onClick={() => {
            const text = comment.checked("reject");
            if (text !== null) onReject(text);
          }}
        >
          Reject
        </Button>
      </div>
    </form>
  );
}
