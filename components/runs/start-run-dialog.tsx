"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { inputClass, SelectField } from "@/components/ui/field";

const LATEST = "__latest";
const DRAFT = "__draft";

/**
 * "Run a flow": pick a workflow and what to run (its latest version, the draft, or a version),
 * type the inputs as JSON, start; the server checks the inputs against the flow's schema and its
 * errors are shown by the field. On success the run opens.
 */
export function StartRunDialog({
  open,
  onClose,
  initialWorkflowId,
}: {
  open: boolean;
  onClose: () => void;
  initialWorkflowId?: string;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const inputsId = useId();
  const [workflowId, setWorkflowId] = useState(initialWorkflowId ?? "");
  const [which, setWhich] = useState(LATEST);
  const [text, setText] = useState("{}");
  const [jsonError, setJsonError] = useState<string | null>(null);
  const workflows = useQuery({ ...trpc.workflow.list.queryOptions(), enabled: open });
  const versions = useQuery({
    ...trpc.workflow.listVersions.queryOptions({ id: workflowId }),
    enabled: open && Boolean(workflowId),
  });
  const start = useMutation(
    trpc.run.start.mutationOptions({
      onSuccess: async (run) => {
        await queryClient.invalidateQueries(trpc.run.list.pathFilter());
        onClose();
        router.push(`/runs/${run.id}`);
      },
    }),
  );
  const errors = formErrors(start.error);
  const inputErrors = [...(jsonError ? [jsonError] : []), ...(errors.fields.inputs ?? [])];
  const inputsErrorId = `${inputsId}-error`;

  const submit = () => {
    setJsonError(null);
    let inputs: unknown;
    try {
      inputs = JSON.parse(text.trim() || "{}");
    } catch (e) {
      setJsonError(`Not valid JSON: ${(e as Error).message}`);
      return;
    }
    if (!inputs || typeof inputs !== "object" || Array.isArray(inputs)) {
      setJsonError('The inputs must be a JSON object, e.g. { "amount": 10 }.');
      return;
    }
    start.mutate({
      workflowId,
      inputs: inputs as Record<string, unknown>,
      draft: which === DRAFT,
      version: which !== DRAFT && which !== LATEST ? which : undefined,
    });
  };

  return (
    <Dialog open={open} onClose={onClose} title="Run a flow">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <SelectField
          label="Workflow"
          value={workflowId}
          required
          errors={errors.fields.workflowId}
          onChange={(e) => {
            setWorkflowId(e.target.value);
            setWhich(LATEST);
          }}
        >
          <option value="" disabled>
            {workflows.isPending ? "Loading…" : "Choose a workflow"}
          </option>
          {workflows.data?.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="What to run"
          value={which}
          disabled={!workflowId}
          errors={errors.fields.version}
          onChange={(e) => setWhich(e.target.value)}
        >
          <option value={LATEST}>Latest version (the draft when none is saved)</option>
          <option value={DRAFT}>Current draft</option>
          {versions.data?.map((v) => (
            <option key={v.version} value={v.version}>
              Version {v.version}
            </option>
          ))}
        </SelectField>
        <div className="space-y-1">
          <label htmlFor={inputsId} className="block text-xs font-medium text-zinc-700">
            Inputs (JSON)
          </label>
          <textarea
            id={inputsId}
            rows={5}
            spellCheck={false}
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-invalid={inputErrors.length > 0}
            aria-describedby={inputErrors.length ? inputsErrorId : undefined}
            className={`${inputClass} font-mono text-xs`}
          />
          {inputErrors.length > 0 && (
            <p id={inputsErrorId} className="text-xs text-red-700">
              {inputErrors.join(" ")}
            </p>
          )}
        </div>
        {errors.message && <Alert tone="error">{errors.message}</Alert>}
        <div className="flex justify-end gap-2">
          <Button variant="ghost" onClick={onClose}>
            Close
          </Button>
          <Button type="submit" variant="primary" pending={start.isPending} disabled={!workflowId}>
            Start run
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
