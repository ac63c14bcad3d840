"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { formatDateTime } from "@/lib/format";
import { studioRegistry } from "@/lib/studio/registry";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";

/** The upload cap the server enforces (5 MB), checked here before the file is read. */
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
const PAGE = 25;

type Row = Record<string, unknown>;
type CsvType = "string" | "number" | "boolean" | "json";

/**
 * The Sandbox page's datasets: create one, add versions (upload a CSV or JSON Lines file,
 * generate rows from a block's schema, record a flow's runs), browse a version's rows, diff two
 * versions, archive, and start a session whose mocks are seeded from a version.
 */
export function DatasetsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor");
  const [includeArchived, setIncludeArchived] = useState(false);
  const datasets = useQuery(trpc.dataset.list.queryOptions({ includeArchived }));
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation(
    trpc.dataset.create.mutationOptions({
      onSuccess: async (d) => {
        setName("");
        setDescription("");
        setSelected(d.id);
        await queryClient.invalidateQueries(trpc.dataset.pathFilter());
      },
    }),
  );
  const errors = formErrors(create.error);
  const current = datasets.data?.find((d) => d.id === selected) ?? null;

  return (
    <div className="space-y-6">
      {canEdit ? (
        <form
          aria-label="Create a dataset"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ name, description });
          }}
          className="grid grid-cols-[16rem_1fr_auto] items-start gap-3 rounded-lg border border-zinc-200 bg-white p-3"
        >
          <TextField
            label="Dataset name"
            placeholder="Renewal contacts"
            value={name}
            onChange={(e) => setName(e.target.value)}
            errors={errors.fields.name}
          />
          <TextField
            label="Description (optional)"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            errors={errors.fields.description}
          />
          <Button type="submit" variant="primary" className="mt-5" pending={create.isPending}>
            Create dataset
          </Button>
          {errors.message && (
            <Alert tone="error" className="col-span-3">
              {errors.message}
            </Alert>
          )}
        </form>
      ) : (
        <p className="text-sm text-zinc-600">
          Only editors and admins create and change datasets; you can browse and compare them.
        </p>
      )}

      <section aria-labelledby="datasets-heading" className="space-y-2">
        <div className="flex items-center justify-between">
          <h2 id="datasets-heading" className="text-sm font-semibold">
            Datasets
          </h2>
          <label className="flex items-center gap-1.5 text-xs text-zinc-600">
            <input
              type="checkbox"
              checked={includeArchived}
              onChange={(e) => setIncludeArchived(e.target.checked)}
            />
            Show archived
          </label>
        </div>
        {datasets.isPending ? (
          <p className="text-sm text-zinc-500">Loading datasets…</p>
        ) : datasets.error ? (
          <Alert tone="error">{errorMessage(datasets.error)}</Alert>
        ) : datasets.data.length === 0 ? (
          <p className="text-sm text-zinc-600">
            No datasets yet. A dataset holds rows in immutable versions: upload a CSV or JSON Lines
            file, generate rows from a block, or record them from a flow&apos;s runs.
          </p>
        ) : (
          <Table label="Datasets">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Versions</Th>
                <Th>Latest</Th>
                <Th>Created</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {datasets.data.map((d) => (
                <tr key={d.id} className={d.id === selected ? "bg-accent-50" : ""}>
                  <Td className="font-medium">
                    {d.name} {d.archivedAt && <Badge tone="neutral">archived</Badge>}
                  </Td>
                  <Td>{d.versionCount}</Td>
                  <Td className="text-zinc-600">
                    {d.latest ? `v${d.latest.version} · ${d.latest.rowCount} rows` : "—"}
                  </Td>
                  <Td className="text-zinc-600">{formatDateTime(d.createdAt)}</Td>
                  <Td className="text-right">
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`Open dataset ${d.name}`}
                      onClick={() => setSelected(d.id === selected ? null : d.id)}
                    >
                      {d.id === selected ? "Hide" : "Open"}
                    </Button>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>

      {current && <DatasetDetail key={current.id} dataset={current} />}
    </div>
  );
}

interface DatasetSummary {
  id: string;
  name: string;
  description: string;
  archivedAt: Date | string | null;
}

function DatasetDetail({ dataset }: { dataset: DatasetSummary }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor") && !dataset.archivedAt;
  const versions = useQuery(trpc.dataset.versions.queryOptions({ datasetId: dataset.id }));
  const [browsing, setBrowsing] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.dataset.pathFilter());
  const archive = useMutation(trpc.dataset.archive.mutationOptions({ onSuccess: refresh }));
  const [notice, setNotice] = useState<string | null>(null);
  const added = async (r: {
    created: boolean;
    skipped?: number;
    version: { id: string; version: number };
  }) => {
    setBrowsing(r.version.id);
    setNotice(
      r.created
        ? `Version ${r.version.version} added${r.skipped ? ` (${r.skipped} rows over the size cap left out)` : ""}.`
        : `These rows are version ${r.version.version} already: nothing new was stored.`,
    );
    await refresh();
  };
  const shown = browsing ?? versions.data?.[0]?.id ?? null;

  return (
    <section
      aria-label={`Dataset ${dataset.name}`}
      className="space-y-5 rounded-lg border border-zinc-200 bg-white p-4"
    >
      <div className="flex items-start justify-between gap-3">
        <div>
          <h2 className="text-sm font-semibold">{dataset.name}</h2>
          {dataset.description && <p className="text-xs text-zinc-600">{dataset.description}</p>}
        </div>
        {canEdit && (
          <Button
            size="sm"
            variant="danger"
            pending={archive.isPending}
            onClick={() => {
              if (window.confirm(`Archive ${dataset.name}? It takes no new versions afterwards.`))
                archive.mutate({ id: dataset.id });
            }}
          >
            Archive
          </Button>
        )}
      </div>
      {archive.error && <Alert tone="error">{errorMessage(archive.error)}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}

      {canEdit && (
        <div className="grid gap-4 lg:grid-cols-3">
          <UploadForm datasetId={dataset.id} onAdded={added} />
          <GenerateForm datasetId={dataset.id} onAdded={added} />
          <RecordForm datasetId={dataset.id} onAdded={added} />
        </div>
      )}

      <div className="space-y-2">
        <h3 className="text-sm font-semibold">Versions</h3>
        {versions.isPending ? (
          <p className="text-sm text-zinc-500">Loading versions…</p>
        ) : versions.error ? (
          <Alert tone="error">{errorMessage(versions.error)}</Alert>
        ) : versions.data.length === 0 ? (
          <p className="text-sm text-zinc-600">No versions yet: add rows above.</p>
        ) : (
          <Table label="Dataset versions">
            <thead>
              <tr>
                <Th>Version</Th>
                <Th>Rows</Th>
                <Th>Source</Th>
                <Th>Hash</Th>
                <Th>Created</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {versions.data.map((v) => (
                <tr key={v.id} className={v.id === shown ? "bg-accent-50" : ""}>
                  <Td className="font-medium">v{v.version}</Td>
                  <Td>{v.rowCount}</Td>
                  <Td className="text-zinc-600">
                    {v.source}
                    {v.sourceRef ? ` · ${v.sourceRef}` : ""}
                  </Td>
                  <Td className="font-mono text-xs" title={v.hash}>
                    {v.hash.slice(0, 12)}
                  </Td>
                  <Td className="text-zinc-600">{formatDateTime(v.createdAt)}</Td>
                  <Td className="text-right">
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`Browse version ${v.version}`}
                      onClick={() => setBrowsing(v.id)}
                    >
                      Browse
                    </Button>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </div>

      {shown && versions.data && (
        <RowsBrowser
          key={shown}
          versionId={shown}
          version={versions.data.find((v) => v.id === shown)?.version ?? 0}
          datasetName={dataset.name}
        />
      )}
      {versions.data && versions.data.length >= 2 && (
        <DiffView versions={versions.data.map((v) => ({ id: v.id, version: v.version }))} />
      )}
    </section>
  );
}

type Added = (r: {
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

function UploadForm({ datasetId, onAdded }: { datasetId: string; onAdded: Added }) {
  const trpc = useTRPC();
  const [file, setFile] = useState<File | null>(null);
  const [types, setTypes] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const upload = useMutation(trpc.dataset.upload.mutationOptions({ onSuccess: onAdded }));
  const format = file && /\.(jsonl|ndjson|json)$/i.test(file.name) ? "jsonl" : "csv";
  const errors = formErrors(upload.error);

  return (
    <form
      aria-label="Upload a file"
      noValidate
      className="space-y-2 rounded-md border border-zinc-200 p-3"
      onSubmit={async (e) => {
        e.preventDefault();
        setProblem(null);
        if (!file) return setProblem("Choose a CSV or JSON Lines file.");
        if (file.size > MAX_UPLOAD_BYTES) return setProblem("The file is larger than 5 MB.");
        const columnTypes = format === "csv" ? parseTypes(types) : {};
        if (typeof columnTypes === "string") return setProblem(columnTypes);
        upload.mutate({ datasetId, format, text: await file.text(), columnTypes });
      }}
    >
      <h3 className="text-sm font-semibold">Upload</h3>
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
      {(problem ?? errors.message ?? errors.fields.text?.[0]) && (
        <Alert tone="error">{problem ?? errors.message ?? errors.fields.text?.[0]}</Alert>
      )}
    </form>
  );
}

function GenerateForm({ datasetId, onAdded }: { datasetId: string; onAdded: Added }) {
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
    <form
      aria-label="Generate rows"
      noValidate
      className="space-y-2 rounded-md border border-zinc-200 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        generate.mutate({ datasetId, block, side, count: Number(count), seed: Number(seed) });
      }}
    >
      <h3 className="text-sm font-semibold">Generate from a block</h3>
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
      {(errors.message ?? errors.fields.block?.[0]) && (
        <Alert tone="error">{errors.message ?? errors.fields.block?.[0]}</Alert>
      )}
    </form>
  );
}

function RecordForm({ datasetId, onAdded }: { datasetId: string; onAdded: Added }) {
  const trpc = useTRPC();
  const flows = useQuery(trpc.workflow.list.queryOptions({}));
  const [workflowId, setWorkflowId] = useState("");
  const [stepId, setStepId] = useState("");
  const [limit, setLimit] = useState("100");
  const record = useMutation(trpc.dataset.record.mutationOptions({ onSuccess: onAdded }));
  const errors = formErrors(record.error);
  const chosen = workflowId || flows.data?.[0]?.id || "";

  return (
    <form
      aria-label="Record from runs"
      noValidate
      className="space-y-2 rounded-md border border-zinc-200 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        record.mutate({
          datasetId,
          workflowId: chosen,
          limit: Number(limit),
          ...(stepId.trim() ? { stepId: stepId.trim() } : {}),
        });
      }}
    >
      <h3 className="text-sm font-semibold">Record from runs</h3>
      <SelectField label="Flow" value={chosen} onChange={(e) => setWorkflowId(e.target.value)}>
        {flows.data?.length === 0 && <option value="">No flows yet</option>}
        {(flows.data ?? []).map((f) => (
          <option key={f.id} value={f.id}>
            {f.name}
          </option>
        ))}
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
      {(errors.message ?? errors.fields.workflowId?.[0]) && (
        <Alert tone="error">{errors.message ?? errors.fields.workflowId?.[0]}</Alert>
      )}
    </form>
  );
}

function cell(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function RowsTable({ label, rows }: { label: string; rows: Row[] }) {
  const columns = useMemo(() => {
    const names = new Set<string>();
    for (const r of rows) for (const k of Object.keys(r)) names.add(k);
    return [...names];
  }, [rows]);
  return (
    <Table label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <Th key={c}>{c}</Th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            {columns.map((c) => (
              <Td key={c} className="max-w-64 truncate font-mono text-xs" title={cell(r[c])}>
                {cell(r[c])}
              </Td>
            ))}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

function RowsBrowser({
  versionId,
  version,
  datasetName,
}: {
  versionId: string;
  version: number;
  datasetName: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor");
  const [offset, setOffset] = useState(0);
  const rows = useQuery(trpc.dataset.rows.queryOptions({ versionId, offset, limit: PAGE }));
  const [sessionId, setSessionId] = useState<string | null>(null);
  const newSession = useMutation(
    trpc.sandbox.create.mutationOptions({
      onSuccess: async (s) => {
        setSessionId(s.id);
        await queryClient.invalidateQueries(trpc.sandbox.pathFilter());
      },
    }),
  );

  return (
    <div className="space-y-2">
      <div className="flex items-center justify-between gap-3">
        <h3 className="text-sm font-semibold">Rows of v{version}</h3>
        {canEdit && (
          <Button
            size="sm"
            pending={newSession.isPending}
            onClick={() =>
              newSession.mutate({
                name: `${datasetName} v${version}`.slice(0, 100),
                datasetVersionId: versionId,
              })
            }
          >
            New session from this version
          </Button>
        )}
      </div>
      {newSession.error && <Alert tone="error">{errorMessage(newSession.error)}</Alert>}
      {sessionId && (
        <Alert tone="success">
          Session created; its mock systems start from these rows.{" "}
          <Link href="/sandbox?tab=sessions" className="underline">
            Open the sessions
          </Link>
        </Alert>
      )}
      {rows.isPending ? (
        <p className="text-sm text-zinc-500">Loading rows…</p>
      ) : rows.error ? (
        <Alert tone="error">{errorMessage(rows.error)}</Alert>
      ) : (
        <>
          <RowsTable label={`Rows of version ${version}`} rows={rows.data.rows} />
          <div className="flex items-center justify-between text-xs text-zinc-600">
            <span>
              Rows {rows.data.total === 0 ? 0 : offset + 1}–
              {Math.min(offset + PAGE, rows.data.total)} of {rows.data.total}
            </span>
            <span className="flex gap-2">
              <Button
                size="sm"
                variant="ghost"
                disabled={offset === 0}
                onClick={() => setOffset(Math.max(0, offset - PAGE))}
              >
                Previous
              </Button>
              <Button
                size="sm"
                variant="ghost"
                disabled={offset + PAGE >= rows.data.total}
                onClick={() => setOffset(offset + PAGE)}
              >
                Next
              </Button>
            </span>
          </div>
        </>
      )}
    </div>
  );
}

const KIND_TONE = { added: "success", removed: "danger", changed: "warning" } as const;

function DiffView({ versions }: { versions: { id: string; version: number }[] }) {
  const trpc = useTRPC();
  // Newest first: compare the previous version with the latest by default.
  const [from, setFrom] = useState(versions[1]!.id);
  const [to, setTo] = useState(versions[0]!.id);
  const [key, setKey] = useState("");
  const [asked, setAsked] = useState<{ from: string; to: string; key: string } | null>(null);
  const diff = useQuery({
    ...trpc.dataset.diff.queryOptions({
      fromVersionId: asked?.from ?? from,
      toVersionId: asked?.to ?? to,
      ...(asked?.key ? { key: asked.key } : {}),
    }),
    enabled: asked !== null,
  });

  return (
    <div className="space-y-2">
      <h3 className="text-sm font-semibold">Compare versions</h3>
      <form
        aria-label="Compare versions"
        noValidate
        className="grid grid-cols-[8rem_8rem_14rem_auto] items-start gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ from, to, key: key.trim() });
        }}
      >
        <SelectField label="From" value={from} onChange={(e) => setFrom(e.target.value)}>
          {versions.map((v) => (
            <option key={v.id} value={v.id}>
              v{v.version}
            </option>
          ))}
        </SelectField>
        <SelectField label="To" value={to} onChange={(e) => setTo(e.target.value)}>
          {versions.map((v) => (
            <option key={v.id} value={v.id}>
              v{v.version}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Key column (optional)"
          placeholder="id"
          hint="Without one, rows match by content."
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <Button type="submit" size="sm" className="mt-5 justify-self-start">
          Compare
        </Button>
      </form>
      {diff.error && <Alert tone="error">{errorMessage(diff.error)}</Alert>}
      {diff.data && (
        <div className="space-y-2" aria-label="Differences">
          <p className="text-sm" data-testid="diff-summary">
            v{diff.data.from.version} → v{diff.data.to.version}: {diff.data.added} added,{" "}
            {diff.data.removed} removed, {diff.data.changed} changed, {diff.data.unchanged}{" "}
            unchanged
          </p>
          {diff.data.items.length > 0 && (
            <Table label="Row differences">
              <thead>
                <tr>
                  <Th>Change</Th>
                  {diff.data.mode === "key" && <Th>Key</Th>}
                  <Th>Before</Th>
                  <Th>After</Th>
                </tr>
              </thead>
              <tbody>
                {diff.data.items.map((item, i) => (
                  <tr key={i}>
                    <Td>
                      <Badge tone={KIND_TONE[item.kind]}>{item.kind}</Badge>
                      {item.columns && (
                        <span className="ml-1 text-xs text-zinc-600">
                          {item.columns.join(", ")}
                        </span>
                      )}
                    </Td>
                    {diff.data.mode === "key" && <Td className="font-mono text-xs">{item.key}</Td>}
                    <Td className="max-w-80 truncate font-mono text-xs" title={cell(item.before)}>
                      {item.before ? cell(item.before) : ""}
                    </Td>
                    <Td className="max-w-80 truncate font-mono text-xs" title={cell(item.after)}>
                      {item.after ? cell(item.after) : ""}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
          {diff.data.total > diff.data.items.length && (
            <p className="text-xs text-zinc-600">
              The first {diff.data.items.length} of {diff.data.total} differences.
            </p>
          )}
        </div>
      )}
    </div>
  );
}
