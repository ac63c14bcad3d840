"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";

const OUTCOME = {
  proposed: { label: "proposed", tone: "success" },
  discarded: { label: "discarded", tone: "warning" },
  failed: { label: "call failed", tone: "danger" },
} as const;

/**
 * A group's model requests (issue 18): each with its model, outcome and, for an answer not
 * used, why (not JSON, not a valid patch, an edit that does not apply, does not compile). Editors
 * ask the workspace's guardian model for a proposal now, when the group is patchable.
 */
export function ModelAttempts({ groupId, patchable }: { groupId: string; patchable: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isEditor = useCan("editor");
  const attempts = useQuery(trpc.guardianModel.attempts.queryOptions({ id: groupId }));
  const setting = useQuery(trpc.guardianModel.get.queryOptions());
  const ask = useMutation(
    trpc.guardianModel.propose.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.guardianModel.pathFilter()),
          queryClient.invalidateQueries(trpc.guardian.pathFilter()),
        ]),
    }),
  );
  const rows = attempts.data ?? [];
  const model = setting.data?.model;
  if (!rows.length && !(isEditor && patchable && model)) return null;
  return (
    <div className="space-y-2">
      <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">
        Model requests
      </h3>
      {attempts.error && <Alert tone="error">{errorMessage(attempts.error)}</Alert>}
      {rows.length > 0 && (
        <ul className="space-y-1 text-sm">
          {rows.map((a) => {
            const o = OUTCOME[a.outcome as keyof typeof OUTCOME] ?? OUTCOME.failed;
            return (
              <li key={a.id} className="flex flex-wrap items-center gap-2">
                <Badge tone={o.tone}>{o.label}</Badge>
                <span className="text-zinc-700">{a.modelLabel}</span>
                <span className="text-xs text-zinc-500">
                  {new Date(a.createdAt).toLocaleString()}, asked by {a.requestedBy}
                  {a.costUsd > 0 ? `, $${a.costUsd.toFixed(4)}` : ""}
                </span>
                {a.reason && <span className="w-full text-xs text-zinc-600">{a.reason}</span>}
              </li>
            );
          })}
        </ul>
      )}
      {isEditor && patchable && model && (
        <Button size="sm" disabled={ask.isPending} onClick={() => ask.mutate({ id: groupId })}>
          {ask.isPending
            ? "Asking the model…"
            : `Ask ${setting.data?.label ?? "the model"} for a fix`}
        </Button>
      )}
      {ask.data && ask.data.outcome !== "proposed" && (
        <Alert tone="warning">
          The model&rsquo;s answer was not used ({ask.data.reason}): {ask.data.detail}
        </Alert>
      )}
      {ask.error && <Alert tone="error">{errorMessage(ask.error)}</Alert>}
    </div>
  );
}
