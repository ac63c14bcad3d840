"use client";

import { CursorPager } from "@/components/ui/cursor-pager";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState, useSyncExternalStore } from "react";
import { formatDateTime } from "@/lib/format";
import {
  formatDuration,
  OUTCOME_LABEL,
  OUTCOMES_IN_ORDER,
  toMs,
  type RunOutcome,
} from "@/lib/runs/run-state";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import type { RouterInputs } from "@/lib/trpc/types";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { FlowSelectField } from "@/components/workflows/flow-select-field";
import { SelectField, TextField } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { RunStatusBadge } from "./run-status";
import { runTitle } from "./run-title";
import { StartRunDialog } from "./start-run-dialog";

type ListInput = Exclude<RouterInputs["run"]["list"], undefined | void>;

/** The outcomes the list filters by ("succeeded" alone: clean successes). */
const STATUSES = OUTCOMES_IN_ORDER;
type Status = RunOutcome;
const PAGE_SIZE = 25;

interface Filters {
  status: Status | "";
  workflowId: string;
  version: string;
  /** `datetime-local` values (local time), empty when unset. */
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { status: "", workflowId: "", version: "", from: "", to: "" };

function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

const noSubscription = () => () => {};
/** The `workflow` query parameter, when it is a workflow id. */
function workflowInUrl(): string {
  const id = new URLSearchParams(window.location.search).get("workflow") ?? "";
  return /^[0-9a-f-]{36}$/i.test(id) ? id : "";
}

/** The workspace's runs, newest first: filters, cursor paging, and "Run a flow". */
export function RunsList() {
  const trpc = useTRPC();
  const canRun = useCan("editor");
  // `/runs?workflow=<id>` (a workflow's "Runs" link) opens the list filtered to it, until the
  // filters are changed.
  const fromUrl = useSyncExternalStore(noSubscription, workflowInUrl, () => "");
  const [changed, setFilters] = useState<Filters | null>(null);
  const filters = useMemo(
    () => changed ?? { ...NO_FILTERS, workflowId: fromUrl },
    [changed, fromUrl],
  );
  // Cursors of the pages seen so far: page i starts after cursors[i] (undefined: the first).
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [starting, setStarting] = useState(false);
  const page = cursors.length - 1;

  const input = useMemo<ListInput>(
    () => ({
      limit: PAGE_SIZE,
      ...(filters.status ? { outcome: filters.status } : {}),
      ...(filters.workflowId ? { workflowId: filters.workflowId } : {}),
      ...(filters.version.trim() ? { version: filters.version.trim() } : {}),
      ...(isoOf(filters.from) ? { from: isoOf(filters.from) } : {}),
      ...(isoOf(filters.to) ? { to: isoOf(filters.to) } : {}),
      ...(cursors[page] ? { cursor: cursors[page] } : {}),
    }),
    [filters, cursors, page],
  );
  const runs = useQuery({
    ...trpc.run.list.queryOptions(input),
    placeholderData: keepPreviousData,
    // Statuses change while runs execute; the list follows without a reload.
    refetchInterval: 5000,
  });
  const workflows = useQuery(trpc.workflow.list.queryOptions());
  const names = useMemo(
    () => new Map((workflows.data ?? []).map((w) => [w.id, w.name])),
    [workflows.data],
  );
  const update = (patch: Partial<Filters>) => {
    setFilters({ ...filters, ...patch });
    setCursors([undefined]);
  };
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);
  const items = runs.data?.items ?? [];

  return (
    <>
      <PageHeader
        title="Runs"
        description="Executions of your workflows, step by step."
        actions={
          canRun && (
            <Button variant="primary" onClick={() => setStarting(true)}>
              Run a flow
            </Button>
          )
        }
      />
      <form
        aria-label="Filter runs"
        className="mb-3 grid grid-cols-[repeat(5,minmax(0,1fr))_auto] items-end gap-2"
        onSubmit={(e) => e.preventDefault()}
      >
        <SelectField
          label="Status"
          value={filters.status}
          onChange={(e) => update({ status: e.target.value as Status | "" })}
        >
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {OUTCOME_LABEL[s]}
            </option>
          ))}
        </SelectField>
        <FlowSelectField
          value={filters.workflowId}
          onChange={(workflowId) => update({ workflowId })}
          workflows={workflows.data}
        />
        <TextField
          label="Version"
          placeholder="e.g. 1.2.0"
          value={filters.version}
          onChange={(e) => update({ version: e.target.value })}
        />
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
        <Button variant="ghost" disabled={!filtered} onClick={() => update(NO_FILTERS)}>
          Clear
        </Button>
      </form>

      {runs.error && (
        <Alert tone="error" className="mb-3">
          {errorMessage(runs.error)}
        </Alert>
      )}
      {runs.isPending ? (
        <p className="text-sm text-zinc-600">Loading runs…</p>
      ) : items.length === 0 && page === 0 ? (
        <EmptyState
          title={filtered ? "No runs match these filters" : "No runs yet"}
          action={
            canRun && !filtered ? (
              <Button variant="primary" onClick={() => setStarting(true)}>
                Run a flow
              </Button>
            ) : undefined
          }
        >
          {filtered
            ? "Change or clear the filters to see other runs."
            : "Start a run of one of your workflows; its steps appear here as they execute."}
        </EmptyState>
      ) : (
        <>
          <Table label="Runs">
            <thead>
              <tr>
                <Th>Run</Th>
                <Th>Status</Th>
                <Th>Flow and version</Th>
                <Th>Started by</Th>
                <Th>Started at</Th>
                <Th>Duration</Th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => {
                const started = toMs(r.startedAt);
                const finished = toMs(r.finishedAt);
                return (
                  <tr key={r.id} className="hover:bg-zinc-50">
                    <Td>
                      <Link
                        href={`/runs/${r.id}`}
                        className="font-mono text-xs text-accent-700 hover:underline"
                        aria-label={`Run ${r.id}`}
                      >
                        {r.id.slice(0, 8)}
                      </Link>
                    </Td>
                    <Td>
                      <RunStatusBadge status={r.outcome} />
                    </Td>
                    <Td>
                      {r.workflowId
                        ? runTitle({
                            workflowName: names.get(r.workflowId) ?? "Deleted workflow",
                            version: r.version,
                            draft: r.draft,
                          })
                        : "—"}
                    </Td>
                    <Td className="text-xs">{r.startedBy ?? "—"}</Td>
                    <Td className="text-xs">
                      {started
                        ? formatDateTime(r.startedAt)
                        : `queued ${formatDateTime(r.createdAt)}`}
                    </Td>
                    <Td className="text-xs">
                      {started
                        ? finished
                          ? formatDuration(finished - started)
                          : "in progress"
                        : "—"}
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
          <CursorPager
            label="Pages of runs"
            cursors={cursors}
            nextCursor={runs.data?.nextCursor}
            onChange={setCursors}
          />
        </>
      )}
      <StartRunDialog open={starting} onClose={() => setStarting(false)} />
    </>
  );
}
