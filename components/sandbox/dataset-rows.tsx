"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";

/** A dataset version's rows (paged, with "New session from this version") and a diff of two. */

const PAGE = 25;

type Row = Record<string, unknown>;

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

export function RowsBrowser({
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

export function DiffView({ versions }: { versions: { id: string; version: number }[] }) {
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
          <VersionOptions versions={versions} />
        </SelectField>
        <SelectField label="To" value={to} onChange={(e) => setTo(e.target.value)}>
          <VersionOptions versions={versions} />
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

function VersionOptions({ versions }: { versions: { id: string; version: number }[] }) {
  return versions.map((v) => (
    <option key={v.id} value={v.id}>
      v{v.version}
    </option>
  ));
}
