"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useMemo, useState, type ReactNode } from "react";
import { studioRegistry } from "@/lib/studio/registry";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { NamedOptions } from "./sandbox-list";

/**
 * The three ways to add a dataset version (the Sandbox page's dataset detail): upload a CSV or
 * JSON Lines file, generate rows from a block's schema, record a flow's runs.
 */

/** The upload cap the server enforces (5 MB), checked here before the file is read. */
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

type CsvType = "string" | "number" | "boolean" | "json";

/** One of the add-rows forms: a titled box, its fields and button, and its error. */
function AddRowsForm({
  label,
  title,
  error,
  onSubmit,
  children,
}: {
  label: string;
  title: string;
  error: string | null | undefined;
  onSubmit: () => void;
  children: ReactNode;
}) {
  return (
    <form
      aria-label={label}
      noValidate
      className="space-y-2 rounded-md border border-zinc-200 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <h3 className="text-sm font-semibold">{title}</h3>
      {children}
      {error && <Alert tone="error">{error}</Alert>}
    </form>
  );
}

export type Added = (r: {
  created: boolean;
  skipped?: number;
  version: { id: string; version: number };
}) => Promise<void>;

/** `amount:number, active:boolean` -> column types (CSV only). */
function parseTypes(text: string): Record<string, CsvType> | string {
  const out: Record<string, CsvType> = {};
  for (const part of text.split(",")) {
    const t = part.trim();
    if (!t) continue;
    const m = /^(.+):\s*(string|number|boolean|json)$/.exec(t);
    if (!m) return `"${t}": write column:type, the type one of string, number, boolean, json.`;
    out[m[1]!.trim()] = m[2] as CsvType;
  }
  return out;
}

export function UploadForm({ datasetId, onAdded }: { datasetId: string; onAdded: Added }) {
  const trpc = useTRPC();
  const [file, setFile] = useState<File | null>(null);
  const [types, setTypes] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const upload = useMutation(trpc.dataset.upload.mutationOptions({ onSuccess: onAdded }));
  const format = file && /\.(jsonl|ndjson|json)$/i.test(file.name) ? "jsonl" : "csv";
  const errors = formErrors(upload.error);

  return (
    <AddRowsForm
      label="Upload a file"
      title="Upload"
      error={problem ?? errors.message ?? errors.fields.text?.[0]}
      onSubmit={async () => {
        setProblem(null);
        if (!file) return setProblem("Choose a CSV or JSON Lines file.");
        if (file.size > MAX_UPLOAD_BYTES) return setProblem("The file is larger than 5 MB.");
        const columnTypes = format === "csv" ? parseTypes(types) : {};
        if (typeof columnTypes === "string") return setProblem(columnTypes);
        upload.mutate({ datasetId, format, text: await file.text(), columnTypes });
      }}
    >
      <div className="space-y-1">
        <label htmlFor={`${datasetId}-file`} className="block text-xs font-medium text-zinc-700">
          CSV or JSON Lines file (at most 5 MB, 10,000 rows)
        </label>
        <input
          id={`${datasetId}-file`}
          type="file"
          accept=".csv,.jsonl,.ndjson,text/csv"
          className="block w-full text-xs"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </div>
      {format === "csv" && (
        <TextField
          label="Column types (CSV; optional)"
          placeholder="amount:number, active:boolean"
          hint="Other columns stay text."
          value={types}
          onChange={(e) => setTypes(e.target.value)}
          errors={errors.fields.columnTypes}
        />
      )}
      <Button type="submit" size="sm" pending={upload.isPending}>
        Upload {format === "jsonl" ? "JSON Lines" : "CSV"}
      </Button>
    </AddRowsForm>
  );
}

export function GenerateForm({ datasetId, onAdded }: { datasetId: string; onAdded: Added }) {
  const trpc = useTRPC();
  const blocks = useMemo(
    () =>
      studioRegistry()
        .list()
        .map((b) => b.id),
    [],
  );
  // A connector block makes a useful first example (its inputs look like CRM records).
  const [block, setBlock] = useState(
    blocks.includes("crm.contact.create") ? "crm.contact.create" : (blocks[0] ?? ""),
  );
  const [side, setSide] = useState<"input" | "output">("input");
  const [count, setCount] = useState("10");
  const [seed, setSeed] = useState("1");
  const generate = useMutation(trpc.dataset.generate.mutationOptions({ onSuccess: onAdded }));
  const errors = formErrors(generate.error);

  return (
    <AddRowsForm
      label="Generate rows"
      title="Generate from a block"
      error={errors.message ?? errors.fields.block?.[0]}
      onSubmit={() => {
        generate.mutate({ datasetId, block, side, count: Number(count), seed: Number(seed) });
      }}
    >
      <SelectField label="Block" value={block} onChange={(e) => setBlock(e.target.value)}>
        {blocks.map((b) => (
          <option key={b} value={b}>
            {b}
          </option>
        ))}
      </SelectField>
      <div className="grid grid-cols-3 gap-2">
        <SelectField
          label="Schema"
          value={side}
          onChange={(e) => setSide(e.target.value as "input" | "output")}
        >
          <option value="input">inputs</option>
          <option value="output">output</option>
        </SelectField>
        <TextField
          label="Rows"
          inputMode="numeric"
          value={count}
          onChange={(e) => setCount(e.target.value)}
          errors={errors.fields.count}
        />
        <TextField
          label="Seed"
          inputMode="numeric"
          value={seed}
          onChange={(e) => setSeed(e.target.value)}
          errors={errors.fields.seed}
        />
      </div>
      <Button type="submit" size="sm" pending={generate.isPending}>
        Generate
      </Button>
    </AddRowsForm>
  );
}

export function RecordForm({ datasetId, onAdded }: { datasetId: string; onAdded: Added }) {
  const trpc = useTRPC();
  const flows = useQuery(trpc.workflow.list.queryOptions({}));
  const [workflowId, setWorkflowId] = useState("");
  const [stepId, setStepId] = useState("");
  const [limit, setLimit] = useState("100");
  const record = useMutation(trpc.dataset.record.mutationOptions({ onSuccess: onAdded }));
  const errors = formErrors(record.error);
  const chosen = workflowId || flows.data?.[0]?.id || "";

  return (
    <AddRowsForm
      label="Record from runs"
      title="Record from runs"
      error={errors.message ?? errors.fields.workflowId?.[0]}
      onSubmit={() => {
        record.mutate({
          datasetId,
          workflowId: chosen,
          limit: Number(limit),
          ...(stepId.trim() ? { stepId: stepId.trim() } : {}),
        });
      }}
    >
      <SelectField label="Flow" value={chosen} onChange={(e) => setWorkflowId(e.target.value)}>
        <NamedOptions
          items={flows.data ?? []}
          empty={flows.data?.length === 0 ? "No flows yet" : undefined}
        />
      </SelectField>
      <div className="grid grid-cols-2 gap-2">
        <TextField
          label="Step (optional)"
          placeholder="the whole run"
          value={stepId}
          onChange={(e) => setStepId(e.target.value)}
          errors={errors.fields.stepId}
        />
        <TextField
          label="Latest runs"
          inputMode="numeric"
          value={limit}
          onChange={(e) => setLimit(e.target.value)}
          errors={errors.fields.limit}
        />
      </div>
      <p className="text-xs text-zinc-500">
        Succeeded runs&apos; inputs and output, with secrets and URL credentials redacted.
      </p>
      <Button type="submit" size="sm" pending={record.isPending} disabled={!chosen}>
        Record
      </Button>
    </AddRowsForm>
  );
}
