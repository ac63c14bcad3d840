"use client";

import { useState, type FormEvent } from "react";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";

export interface WorkflowFormValues {
  name: string;
  description: string;
}

/**
 * Create or rename a workflow. The caller runs the mutation; on error the dialog stays open with
 * what the user typed and shows the server's messages next to the fields.
 */
export function WorkflowFormDialog({
  open,
  mode,
  initial,
  pending,
  error,
  onSubmit,
  onClose,
}: {
  open: boolean;
  mode: "create" | "rename";
  initial?: WorkflowFormValues;
  pending: boolean;
  error: unknown;
  onSubmit: (values: WorkflowFormValues) => void;
  onClose: () => void;
}) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={mode === "create" ? "New workflow" : "Rename workflow"}
      description={
        mode === "create"
          ? "Starts as a draft with a manual trigger and no steps."
          : "The name is shown in the studio, runs and the audit ledger."
      }
    >
      {/* Remounted per opening so each starts from `initial`. */}
      {open && (
        <WorkflowForm
          mode={mode}
          initial={initial ?? { name: "", description: "" }}
          pending={pending}
          error={error}
          onSubmit={onSubmit}
          onCancel={onClose}
        />
      )}
    </Dialog>
  );
}

function WorkflowForm({
  mode,
  initial,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  mode: "create" | "rename";
  initial: WorkflowFormValues;
  pending: boolean;
  error: unknown;
  onSubmit: (values: WorkflowFormValues) => void;
  onCancel: () => void;
}) {
  const [values, setValues] = useState(initial);
  const errors = formErrors(error);
  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit(values);
  }
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      <TextField
        label="Name"
        value={values.name}
        onChange={(e) => setValues((v) => ({ ...v, name: e.target.value }))}
        errors={errors.fields.name}
        autoFocus
        maxLength={80}
      />
      {mode === "create" && (
        <TextField
          label="Description (optional)"
          value={values.description}
          onChange={(e) => setValues((v) => ({ ...v, description: e.target.value }))}
          errors={errors.fields.description}
          maxLength={500}
        />
      )}
      <div className="flex justify-end gap-2">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" pending={pending}>
          {mode === "create" ? "Create workflow" : "Save name"}
        </Button>
      </div>
    </form>
  );
}
