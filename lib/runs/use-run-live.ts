"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import type { RouterOutputs } from "@/lib/trpc/types";
import { readSelectedWorkspace } from "@/lib/workspace-selection";
import { isTerminal, mergeEvents } from "./run-state";

export type RunDetail = RouterOutputs["run"]["get"];
export type RunEvent = RunDetail["events"][number];

/** How the view follows the run: the event stream, or `run.get` every 2 s when SSE fails. */
export type LiveMode = "connecting" | "live" | "polling" | "ended";

const POLL_MS = 2000;

/**
 * A run kept up to date: `run.get` is the source of truth (attempts, status, output); the SSE
 * stream (`/api/runs/<id>/events`) delivers events as they are written and makes `run.get`
 * refetch. When the stream cannot be opened or breaks, `run.get` is polled every 2 s until the
 * run ends.
 */
export function useRunLive(runId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const workspace = useCurrentWorkspace();
  const [mode, setMode] = useState<LiveMode>("connecting");
  const [streamed, setStreamed] = useState<RunEvent[]>([]);
  const runQuery = useQuery({
    ...trpc.run.get.queryOptions({ id: runId }),
    staleTime: 0,
    refetchInterval: (q) =>
      mode === "polling" && !isTerminal(q.state.data?.status) ? POLL_MS : false,
  });
  const terminal = isTerminal(runQuery.data?.status);
  const workspaceId = readSelectedWorkspace() ?? workspace.data?.id ?? null;
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (!workspaceId || terminal) return;
    const refresh = () => {
      // Events arrive in bursts (one checkpoint writes several): one refetch per burst.
      if (refetchTimer.current) return;
      refetchTimer.current = setTimeout(() => {
        refetchTimer.current = null;
        void queryClient.invalidateQueries({
          queryKey: trpc.run.get.queryKey({ id: runId }),
        });
        void queryClient.invalidateQueries({
          queryKey: trpc.model.usageByRun.queryKey({ runId }),
        });
      }, 150);
    };
    const url = `/api/runs/${runId}/events?workspace=${encodeURIComponent(workspaceId)}`;
    const source = new EventSource(url);
    source.onopen = () => setMode("live");
    source.addEventListener("run-event", (msg) => {
      const event = JSON.parse((msg as MessageEvent<string>).data) as RunEvent;
      setStreamed((prev) => mergeEvents(prev, [event]));
      refresh();
    });
    source.addEventListener("end", () => {
      source.close();
      setMode("ended");
      refresh();
    });
    const fallBack = () => {
      source.close();
      setMode("polling");
      void queryClient.invalidateQueries({ queryKey: trpc.run.get.queryKey({ id: runId }) });
    };
    source.addEventListener("stream-error", fallBack);
    source.onerror = fallBack;
    return () => {
      source.close();
      if (refetchTimer.current) clearTimeout(refetchTimer.current);
      refetchTimer.current = null;
    };
  }, [runId, workspaceId, terminal, queryClient, trpc]);

  const events = useMemo(
    () => mergeEvents(runQuery.data?.events ?? [], streamed),
    [runQuery.data?.events, streamed],
  );
  return {
    run: runQuery.data,
    error: runQuery.error,
    isPending: runQuery.isPending,
    events,
    mode: terminal ? ("ended" as const) : mode,
  };
}
