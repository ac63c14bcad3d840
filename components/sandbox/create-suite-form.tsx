"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { inputClass, SelectField, TextField } from "@/components/ui/field";
import {
  DatasetVersionFields,
  useResolvedVersion,
  type DatasetVersionChoice,
} from "./dataset-version-fields";

const AGENT_BLOCKS = [
  "agent.classify",
  "agent.extract",
  "agent.summarize",
  "agent.draft",
  "agent.route",
] as const;

/** Starting points of the JSON fields, for an agent.classify suite. */
const EXAMPLE_WITH = `{ "labels": ["billing", "technical", "sales"] }`;
const EXAMPLE_INPUT_MAP = `{ "text": "text" }`;
const EXAMPLE_ASSERTIONS = `[
  { "kind": "exact", "path": "label", "expected": { "column": "expected" } },
  { "kind": "json_schema", "schema": { "type": "object", "required": ["label", "confidence"] } }
]`;

/** Parses an optional JSON field; an error message names the field. */
function parseJson(text: string, field: string): { value?: unknown; error?: string } {
  if (text.trim() === "") return {};
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `${field} is not valid JSON: ${(e as Error).message}` };
  }
}

function JsonArea({
  label,
  value,
  onChange,
  hint,
  rows = 4,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  hint?: string;
  rows?: number;
}) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-700">
        {label}
      </label>
      <textarea
        id={id}
        rows={rows}
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className={`${inputClass} font-mono text-xs`}
      />
      {hint && <p className="text-xs text-zinc-500">{hint}</p>}
    </div>
  );
}

/** The form that creates a suite (editors). */
export function CreateSuiteForm({ onCreated }: { onCreated: (id: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workflows = useQuery(trpc.workflow.list.queryOptions({}));
  const [name, setName] = useState("");
  const [dataset, setDataset] = useState<DatasetVersionChoice>({ datasetId: "", versionId: "" });
  const [kind, setKind] = useState<"block" | "flow">("block");
  const [block, setBlock] = useState<(typeof AGENT_BLOCKS)[number]>("agent.classify");
  const [workflowId, setWorkflowId] = useState("");
  const [withText, setWithText] = useState(EXAMPLE_WITH);
  const [inputMapText, setInputMapText] = useState(EXAMPLE_INPUT_MAP);
  const [assertionsText, setAssertionsText] = useState(EXAMPLE_ASSERTIONS);
  const [repetitions, setRepetitions] = useState("3");
  const [steers, setSteers] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const create = useMutation(
    trpc.evalSuite.create.mutationOptions({
      onSuccess: async (s) => {
        setName("");
        onCreated(s.id);
        await queryClient.invalidateQueries(trpc.evalSuite.pathFilter());
      },
    }),
  );
  const errors = formErrors(create.error);
  const chosenVersion = useResolvedVersion(dataset);

  return (
    <form
      aria-label="Create an evaluation suite"
      noValidate
      className="space-y-3 rounded-lg border border-zinc-200 bg-white p-3"
      onSubmit={(e) => {
        e.preventDefault();
        setLocalError(null);
        const w = parseJson(withText, "Fixed inputs");
        const m = parseJson(inputMapText, "Input map");
        const a = parseJson(assertionsText, "Assertions");
        const bad = w.error ?? m.error ?? a.error;
        if (bad) return setLocalError(bad);
        if (!chosenVersion) return setLocalError("Pick a dataset with at least one version.");
        create.mutate({
          name,
          datasetVersionId: chosenVersion,
          target:
            kind === "block"
              ? { kind, block, with: (w.value ?? {}) as Record<string, unknown> }
              : { kind, workflowId },
          ...(m.value !== undefined ? { inputMap: m.value as Record<string, string> } : {}),
          assertions: (a.value ?? []) as never,
          repetitions: Number(repetitions),
          steersRouter: kind === "block" && steers,
        });
      }}
    >
      <div className="grid grid-cols-4 gap-3">
        <TextField
          label="Suite name"
          placeholder="Ticket triage"
          value={name}
          onChange={(e) => setName(e.target.value)}
          errors={errors.fields.name}
        />
        <DatasetVersionFields
          value={dataset}
          onChange={setDataset}
          none="Choose…"
          errors={errors.fields.datasetVersionId}
        />
        <TextField
          label="Repetitions per row"
          inputMode="numeric"
          value={repetitions}
          onChange={(e) => setRepetitions(e.target.value)}
          errors={errors.fields.repetitions}
          hint="3 to 10"
        />
      </div>
      <div className="grid grid-cols-4 gap-3">
        <SelectField
          label="Runs against"
          value={kind}
          onChange={(e) => setKind(e.target.value as "block" | "flow")}
        >
          <option value="block">One agent block</option>
          <option value="flow">A flow</option>
        </SelectField>
        {kind === "block" ? (
          <SelectField
            label="Agent block"
            value={block}
            onChange={(e) => setBlock(e.target.value as (typeof AGENT_BLOCKS)[number])}
          >
            {AGENT_BLOCKS.map((b) => (
              <option key={b}>{b}</option>
            ))}
          </SelectField>
        ) : (
          <SelectField
            label="Flow"
            value={workflowId}
            onChange={(e) => setWorkflowId(e.target.value)}
            errors={errors.fields.target}
          >
            <option value="">Choose…</option>
            {workflows.data?.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </SelectField>
        )}
        {kind === "block" && (
          <label className="col-span-2 mt-6 flex items-center gap-1.5 text-xs text-zinc-700">
            <input type="checkbox" checked={steers} onChange={(e) => setSteers(e.target.checked)} />
            Let this suite&apos;s results steer the model router for {block}
          </label>
        )}
      </div>
      <div className="grid grid-cols-3 gap-3">
        {kind === "block" && (
          <JsonArea
            label="Fixed inputs (JSON)"
            value={withText}
            onChange={setWithText}
            hint="Inputs every row gets; the row's mapped columns win."
          />
        )}
        <JsonArea
          label="Input map (JSON, optional)"
          value={inputMapText}
          onChange={setInputMapText}
          hint="Input name → dataset column. Empty: the whole row is the inputs."
        />
        <JsonArea
          label="Assertions (JSON)"
          value={assertionsText}
          onChange={setAssertionsText}
          rows={6}
          hint="kinds: exact, contains, json_schema, numeric (tolerance, relative), rubric (model-graded). expected: { value } or { column }."
        />
      </div>
      {(localError || errors.message || errors.fields.assertions || errors.fields.inputMap) && (
        <Alert tone="error">
          {localError ??
            errors.message ??
            [...(errors.fields.assertions ?? []), ...(errors.fields.inputMap ?? [])].join(" ")}
        </Alert>
      )}
      <Button type="submit" variant="primary" pending={create.isPending}>
        Create suite
      </Button>
    </form>
  );
}
