"use client";

import Link from "next/link";
import { formatDateTime } from "@/lib/format";
import { formatDuration } from "@/lib/runs/run-state";
import type { LiveMode, RunDetail as RunRecord } from "@/lib/runs/use-run-live";
import type { RouterOutputs } from "@/lib/trpc/types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { TryInSandboxButton } from "@/components/sandbox/try-in-sandbox-button";
import { RunStatusBadge } from "./run-status";
import { runTitle } from "./run-title";

const LIVE_LABEL: Record<LiveMode, string> = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Live (polling every 2 s)",
  ended: "Run ended: no more updates",
};

/**
 * The run page's header: breadcrumb, title and badges, who started it and when, its duration and
 * agent cost, how the page follows it live, and the buttons that ask to cancel it or to replay it.
 */
export function RunHeader({
  run,
  usage,
  live,
  mode,
  duration,
  canCancel,
  onCancel,
  canReplay = false,
  onReplay,
}: {
  run: RunRecord;
  /** The run's model usage, once loaded. */
  usage: RouterOutputs["model"]["usageByRun"] | undefined;
  /** Whether the run may still change (not terminal). */
  live: boolean;
  mode: LiveMode;
  /** Ms since the run started (to now while it runs), null before it starts. */
  duration: number | null;
  /** Whether the user may cancel the run now. */
  canCancel: boolean;
  onCancel: () => void;
  /** Whether the user may ask for a replay of the run (an editor, on a failed run). */
  canReplay?: boolean;
  onReplay?: () => void;
}) {
  return (
    <header className="mb-3 flex items-start justify-between gap-4">
      <div className="min-w-0">
        <p className="text-xs text-zinc-500">
          <Link href="/runs" className="hover:underline">
            Runs
          </Link>{" "}
          / <span className="font-mono">{run.id.slice(0, 8)}</span>
        </p>
        <h1 className="flex items-center gap-2 text-lg font-semibold tracking-tight text-zinc-900">
          <span className="truncate" data-testid="run-title">
            {runTitle({ ...run, flowName: run.ir.name })}
          </span>
          {run.draft && (
            <span title="A draft run: kept out of trust scores and replays">
              <Badge tone="warning">Draft run</Badge>
            </span>
          )}
          <span data-testid="run-status">
            <RunStatusBadge status={run.outcome} />
          </span>
          {run.workflowId && !run.workflowDeleted && (
            <Link
              href={`/studio/${run.workflowId}`}
              className="ml-1 text-xs font-normal text-accent-700 hover:underline"
            >
              Open in studio
            </Link>
          )}
        </h1>
        <dl className="mt-1 flex flex-wrap gap-x-4 gap-y-0.5 text-xs text-zinc-600">
          <div className="flex gap-1">
            <dt>Started by</dt>
            <dd className="text-zinc-900">{run.startedBy ?? "—"}</dd>
          </div>
          <div className="flex gap-1">
            <dt>Queued</dt>
            <dd className="text-zinc-900">{formatDateTime(new Date(run.createdAt))}</dd>
          </div>
          <div className="flex gap-1">
            <dt>Finished</dt>
            <dd className="text-zinc-900">
              {run.finishedAt ? formatDateTime(new Date(run.finishedAt)) : "—"}
            </dd>
          </div>
          <div className="flex gap-1">
            <dt>Duration</dt>
            <dd className="text-zinc-900">{formatDuration(duration)}</dd>
          </div>
          <div className="flex gap-1">
            <dt>Agent cost</dt>
            <dd className="text-zinc-900" data-testid="run-cost">
              {usage
                ? usage.attempts === 0
                  ? "no agent steps billed"
                  : `$${usage.costUsd.toFixed(4)} · ${usage.tokensIn + usage.tokensOut} tokens`
                : "—"}
            </dd>
          </div>
          <div className="flex gap-1">
            <dt className="sr-only">Updates</dt>
            <dd data-testid="live-mode" className="flex items-center gap-1">
              {live && (
                <span
                  aria-hidden
                  className="inline-block size-1.5 animate-pulse rounded-full bg-emerald-500"
                />
              )}
              {LIVE_LABEL[mode]}
            </dd>
          </div>
        </dl>
      </div>
      {(canCancel || canReplay || run.status === "failed") && (
        <div className="flex shrink-0 items-start gap-2">
          <TryInSandboxButton run={run} />
          {canReplay && (
            <Button onClick={onReplay} aria-haspopup="dialog">
              Replay…
            </Button>
          )}
          {canCancel && (
            <Button variant="danger" onClick={onCancel}>
              Cancel run
            </Button>
          )}
        </div>
      )}
    </header>
  );
}
