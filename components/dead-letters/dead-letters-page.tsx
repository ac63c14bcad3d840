"use client";

import { CursorPager } from "@/components/ui/cursor-pager";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Fragment, useMemo, useState } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { SelectField, TextField } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { FlowSelectField } from "@/components/workflows/flow-select-field";
import { DeadLetterDetail } from "./dead-letter-detail";
import {
  DEAD_LETTER_STATUSES,
  DEFAULT_FILTERS,
  filterOf,
  filterText,
  listInputOf,
  matchingProblem,
  STATUS_LABEL,
  STATUS_TONE,
  type DeadLetterStatus,
  type Filters,
} from "./dead-letter-view";
import { DiscardDialog } from "./discard-dialog";
import { ReprocessDialog, type ReprocessTarget } from "./reprocess-dialog";
import { ReprocessJobs } from "./reprocess-jobs";

const PAGE_SIZE = 25;

/**
 * The workspace's dead letters: filters (flow, block, error class, connector, status, time),
 * each row's detail, selection of rows or of everything matching the filter, "Reprocess…" (an
 * approval-gated durable job) and "Discard…" (with a reason), and the reprocess jobs below.
 */
export function DeadLettersPage() {
  const trpc = useTRPC();
  const canChange = useCan("editor");
  const [filters, setFilters] = useState<Filters>(DEFAULT_FILTERS);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [reprocess, setReprocess] = useState<ReprocessTarget | null>(null);
  const [discard, setDiscard] = useState<string[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const page = cursors.length - 1;

  const input = useMemo(
    () => listInputOf(filters, PAGE_SIZE, cursors[page]),
    [filters, cursors, page],
  );
  const list = useQuery({
    ...trpc.deadLetter.list.queryOptions(input),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
  const workflows = useQuery(trpc.workflow.list.queryOptions());
  const nameOf = (id: string) => workflows.data?.find((w) => w.id === id)?.name;
  const items = list.data?.items ?? [];
  const filtered = JSON.stringify(filters) !== JSON.stringify(DEFAULT_FILTERS);

  const update = (patch: Partial<Filters>) => {
    setFilters({ ...filters, ...patch });
    setCursors([undefined]);
    setSelected(new Set());
    setAllMatching(false);
  };
  const toggle = (id: string) => {
    setAllMatching(false);
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  };
  const openOnPage = items.filter((d) => d.status === "open").map((d) => d.id);
  const pageSelected = openOnPage.length > 0 && openOnPage.every((id) => selected.has(id));
  const selectedIds = [...selected];
  const matching = matchingProblem(filters);
  const nothingChosen = !allMatching && selectedIds.length === 0;

  return (
    <>
      <PageHeader
        title="Dead letters"
        description="Steps whose retries ran out. Reprocess them as an approval-gated job, or discard them with a reason."
      />
      <form
        aria-label="Filter dead letters"
        className="mb-3 grid grid-cols-2 items-end gap-2 md:grid-cols-[repeat(7,minmax(0,1fr))_auto]"
        onSubmit={(e) => e.preventDefault()}
      >
        <FlowSelectField
          value={filters.workflowId}
          onChange={(workflowId) => update({ workflowId })}
          workflows={workflows.data}
        />
        <TextField
          label="Block"
          placeholder="e.g. crm.deal.update"
          value={filters.block}
          onChange={(e) => update({ block: e.target.value })}
        />
        <TextField
          label="Error class"
          placeholder="e.g. TimeoutError"
          value={filters.errorClass}
          onChange={(e) => update({ errorClass: e.target.value })}
        />
        <TextField
          label="Connector"
          placeholder="e.g. crm"
          value={filters.connector}
          onChange={(e) => update({ connector: e.target.value })}
        />
        <SelectField
          label="Status"
          value={filters.status}
          onChange={(e) => update({ status: e.target.value as DeadLetterStatus | "" })}
        >
          <option value="">Any status</option>
          {DEAD_LETTER_STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </SelectField>
        <TextField
          label="From"
          type="datetime-local"
          value={filters.from}
          onChange={(e) => update({ from: e.target.value })}
        />
        <TextField
          label="To"
          type="datetime-local"
          value={filters.to}
          onChange={(e) => update({ to: e.target.value })}
        />
        <Button variant="ghost" disabled={!filtered} onClick={() => update(DEFAULT_FILTERS)}>
          Clear
        </Button>
      </form>

      {notice && (
        <Alert tone="success" className="mb-3">
          {notice}
        </Alert>
      )}
      {list.error && (
        <Alert tone="error" className="mb-3">
          {errorMessage(list.error)}
        </Alert>
      )}

      {canChange && items.length > 0 && (
        <div
          role="toolbar"
          aria-label="Selected dead letters"
          className="mb-2 flex flex-wrap items-center gap-2 text-xs text-zinc-700"
        >
          <span data-testid="selection-count">
            {allMatching
              ? "Every open dead letter matching the filter is selected."
              : `${selectedIds.length} selected`}
          </span>
          <Button
            size="sm"
            variant="ghost"
            disabled={Boolean(matching) || allMatching}
            title={matching ?? undefined}
            onClick={() => {
              setSelected(new Set());
              setAllMatching(true);
            }}
          >
            Select all matching the filter
          </Button>
          {(allMatching || selectedIds.length > 0) && (
            <Button
              size="sm"
              variant="ghost"
              onClick={() => {
                setSelected(new Set());
                setAllMatching(false);
              }}
            >
              Clear selection
            </Button>
          )}
          <span className="flex-1" />
          <Button
            size="sm"
            variant="primary"
            disabled={nothingChosen}
            onClick={() =>
              setReprocess(
                allMatching
                  ? {
                      kind: "filter",
                      filter: filterOf(filters),
                      described: filterText(filterOf(filters), nameOf),
                    }
                  : { kind: "ids", ids: selectedIds },
              )
            }
          >
            Reprocess…
          </Button>
          <Button
            size="sm"
            variant="danger"
            disabled={allMatching || selectedIds.length === 0}
            onClick={() => setDiscard(selectedIds)}
          >
            Discard…
          </Button>
        </div>
      )}

      {list.isPending ? (
        <p className="text-sm text-zinc-600">Loading dead letters…</p>
      ) : items.length === 0 && page === 0 ? (
        <EmptyState
          title={filtered ? "No dead letters match these filters" : "No open dead letters"}
        >
          {filtered
            ? "Change or clear the filters to see other dead letters."
            : "A step whose retries run out (on an SLA tier with a dead-letter queue) appears here with its inputs and error."}
        </EmptyState>
      ) : (
        <>
          <Table label="Dead letters">
            <thead>
              <tr>
                {canChange && (
                  <Th className="w-8">
                    <input
                      type="checkbox"
                      aria-label="Select the open dead letters of this page"
                      checked={allMatching || pageSelected}
                      disabled={openOnPage.length === 0}
                      onChange={() => {
                        setAllMatching(false);
                        setSelected(pageSelected ? new Set() : new Set(openOnPage));
                      }}
                    />
                  </Th>
                )}
                <Th>Dead-lettered</Th>
                <Th>Flow</Th>
                <Th>Step and block</Th>
                <Th>Error</Th>
                <Th>Attempts</Th>
                <Th>Status</Th>
                <Th>
                  <span className="sr-only">Detail</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <Fragment key={d.id}>
                  <tr className="hover:bg-zinc-50" data-testid={`dead-letter-${d.id}`}>
                    {canChange && (
                      <Td>
                        <input
                          type="checkbox"
                          aria-label={`Select ${d.stepId} of run ${d.run.id.slice(0, 8)}`}
                          disabled={d.status !== "open"}
                          checked={allMatching ? d.status === "open" : selected.has(d.id)}
                          onChange={() => toggle(d.id)}
                        />
                      </Td>
                    )}
                    <Td className="text-xs">{formatDateTime(d.createdAt)}</Td>
                    <Td className="text-xs">{d.workflow?.name ?? "—"}</Td>
                    <Td className="text-xs">
                      <span className="font-mono">{d.stepId}</span>
                      <span className="block font-mono text-zinc-600">{d.block}</span>
                    </Td>
                    <Td className="max-w-xs text-xs">
                      <span className="font-mono">{d.errorClass}</span>
                      <span className="block truncate text-zinc-600" title={d.error.message}>
                        {d.error.message}
                      </span>
                    </Td>
                    <Td className="text-xs">{d.attempts}</Td>
                    <Td>
                      <Badge tone={STATUS_TONE[d.status]}>{STATUS_LABEL[d.status]}</Badge>
                    </Td>
                    <Td>
                      <Button
                        size="sm"
                        variant="ghost"
                        aria-expanded={open === d.id}
                        aria-label={`Detail of ${d.stepId} of run ${d.run.id.slice(0, 8)}`}
                        onClick={() => setOpen(open === d.id ? null : d.id)}
                      >
                        {open === d.id ? "Hide" : "Detail"}
                      </Button>
                    </Td>
                  </tr>
                  {open === d.id && (
                    <tr>
                      <Td colSpan={canChange ? 8 : 7} className="bg-zinc-50/50">
                        <DeadLetterDetail d={d} />
                      </Td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </Table>
          <CursorPager
            label="Pages of dead letters"
            cursors={cursors}
            nextCursor={list.data?.nextCursor}
            onChange={setCursors}
          />
        </>
      )}

      <ReprocessJobs />

      <ReprocessDialog
        target={reprocess}
        onClose={() => setReprocess(null)}
        onRequested={() => {
          setSelected(new Set());
          setAllMatching(false);
        }}
      />
      <DiscardDialog
        ids={discard}
        onClose={() => setDiscard(null)}
        onDiscarded={() => {
          setNotice(
            `Discarded ${discard?.length ?? 0} dead letter${discard?.length === 1 ? "" : "s"}.`,
          );
          setSelected(new Set());
        }}
      />
    </>
  );
}
