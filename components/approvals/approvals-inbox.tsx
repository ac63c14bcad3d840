"use client";

import { CursorPager } from "@/components/ui/cursor-pager";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { FlowSelectField } from "@/components/workflows/flow-select-field";
import { SelectField } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { ApprovalCard, type DecisionOutcome } from "./approval-card";
import { GuardianNewGroups } from "./guardian-new-groups";
import { APPROVAL_KINDS, KIND_LABEL, type ApprovalKind, type StatusFilter } from "./approval-view";
import { useApprovalCount, useApprovalList, type ApprovalListInput } from "./use-approvals";

const PAGE_SIZE = 20;

interface Filters {
  status: StatusFilter;
  kind: ApprovalKind | "";
  workflowId: string;
}

const DEFAULT_FILTERS: Filters = { status: "pending", kind: "", workflowId: "" };

const STATUS_OPTIONS: { value: StatusFilter; label: string }[] = [
  { value: "pending", label: "Pending" },
  { value: "decided", label: "Decided" },
  { value: "all", label: "Pending and decided" },
];

/**
 * The approvals inbox: every decision of the workspace waiting for a person (run steps, forms,
 * replays, reprocess jobs), newest first, filtered by status, kind and flow, each with what is
 * decided and the controls to decide it. Polls, so new requests and others' decisions appear.
 */
export function ApprovalsInbox() {
  const trpc = useTRPC();
  const isAdmin = useCan("admin");
  const [filters, setFilters] = useState<Filters>(DEFAULT_FILTERS);
  // Cursors of the pages seen so far: page i starts after cursors[i] (undefined: the first).
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [outcome, setOutcome] = useState<DecisionOutcome | null>(null);
  const page = cursors.length - 1;

  const input = useMemo<ApprovalListInput>(
    () => ({
      status: filters.status,
      limit: PAGE_SIZE,
      ...(filters.kind ? { kind: filters.kind } : {}),
      ...(filters.workflowId ? { workflowId: filters.workflowId } : {}),
      ...(cursors[page] ? { cursor: cursors[page] } : {}),
    }),
    [filters, cursors, page],
  );
  const list = useApprovalList(input);
  const count = useApprovalCount();
  const workflows = useQuery(trpc.workflow.list.queryOptions());
  const update = (patch: Partial<Filters>) => {
    setFilters({ ...filters, ...patch });
    setCursors([undefined]);
  };
  const filtered = JSON.stringify(filters) !== JSON.stringify(DEFAULT_FILTERS);
  const items = list.data?.items ?? [];
  // A refusal shows on its card; here only once the card has left the list (decided meanwhile).
  const announcement =
    outcome && (outcome.tone === "success" || !items.some((a) => a.id === outcome.id))
      ? outcome
      : null;

  return (
    <>
      <PageHeader
        title="Approvals"
        description={
          count.data ? (
            <span data-testid="approvals-summary">
              {count.data.pending} pending in this workspace, {count.data.forMe} waiting for you.
            </span>
          ) : (
            "Decisions waiting for a person: run steps, forms, replays and reprocess jobs."
          )
        }
      />
      <form
        aria-label="Filter approvals"
        className="mb-3 grid grid-cols-[repeat(3,minmax(0,1fr))_auto] items-end gap-2"
        onSubmit={(e) => e.preventDefault()}
      >
        <SelectField
          label="Status"
          value={filters.status}
          onChange={(e) => update({ status: e.target.value as StatusFilter })}
        >
          {STATUS_OPTIONS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Kind"
          value={filters.kind}
          onChange={(e) => update({ kind: e.target.value as ApprovalKind | "" })}
        >
          <option value="">Any kind</option>
          {APPROVAL_KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABEL[k]}
            </option>
          ))}
        </SelectField>
        <FlowSelectField
          value={filters.workflowId}
          onChange={(workflowId) => update({ workflowId })}
          workflows={workflows.data}
        />
        <Button variant="ghost" disabled={!filtered} onClick={() => update(DEFAULT_FILTERS)}>
          Clear
        </Button>
      </form>

      {/* Announces what a decision changed; its card may leave the pending list at once. */}
      <div
        aria-live="polite"
        className={announcement ? "mb-3" : undefined}
        data-testid="approvals-announcement"
      >
        {announcement && (
          <Alert
            tone={announcement.tone}
            action={
              <Button size="sm" variant="ghost" onClick={() => setOutcome(null)}>
                Dismiss
              </Button>
            }
          >
            {announcement.text}
          </Alert>
        )}
      </div>

      {filters.status !== "decided" && <GuardianNewGroups />}

      {list.error && (
        <Alert tone="error" className="mb-3">
          {errorMessage(list.error)}
        </Alert>
      )}
      {list.isPending ? (
        <p className="text-sm text-zinc-600">Loading approvals…</p>
      ) : items.length === 0 && page === 0 ? (
        <EmptyState
          title={
            filtered ? "No approvals match these filters" : "Nothing is waiting for a decision"
          }
        >
          {filtered
            ? "Change or clear the filters to see other approvals."
            : "Approval and form steps of running flows, replay requests and reprocess jobs appear here when they need a person."}
        </EmptyState>
      ) : (
        <>
          <ul aria-label="Approvals" className="space-y-3">
            {items.map((a) => (
              <li key={a.id}>
                <ApprovalCard approval={a} isAdmin={isAdmin} onDecided={setOutcome} />
              </li>
            ))}
          </ul>
          <CursorPager
            label="Pages of approvals"
            cursors={cursors}
            nextCursor={list.data?.nextCursor}
            onChange={setCursors}
          />
        </>
      )}
    </>
  );
}
