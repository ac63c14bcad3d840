"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Fragment, useState, type FormEvent } from "react";
import { formatDateTime, summarisePayload } from "@/lib/format";
import { useTRPC, useTRPCClient } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button, buttonClass } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import {
  activeFilters,
  exportHref,
  filtersFromParams,
  filtersQuery,
  NO_FILTERS,
  type AuditFilters,
} from "./audit-filters";
import { subjectHistoryHref, subjectHref, subjectText, type AuditSubject } from "./audit-subjects";

const PAGE_SIZE = 50;

export function AuditLog() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  // The URL holds the filters: a subject's "history" link and a reload show the same view.
  const filters = filtersFromParams(params);
  const query = filtersQuery(filters);
  const workspace = useCurrentWorkspace();

  const verify = useQuery({ ...trpc.audit.verify.queryOptions(), staleTime: 0 });
  const subjectTypes = useQuery({
    ...trpc.audit.subjectTypes.queryOptions(),
    staleTime: Infinity,
  });
  const input = { ...activeFilters(filters), limit: PAGE_SIZE };
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
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const toggle = (seq: number) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (!next.delete(seq)) next.add(seq);
      return next;
    });

  const show = (f: AuditFilters) => {
    const q = filtersQuery(f);
    router.push(q ? `${pathname}?${q}` : pathname);
  };
  const labelOf = (type: string) => subjectTypes.data?.find((t) => t.type === type)?.label ?? type;

  return (
    <>
      <PageHeader
        title="Audit"
        description="Every change in this workspace, in a hash-chained ledger that cannot be edited unnoticed."
        actions={
          <>
            {(["csv", "jsonl"] as const).map((format) => (
              <a
                key={format}
                className={buttonClass("secondary", "sm")}
                href={exportHref(format, filters, workspace.data?.id)}
                download
                title="The entries these filters show, oldest first, headed by the chain's verification result"
              >
                Export {format === "csv" ? "CSV" : "JSON Lines"}
              </a>
            ))}
          </>
        }
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

      {/* Keyed by the URL's filters: following a link resets what is typed here. */}
      <FilterForm
        key={query}
        filters={filters}
        types={subjectTypes.data ?? []}
        onApply={show}
        onClear={() => show(NO_FILTERS)}
      />

      {filters.subjectId && (
        <p className="mb-3 flex items-center gap-2 text-sm text-zinc-700">
          <span>
            History of {labelOf(filters.subjectType || "subject").toLowerCase()}{" "}
            <code className="font-mono text-xs">{filters.subjectId}</code>
          </span>
          <Button size="sm" variant="ghost" onClick={() => show({ ...filters, subjectId: "" })}>
            Show all subjects
          </Button>
        </p>
      )}

      {entries.isPending ? (
        <p className="py-8 text-center text-sm text-zinc-600">Loading entries…</p>
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
                <Th className="w-10">
                  <span className="sr-only">Details</span>
                </Th>
                <Th className="w-16 text-right">Seq</Th>
                <Th className="w-40">Time</Th>
                <Th>Actor</Th>
                <Th>Action</Th>
                <Th>Subject</Th>
                <Th>Payload</Th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => {
                const expanded = open.has(e.seq);
                const detailId = `audit-entry-${e.seq}`;
                const subject: AuditSubject = {
                  type: e.subjectType,
                  id: e.subjectId,
                  info: e.subject,
                };
                const href = subjectHref(subject);
                return (
                  <Fragment key={e.seq}>
                    <tr
                      data-testid={`audit-row-${e.seq}`}
                      className={expanded ? "bg-zinc-50" : undefined}
                    >
                      <Td className="py-1">
                        <button
                          type="button"
                          className="grid size-7 place-items-center rounded text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900"
                          aria-expanded={expanded}
                          aria-controls={detailId}
                          aria-label={`${expanded ? "Hide" : "Show"} entry #${e.seq}`}
                          onClick={() => toggle(e.seq)}
                        >
                          <svg
                            viewBox="0 0 16 16"
                            aria-hidden="true"
                            className={`size-3.5 transition-transform ${expanded ? "rotate-90" : ""}`}
                          >
                            <path
                              d="M6 3.5 10.5 8 6 12.5"
                              fill="none"
                              stroke="currentColor"
                              strokeWidth="1.75"
                            />
                          </svg>
                        </button>
                      </Td>
                      <Td className="text-right font-mono text-xs tabular-nums text-zinc-600">
                        {e.seq}
                      </Td>
                      <Td className="whitespace-nowrap text-zinc-600">{formatDateTime(e.at)}</Td>
                      {/* Truncated inside a block: a cell's own max-width does not bind. */}
                      <Td title={e.actor}>
                        <div className="max-w-40 truncate">{e.actor}</div>
                      </Td>
                      <Td className="font-mono text-xs">
                        {e.action}
                        {isBreakGlass(e.action) && (
                          <span className="ml-1 font-sans" data-testid="break-glass-flag">
                            <Badge tone="danger">break-glass</Badge>
                          </span>
                        )}
                      </Td>
                      <Td className="text-xs text-zinc-600">
                        <div className="w-52 break-words">
                          <span className="mr-1">{labelOf(e.subjectType)}</span>
                          <SubjectName subject={subject} href={href} />
                        </div>
                      </Td>
                      {/* Takes the width left over and truncates (max-w-0 with w-full). */}
                      <Td className="w-full max-w-0 text-xs text-zinc-600">
                        <div className="truncate">{summarisePayload(e.payload)}</div>
                      </Td>
                    </tr>
                    {expanded && (
                      <tr id={detailId} className="bg-zinc-50">
                        <td colSpan={7} className="border-b border-zinc-200 px-3 pt-1 pb-4">
                          <EntryDetail
                            entry={e}
                            subject={subject}
                            href={href}
                            typeLabel={labelOf(e.subjectType)}
                          />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </Table>
          <div className="mt-3 flex items-center justify-between text-xs text-zinc-600">
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

function FilterForm({
  filters,
  types,
  onApply,
  onClear,
}: {
  filters: AuditFilters;
  types: ReadonlyArray<{ type: string; label: string }>;
  onApply: (f: AuditFilters) => void;
  onClear: () => void;
}) {
  const [draft, setDraft] = useState<AuditFilters>(filters);
  function apply(e: FormEvent) {
    e.preventDefault();
    // A new subject type drops a subject id that belonged to another.
    const keepId = draft.subjectType === filters.subjectType;
    onApply({ ...draft, subjectId: keepId ? draft.subjectId : "" });
  }
  return (
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
        {types.map((t) => (
          <option key={t.type} value={t.type}>
            {t.label}
          </option>
        ))}
        {/* A type from a link that the catalogue does not (yet) list stays selectable. */}
        {draft.subjectType && !types.some((t) => t.type === draft.subjectType) && (
          <option value={draft.subjectType}>{draft.subjectType}</option>
        )}
      </SelectField>
      <div className="flex gap-2">
        <Button type="submit" variant="primary">
          Apply
        </Button>
        <Button onClick={onClear}>Clear</Button>
      </div>
    </form>
  );
}

function SubjectName({ subject, href }: { subject: AuditSubject; href: string | null }) {
  const text = subjectText(subject);
  if (href) {
    return (
      <Link
        href={href}
        className="font-medium text-accent-700 hover:underline"
        title={subject.id}
        prefetch={false}
      >
        {text}
      </Link>
    );
  }
  return (
    <span className="font-mono text-zinc-600" title={subject.id}>
      {text}
      {subject.info && !subject.info.exists && (
        <span className="ml-1 font-sans text-zinc-500">(deleted)</span>
      )}
    </span>
  );
}

/** An admin's break-glass decision (`approval.break-glass`): flagged wherever it is listed. */
function isBreakGlass(action: string): boolean {
  return action === "approval.break-glass";
}

interface DetailEntry {
  seq: number;
  at: Date | string;
  actor: string;
  action: string;
  subjectId: string;
  payload: unknown;
  hash: string;
  prevHash: string;
}

function EntryDetail({
  entry,
  subject,
  href,
  typeLabel,
}: {
  entry: DetailEntry;
  subject: AuditSubject;
  href: string | null;
  typeLabel: string;
}) {
  const at = typeof entry.at === "string" ? entry.at : entry.at.toISOString();
  return (
    <div className="grid grid-cols-[minmax(0,22rem)_minmax(0,1fr)] gap-4 text-xs">
      <dl className="grid grid-cols-[6rem_minmax(0,1fr)] gap-x-3 gap-y-1.5">
        <dt className="text-zinc-600">Time</dt>
        <dd className="font-mono">{at}</dd>
        <dt className="text-zinc-600">Actor</dt>
        <dd className="break-all">{entry.actor}</dd>
        <dt className="text-zinc-600">Action</dt>
        <dd className="font-mono">
          {entry.action}
          {isBreakGlass(entry.action) && (
            <span className="ml-1 font-sans">
              <Badge tone="danger">break-glass: an admin overrode the approvers</Badge>
            </span>
          )}
        </dd>
        <dt className="text-zinc-600">Subject</dt>
        <dd className="space-y-1">
          <div>
            {typeLabel} <SubjectName subject={subject} href={href} />
          </div>
          <div className="font-mono break-all text-zinc-600">{entry.subjectId}</div>
          <Link
            href={subjectHistoryHref(subject)}
            className="text-accent-700 hover:underline"
            prefetch={false}
          >
            History of this {typeLabel.toLowerCase()}
          </Link>
        </dd>
        <dt className="text-zinc-600">Hash</dt>
        <dd className="font-mono break-all">{entry.hash}</dd>
        <dt className="text-zinc-600">Previous</dt>
        <dd className="font-mono break-all">{entry.prevHash}</dd>
      </dl>
      <div className="min-w-0">
        <div className="mb-1 text-zinc-600">Payload (as hashed)</div>
        <pre
          tabIndex={0}
          aria-label={`Payload of entry #${entry.seq}`}
          data-testid={`audit-payload-${entry.seq}`}
          className="max-h-80 overflow-auto rounded-md border border-zinc-200 bg-white p-2 font-mono text-xs whitespace-pre-wrap break-words text-zinc-800"
        >
          {JSON.stringify(entry.payload, null, 2)}
        </pre>
      </div>
    </div>
  );
}
