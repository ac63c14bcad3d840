"use client";

import { useState, type FormEvent } from "react";
import type { FlowTemplate, TemplateId } from "@/dsl";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";

export interface WorkflowFormValues {
  name: string;
  description: string;
  /** Initial flow text: an imported file's (create only). */
  dsl?: string;
  /** A template to start from (create only): the server adapts it to the workspace. */
  template?: TemplateId;
}

/**
 * A template as the "Start from" list offers it. The page hands these over from the server, so
 * the list page does not ship the compiler and the templates' texts to the browser.
 */
export type TemplateChoice = Pick<FlowTemplate, "id" | "title" | "summary">;

/**
 * Create or rename a workflow. The caller runs the mutation; on error the dialog stays open with
 * what the user typed and shows the server's messages next to the fields.
 */
export function WorkflowFormDialog({
  open,
  mode,
  templates = [],
  initial,
  pending,
  error,
  onSubmit,
  onClose,
}: {
  open: boolean;
  mode: "create" | "rename";
  /** The templates to start from (create). */
  templates?: readonly TemplateChoice[];
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
          ? "Start empty, from a template, or import a .flow.yaml file."
          : "The name is shown in the studio, runs and the audit ledger."
      }
    >
      {/* Remounted per opening so each starts from `initial`. */}
      {open && (
        <WorkflowForm
          mode={mode}
          templates={templates}
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
  templates,
  initial,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  mode: "create" | "rename";
  templates: readonly TemplateChoice[];
  initial: WorkflowFormValues;
  pending: boolean;
  error: unknown;
  onSubmit: (values: WorkflowFormValues) => void;
  onCancel: () => void;
}) {
  const [values, setValues] = useState(initial);
  const [template, setTemplate] = useState("");
  const [imported, setImported] = useState<{ name: string; text: string } | null>(null);
  const errors = formErrors(error);
  function submit(e: FormEvent) {
    e.preventDefault();
    const t = templates.find((x) => x.id === template);
    // An imported file is kept exactly as it is, errors included: it opens with its diagnostics.
    // A template is named after the workflow and adapted to the workspace by the server.
    onSubmit(
      imported ? { ...values, dsl: imported.text } : t ? { ...values, template: t.id } : values,
    );
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
      {mode === "create" && (
        <>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Start from</span>
            <select
              value={template}
              onChange={(e) => setTemplate(e.target.value)}
              disabled={imported !== null}
              className="h-9 w-full rounded-md border border-zinc-300 bg-white px-2 text-sm"
            >
              <option value="">Empty flow (manual trigger, no steps)</option>
              {templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.title}: {t.summary}
                </option>
              ))}
            </select>
          </label>
          <label className="block text-sm">
            <span className="mb-1 block font-medium">Or import a .flow.yaml file</span>
            <input
              type="file"
              accept=".yaml,.yml,.json,application/yaml,text/yaml"
              className="block w-full text-xs"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                if (!f) return setImported(null);
                const text = await f.text();
                setImported({ name: f.name, text });
                if (!values.name) {
                  const base = f.name.replace(/\.flow\.ya?ml$|\.ya?ml$|\.json$/i, "");
                  setValues((v) => ({ ...v, name: base.slice(0, 80) }));
                }
              }}
            />
            {imported && (
              <span className="mt-1 block text-xs text-zinc-600">
                {imported.name}: {imported.text.length.toLocaleString()} characters, imported as is.
              </span>
            )}
          </label>
        </>
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
