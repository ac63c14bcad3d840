"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import type { RouterOutputs } from "@/lib/trpc/types";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { Badge } from "@/components/ui/badge";
import { inputClass } from "@/components/ui/field";
import { RunStatusBadge } from "@/components/runs/run-status";
import { searchWorkflows, triggerLabel } from "./workflow-search";
import {
  WorkflowFormDialog,
  type TemplateChoice,
  type WorkflowFormValues,
} from "./workflow-form-dialog";

type Workflow = RouterOutputs["workflow"]["list"][number];
type Tab = "active" | "deleted";

function StateBadge({ wf }: { wf: Workflow }) {
  if (wf.state === "draft" || !wf.latestVersion)
    return (
      <span title="No version saved yet: triggers and runs use the draft">
        <Badge tone="neutral">draft</Badge>
      </span>
    );
  return (
    <span className="inline-flex items-center gap-1">
      <Badge tone="success">v{wf.latestVersion.version}</Badge>
      {wf.state === "changed" && (
        <span title="The draft has changes not saved as a version yet">
          <Badge tone="warning">draft changes</Badge>
        </span>
      )}
    </span>
  );
}

export function WorkflowList({ templates }: { templates: readonly TemplateChoice[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor");
  const [tab, setTab] = useState<Tab>("active");
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Workflow | null>(null);
  const [notice, setNotice] = useState<{ text: string; undoId?: string } | null>(null);
  const [query, setQuery] = useState("");

  const list = useQuery(trpc.workflow.list.queryOptions({ deleted: tab === "deleted" }));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.workflow.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);

  const created = async (wf: { name: string }) => {
    setCreating(false);
    setNotice({ text: `Created “${wf.name}”.` });
    await refresh();
  };
  const createBlank = useMutation(trpc.workflow.create.mutationOptions({ onSuccess: created }));
  const createFromTemplate = useMutation(
    trpc.workflow.createFromTemplate.mutationOptions({ onSuccess: created }),
  );
  const create = {
    mutate: ({ template, ...v }: WorkflowFormValues) =>
      template
        ? createFromTemplate.mutate({ name: v.name, description: v.description, template })
        : createBlank.mutate(v),
    isPending: createBlank.isPending || createFromTemplate.isPending,
    error: createFromTemplate.error ?? createBlank.error,
    reset: () => {
      createBlank.reset();
      createFromTemplate.reset();
    },
  };
  const rename = useMutation(
    trpc.workflow.rename.mutationOptions({
      onSuccess: async (wf) => {
        setRenaming(null);
        setNotice({ text: `Renamed to “${wf.name}”.` });
        await refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.workflow.delete.mutationOptions({
      onSuccess: async (res, input) => {
        const name = list.data?.find((w) => w.id === input.id)?.name ?? "the workflow";
        setNotice({ text: `Deleted “${name}”.`, undoId: res.id });
        await refresh();
      },
    }),
  );
  const restore = useMutation(
    trpc.workflow.restore.mutationOptions({
      onSuccess: async () => {
        setNotice({ text: "Workflow restored." });
        await refresh();
      },
    }),
  );
  const actionError = remove.error ?? restore.error;
  const shown = useMemo(() => searchWorkflows(list.data ?? [], query), [list.data, query]);

  return (
    <>
      <PageHeader
        title="Workflows"
        description="Flows of blocks your workspace composes, governs and runs."
        actions={
          canEdit && (
            <Button
              variant="primary"
              onClick={() => {
                create.reset();
                setCreating(true);
              }}
            >
              New workflow
            </Button>
          )
        }
      />

      <div
        role="tablist"
        aria-label="Workflows"
        className="mb-3 flex gap-1 border-b border-zinc-200"
      >
        {(["active", "deleted"] as const).map((t) => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            onClick={() => setTab(t)}
            className={`-mb-px border-b-2 px-3 py-1.5 text-sm ${
              tab === t
                ? "border-accent-600 font-medium text-zinc-900"
                : "border-transparent text-zinc-600 hover:text-zinc-900"
            }`}
          >
            {t === "active" ? "Active" : "Deleted"}
          </button>
        ))}
      </div>

      <div className="mb-3 flex items-center gap-3">
        <input
          type="search"
          aria-label="Search workflows"
          placeholder="Search: name, description, trigger, state, last run"
          value={query}
          maxLength={200}
          onChange={(e) => setQuery(e.target.value)}
          className={`${inputClass} max-w-md`}
        />
        {list.data && query.trim() !== "" && (
          <p role="status" className="text-xs text-zinc-600">
            {shown.length} of {list.data.length} workflows
          </p>
        )}
      </div>

      {notice && (
        <Alert
          tone="success"
          className="mb-3"
          action={
            <div className="flex gap-1">
              {notice.undoId && canEdit && (
                <Button
                  size="sm"
                  pending={restore.isPending}
                  onClick={() => restore.mutate({ id: notice.undoId! })}
                >
                  Undo
                </Button>
              )}
              <Button
                size="sm"
                variant="ghost"
                aria-label="Dismiss"
                onClick={() => setNotice(null)}
              >
                ×
              </Button>
            </div>
          }
        >
          {notice.text}
        </Alert>
      )}
      {actionError && (
        <Alert tone="error" className="mb-3">
          {errorMessage(actionError)}
        </Alert>
      )}

      <div role="tabpanel" aria-label={tab === "active" ? "Active workflows" : "Deleted workflows"}>
        {list.isPending ? (
          <p className="py-8 text-center text-sm text-zinc-500">Loading workflows…</p>
        ) : list.error ? (
          <Alert tone="error">{errorMessage(list.error)}</Alert>
        ) : list.data.length > 0 && shown.length === 0 ? (
          <EmptyState title="No workflow matches">
            Nothing matches “{query.trim()}”. Change or clear the search.
          </EmptyState>
        ) : list.data.length === 0 ? (
          tab === "active" ? (
            <EmptyState
              title="No workflows yet"
              action={
                canEdit && (
                  <Button variant="primary" onClick={() => setCreating(true)}>
                    New workflow
                  </Button>
                )
              }
            >
              {canEdit
                ? "Create one to start composing blocks."
                : "Editors of this workspace create workflows; you can view them here."}
            </EmptyState>
          ) : (
            <EmptyState title="Nothing deleted">
              Deleted workflows can be restored from here.
            </EmptyState>
          )
        ) : (
          <Table label={tab === "active" ? "Workflows" : "Deleted workflows"}>
            <thead>
              <tr>
                <Th>Name</Th>
                <Th className="w-44">State</Th>
                <Th className="w-48">Trigger</Th>
                <Th className="w-64">Last run</Th>
                <Th className="w-36">{tab === "active" ? "Updated" : "Deleted"}</Th>
                {canEdit && (
                  <Th className="w-40">
                    <span className="sr-only">Actions</span>
                  </Th>
                )}
              </tr>
            </thead>
            <tbody>
              {shown.map((wf) => (
                <tr
                  key={wf.id}
                  className={tab === "active" ? "cursor-pointer hover:bg-zinc-50" : ""}
                  onClick={(e) => {
                    if (tab !== "active") return;
                    if ((e.target as HTMLElement).closest("a,button")) return;
                    router.push(`/studio/${wf.id}`);
                  }}
                >
                  <Td className="font-medium">
                    {tab === "active" ? (
                      <Link
                        href={`/studio/${wf.id}`}
                        className="text-zinc-900 hover:text-accent-700"
                      >
                        {wf.name}
                      </Link>
                    ) : (
                      <span className="text-zinc-600">{wf.name}</span>
                    )}
                    {wf.description && (
                      <p className="max-w-md truncate text-xs font-normal text-zinc-500">
                        {wf.description}
                      </p>
                    )}
                  </Td>
                  <Td>
                    <StateBadge wf={wf} />
                  </Td>
                  <Td className="text-xs">
                    {tab === "active" ? (
                      <Link
                        href={`/workflows/${wf.id}#triggers`}
                        className={`hover:underline ${wf.trigger?.type === "invalid" ? "text-red-700" : "text-zinc-800"}`}
                        aria-label={`Triggers of ${wf.name}: ${triggerLabel(wf.trigger)}`}
                      >
                        {wf.trigger?.type === "schedule" ? (
                          <>
                            Schedule{" "}
                            <code className="font-mono whitespace-nowrap">{wf.trigger.cron}</code>
                          </>
                        ) : (
                          triggerLabel(wf.trigger)
                        )}
                      </Link>
                    ) : (
                      triggerLabel(wf.trigger)
                    )}
                  </Td>
                  <Td className="text-xs">
                    {wf.lastRun ? (
                      <Link
                        href={`/runs/${wf.lastRun.id}`}
                        className="inline-flex items-center gap-1.5 hover:underline"
                        aria-label={`Last run of ${wf.name}: ${wf.lastRun.outcome.replaceAll("_", " ")}`}
                      >
                        <RunStatusBadge status={wf.lastRun.outcome} />
                        <span className="whitespace-nowrap text-zinc-600">
                          {formatDateTime(wf.lastRun.createdAt)}
                        </span>
                      </Link>
                    ) : (
                      <span className="text-zinc-500">never run</span>
                    )}
                  </Td>
                  <Td className="text-xs whitespace-nowrap text-zinc-600">
                    {formatDateTime(tab === "active" ? wf.updatedAt : wf.deletedAt)}
                  </Td>
                  {canEdit && (
                    <Td>
                      <div className="flex justify-end gap-1">
                        {tab === "active" ? (
                          <>
                            <Button
                              size="sm"
                              variant="ghost"
                              aria-label={`Rename ${wf.name}`}
                              onClick={() => {
                                rename.reset();
                                setRenaming(wf);
                              }}
                            >
                              Rename
                            </Button>
                            <Button
                              size="sm"
                              variant="ghost"
                              className="text-red-700 hover:bg-red-50"
                              aria-label={`Delete ${wf.name}`}
                              pending={remove.isPending && remove.variables?.id === wf.id}
                              onClick={() => remove.mutate({ id: wf.id })}
                            >
                              Delete
                            </Button>
                          </>
                        ) : (
                          <Button
                            size="sm"
                            aria-label={`Restore ${wf.name}`}
                            pending={restore.isPending && restore.variables?.id === wf.id}
                            onClick={() => restore.mutate({ id: wf.id })}
                          >
                            Restore
                          </Button>
                        )}
                      </div>
                    </Td>
                  )}
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </div>

      <WorkflowFormDialog
        open={creating}
        mode="create"
        templates={templates}
        pending={create.isPending}
        error={create.error}
        onSubmit={(v) => create.mutate(v)}
        onClose={() => setCreating(false)}
      />
      <WorkflowFormDialog
        open={renaming !== null}
        mode="rename"
        initial={renaming ? { name: renaming.name, description: renaming.description } : undefined}
        pending={rename.isPending}
        error={rename.error}
        onSubmit={(v) => renaming && rename.mutate({ id: renaming.id, name: v.name })}
        onClose={() => setRenaming(null)}
      />
    </>
  );
}
