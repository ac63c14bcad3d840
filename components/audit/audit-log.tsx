"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formatDateTime, summarisePayload } from "@/lib/format";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";

const SUBJECT_TYPES = ["workflow", "workspace", "membership", "api-token", "user"];
const PAGE_SIZE = 50;

interface Filters {
  action: string;
  actor: string;
  subjectType: string;
}
const NO_FILTERS: Filters = { action: "", actor: "", subjectType: "" };

export function AuditLog() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);

  const verify = useQuery({ ...trpc.audit.verify.queryOptions(), staleTime: 0 });
  const input = {
    ...(filters.action.trim() ? { action: filters.action.trim() } : {}),
    ...(filters.actor.trim() ? { actor: filters.actor.trim() } : {}),
    ...(filters.subjectType ? { subjectType: filters.subjectType } : {}),
    limit: PAGE_SIZE,
  };
  // Paged by sequence number (`before`), newest first; the key lives under audit.list so
  // invalidating the audit router refreshes it.
  const entries = useInfiniteQuery({
    queryKey: [...trpc.audit.list.queryKey(input), "pages"],
    queryFn: ({ pageParam }) =>
      client.audit.list.query({ ...input, ...(pageParam ? { before: pageParam } : {}) }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last) => last.nextBefore,
    staleTime: 0,
  });
  const rows = entries.data?.pages.flatMap((p) => p.entries) ?? [];

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  return (
    <>
      <PageHeader
        title="Audit"
        description="Every change in this workspace, in a hash-chained ledger that cannot be edited unnoticed."
      />

      <div className="mb-4" data-testid="audit-chain-status">
        {verify.isPending ? (
          <Alert tone="info">Verifying the ledger…</Alert>
        ) : verify.error ? (
          <Alert tone="error">{errorMessage(verify.error)}</Alert>
        ) : verify.data.ok ? (
          <Alert tone="success">
            Chain verified: {verify.data.entries} {verify.data.entries === 1 ? "entry" : "entries"},
            each linked to the one before.
          </Alert>
        ) : (
          <Alert tone="error">
            Chain broken at #{verify.data.brokenAt}: {verify.data.message}
          </Alert>
        )}
      </div>

      <form
        onSubmit={apply}
        aria-label="Filter entries"
        className="mb-4 grid grid-cols-[1fr_1fr_12rem_auto] items-end gap-3"
      >
        <TextField
          label="Action starts with"
          placeholder="workflow."
          value={draft.action}
          onChange={(e) => setDraft((d) => ({ ...d, action: e.target.value }))}
        />
        <TextField
          label="Actor"
          placeholder="email or token:name"
          value={draft.actor}
          onChange={(e) => setDraft((d) => ({ ...d, actor: e.target.value }))}
        />
        <SelectField
          label="Subject type"
          value={draft.subjectType}
          onChange={(e) => setDraft((d) => ({ ...d, subjectType: e.target.value }))}
        >
          <option value="">Any</option>
          {SUBJECT_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </SelectField>
        <div className="flex gap-2">
          <Button type="submit" variant="primary">
            Apply
          </Button>
          <Button
            onClick={() => {
              setDraft(NO_FILTERS);
              setFilters(NO_FILTERS);
            }}
          >
            Clear
          </Button>
        </div>
      </form>

      {entries.isPending ? (
        <p className="py-8 text-center text-sm text-zinc-500">Loading entries…</p>
      ) : entries.error ? (
        <Alert tone="error">{errorMessage(entries.error)}</Alert>
      ) : rows.length === 0 ? (
        <p className="rounded-lg border border-zinc-200 bg-white py-8 text-center text-sm text-zinc-600">
          No entries match these filters.
        </p>
      ) : (
        <>
          <Table label="Audit entries">
            <thead>
              <tr>
                <Th className="w-16 text-right">Seq</Th>
                <Th className="w-40">Time</Th>
                <Th>Actor</Th>
                <Th>Action</Th>
                <Th>Subject</Th>
                <Th>Payload</Th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.seq}>
                  <Td className="text-right font-mono text-xs tabular-nums text-zinc-500">
                    {e.seq}
                  </Td>
                  <Td className="whitespace-nowrap text-zinc-600">{formatDateTime(e.at)}</Td>
                  <Td className="max-w-48 truncate">{e.actor}</Td>
                  <Td className="font-mono text-xs">{e.action}</Td>
                  <Td className="text-xs text-zinc-600">
                    {e.subjectType}
                    {e.subjectId && (
                      <span className="ml-1 font-mono text-zinc-400" title={e.subjectId}>
                        {e.subjectId.slice(0, 8)}
                      </span>
                    )}
                  </Td>
                  <Td
                    className="max-w-72 truncate text-xs text-zinc-600"
                    title={JSON.stringify(e.payload)}
                  >
                    {summarisePayload(e.payload)}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <div className="mt-3 flex items-center justify-between text-xs text-zinc-500">
            <span>
              Showing {rows.length} {rows.length === 1 ? "entry" : "entries"}
            </span>
            {entries.hasNextPage && (
              <Button
                size="sm"
                pending={entries.isFetchingNextPage}
                onClick={() => void entries.fetchNextPage()}
              >
                Load more
              </Button>
            )}
          </div>
        </>
      )}
    </>
  );
}
