"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import type { GroupDetail, GroupView } from "./guardian-view";

/**
 * An editor's merge and split of a group: merging another group in, or splitting a message
 * template off. Each becomes a rule the guardian obeys for the next failures (and is audited).
 */
export function GroupCuration({
  group,
  others,
  onMoved,
}: {
  group: GroupDetail;
  others: GroupView[];
  onMoved: (id: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canCurate = useCan("editor");
  const ids = useId();
  const [from, setFrom] = useState("");
  const [reason, setReason] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.guardian.pathFilter());
  const merge = useMutation(
    trpc.guardian.merge.mutationOptions({
      onSuccess: async (r) => {
        setDone(
          `Merged: failures like those now join this group (rule ${r.rules[0]!.slice(0, 8)}).`,
        );
        setFrom("");
        setReason("");
        await refresh();
      },
    }),
  );
  const split = useMutation(
    trpc.guardian.split.mutationOptions({
      onSuccess: async (r) => {
        setDone(`Split off ${r.moved} failure(s) into a group of their own.`);
        await refresh();
        onMoved(r.id);
      },
    }),
  );
  if (!canCurate) return null;
  const candidates = others.filter((o) => o.id !== group.id && o.status === "open");
  const error = merge.error ?? split.error;
  return (
    <div className="space-y-3 rounded-md bg-zinc-50 p-3 text-sm">
      <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">
        Teach the grouping
      </h3>
      {error && <Alert tone="error">{errorMessage(error) ?? "That did not work."}</Alert>}
      {done && <Alert tone="success">{done}</Alert>}
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (from) merge.mutate({ into: group.id, from: [from], reason });
        }}
      >
        <div className="flex flex-col gap-1">
          <label htmlFor={`${ids}-from`} className="text-xs font-medium text-zinc-700">
            Merge into this group
          </label>
          <select
            id={`${ids}-from`}
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            className="h-8 max-w-sm rounded-md border border-zinc-300 bg-white px-2 text-xs"
          >
            <option value="">Choose a group on this page…</option>
            {candidates.map((o) => (
              <option key={o.id} value={o.id}>
                {o.flowName}: {o.stepId} · {o.errorName}
                {o.httpStatus ? ` ${o.httpStatus}` : ""} ({o.count})
              </option>
            ))}
          </select>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor={`${ids}-reason`} className="text-xs font-medium text-zinc-700">
            Reason (optional)
          </label>
          <input
            id={`${ids}-reason`}
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
            className="h-8 w-56 rounded-md border border-zinc-300 bg-white px-2 text-xs"
          />
        </div>
        <Button type="submit" size="sm" disabled={!from} pending={merge.isPending}>
          Merge
        </Button>
      </form>
      {group.templates.length > 1 && (
        <ul aria-label="Message templates in this group" className="space-y-1">
          {group.templates.map((t) => (
            <li key={t.template} className="flex items-center gap-2 text-xs">
              <span className="min-w-0 flex-1 truncate font-mono" title={t.template}>
                {t.template}
              </span>
              <span className="text-zinc-600">{t.count}</span>
              <Button
                size="sm"
                pending={split.isPending && split.variables?.template === t.template}
                onClick={() => split.mutate({ id: group.id, template: t.template, reason })}
              >
                Split off<span className="sr-only"> the template {t.template}</span>
              </Button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
