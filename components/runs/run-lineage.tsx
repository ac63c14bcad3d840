"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef } from "react";
import { formatDateTime } from "@/lib/format";
import { isTerminal } from "@/lib/runs/run-state";
import type { RunDetail as RunRecord } from "@/lib/runs/use-run-live";
import { useTRPC } from "@/lib/trpc/client";
import { replayPlanOf } from "@/components/approvals/approval-view";
import { RunStatusBadge } from "./run-status";

const MODE_TEXT = {
  resume: "resumed from the failed step",
  "from-step": "restarted from step",
  full: "rerun in full",
} as const;

/**
 * A run's replay lineage, on both runs: a replay run names the run it replays (how, the plan's
 * hash, who approved it); a replayed run lists its replays, and the replay requests still
 * waiting for an approver. Nothing is shown for a run with no lineage.
 */
export function RunLineage({ run }: { run: RunRecord }) {
  const trpc = useTRPC();
  const { replayOf, replays } = run.lineage;
  const approvalId = run.replayApproval?.approvalId ?? null;
  const approval = useQuery({
    ...trpc.approval.get.queryOptions({ id: approvalId ?? "" }),
    enabled: approvalId !== null,
  });
  // Only a finished run is replayed: its pending requests, polled like the inbox.
  const requests = useQuery({
    ...trpc.approval.list.queryOptions({ runId: run.id, kind: "replay", status: "pending" }),
    enabled: isTerminal(run.status) && !run.draft,
    refetchInterval: 10_000,
  });
  const pending = requests.data?.items ?? [];
  // A request decided meanwhile may have started a replay: the run's lineage is read again.
  const queryClient = useQueryClient();
  const waiting = requests.data?.items.length;
  const before = useRef(waiting);
  useEffect(() => {
    if (before.current !== undefined && waiting !== undefined && waiting < before.current)
      void queryClient.invalidateQueries({ queryKey: trpc.run.get.queryKey({ id: run.id }) });
    before.current = waiting;
  }, [waiting, queryClient, trpc, run.id]);
  if (!replayOf && replays.length === 0 && pending.length === 0) return null;

  const plan = replayPlanOf(approval.data?.plan);
  const approvers = (approval.data?.decisions ?? []).filter((d) => d.decision === "approve");
  return (
    <section
      aria-label="Replay lineage"
      data-testid="run-lineage"
      className="mb-3 space-y-1 rounded-md border border-zinc-200 bg-white px-3 py-2 text-sm text-zinc-700"
    >
      {replayOf && (
        <p data-testid="replay-of">
          Replay of run{" "}
          <Link
            href={`/runs/${replayOf.id}`}
            aria-label={`Run ${replayOf.id}`}
            className="font-mono text-accent-700 underline"
          >
            {replayOf.id.slice(0, 8)}
          </Link>{" "}
          <RunStatusBadge status={replayOf.status} />
          {plan && (
            <>
              {" "}
              — {MODE_TEXT[plan.mode]}
              {plan.mode === "from-step" && plan.fromStep && (
                <>
                  {" "}
                  <span className="font-mono">{plan.fromStep}</span>
                </>
              )}
            </>
          )}
          {run.replayApproval && (
            <>
              {", "}plan{" "}
              <span className="font-mono" title={run.replayApproval.planHash}>
                {run.replayApproval.planHash.slice(0, 12)}
              </span>
            </>
          )}
          {approvers.length > 0 && (
            <>
              {", "}approved by{" "}
              {approvers.map((d, i) => (
                <span key={d.userId}>
                  {i > 0 && ", "}
                  <span className="font-medium text-zinc-900">{d.label}</span>
                  {d.breakGlass && " (break glass)"}
                </span>
              ))}{" "}
              on {formatDateTime(approvers.at(-1)!.at)}
            </>
          )}
          .
        </p>
      )}
      {replays.length > 0 && (
        <div data-testid="replays">
          <p>Replayed {replays.length === 1 ? "once" : `${replays.length} times`}:</p>
          <ul className="mt-0.5 space-y-0.5">
            {replays.map((r) => (
              <li key={r.id} className="flex items-center gap-2">
                <Link
                  href={`/runs/${r.id}`}
                  aria-label={`Run ${r.id}`}
                  className="font-mono text-accent-700 underline"
                >
                  {r.id.slice(0, 8)}
                </Link>
                <RunStatusBadge status={r.status} />
                <span className="text-xs text-zinc-500">{formatDateTime(r.createdAt)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {pending.length > 0 && (
        <p data-testid="replay-requests">
          {pending.length === 1
            ? "A replay request waits"
            : `${pending.length} replay requests wait`}{" "}
          for an approver (requested by{" "}
          {[...new Set(pending.map((p) => p.requester?.label ?? "someone"))].join(", ")}):{" "}
          <Link href="/approvals" className="text-accent-700 underline">
            open the Approvals inbox
          </Link>
          .
        </p>
      )}
    </section>
  );
}
