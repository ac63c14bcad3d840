"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { Td } from "@/components/ui/table";
import { GenerateForm, RecordForm, UploadForm } from "./dataset-add-forms";
import { DiffView, RowsBrowser } from "./dataset-rows";
import { CreateForm, ListSection, QueryList, SelectableTable } from "./sandbox-list";

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
      <CreateForm
        canEdit={canEdit}
        readOnly="Only editors and admins create and change datasets; you can browse and compare them."
        label="Create a dataset"
        grid="grid-cols-[16rem_1fr_auto]"
        span="col-span-3"
        submit="Create dataset"
        pending={create.isPending}
        error={errors.message}
        onSubmit={() => create.mutate({ name, description })}
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
      </CreateForm>

      <ListSection
        headingId="datasets-heading"
        title="Datasets"
        filter={{ label: "Show archived", checked: includeArchived, onChange: setIncludeArchived }}
      >
        <QueryList
          query={datasets}
          loading="Loading datasets…"
          empty="No datasets yet. A dataset holds rows in immutable versions: upload a CSV or JSON Lines file, generate rows from a block, or record them from a flow's runs."
        >
          {(items) => (
            <SelectableTable
              label="Datasets"
              columns={["Name", "Versions", "Latest", "Created"]}
              items={items}
              selected={selected}
              cells={(d) => (
                <>
                  <Td className="font-medium">
                    {d.name} {d.archivedAt && <Badge tone="neutral">archived</Badge>}
                  </Td>
                  <Td>{d.versionCount}</Td>
                  <Td className="text-zinc-600">
                    {d.latest ? `v${d.latest.version} · ${d.latest.rowCount} rows` : "—"}
                  </Td>
                  <Td className="text-zinc-600">{formatDateTime(d.createdAt)}</Td>
                </>
              )}
              open={{ label: (d) => `Open dataset ${d.name}`, onSelect: setSelected }}
            />
          )}
        </QueryList>
      </ListSection>

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
        <QueryList
          query={versions}
          loading="Loading versions…"
          empty="No versions yet: add rows above."
        >
          {(items) => (
            <SelectableTable
              label="Dataset versions"
              columns={["Version", "Rows", "Source", "Hash", "Created"]}
              items={items}
              selected={shown}
              cells={(v) => (
                <>
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
                </>
              )}
              action={(v) => (
                <Button
                  size="sm"
                  variant="ghost"
                  aria-label={`Browse version ${v.version}`}
                  onClick={() => setBrowsing(v.id)}
                >
                  Browse
                </Button>
              )}
            />
          )}
        </QueryList>
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
