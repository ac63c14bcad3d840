"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  JOB_STATE_LABEL,
  JOB_STATE_TONE,
  jobActions,
  progressPercent,
  progressText,
  type ReprocessJobView,
} from "./dead-letter-view";

const ACTION_LABEL = { pause: "Pause", resume: "Resume", cancel: "Cancel" } as const;

function JobCard({ job }: { job: ReprocessJobView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canChange = useCan("editor");
  const change = useMutation(
    trpc.deadLetter.changeJob.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.deadLetter.pathFilter()),
    }),
  );
  const pct = progressPercent(job.progress);
  const title = `Job ${job.id.slice(0, 8)}`;
  return (
    <li
      aria-label={title}
      data-testid={`reprocess-job-${job.id}`}
      data-state={job.state}
      className="space-y-2 rounded-lg border border-zinc-200 bg-white p-3"
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex items-center gap-2">
          <span className="font-mono text-xs text-zinc-800">{job.id.slice(0, 8)}</span>
          <Badge tone={JOB_STATE_TONE[job.state]}>
            <span className="sr-only">State: </span>
            {JOB_STATE_LABEL[job.state]}
          </Badge>
        </div>
        <span className="text-xs text-zinc-600">
          requested by {job.requester.label} · {formatDateTime(job.createdAt)}
        </span>
      </div>
      <div
        role="progressbar"
        aria-label={`Progress of ${title}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        className="h-1.5 overflow-hidden rounded bg-zinc-100"
      >
        <div
          className={`h-full ${job.progress.failed ? "bg-red-500" : "bg-accent-600"}`}
          style={{ width: `${pct}%` }}
        />
      </div>
      <p className="text-xs text-zinc-700">{progressText(job.progress)}</p>
      <p className="text-xs text-zinc-600">
        Canary {job.canary} · at most {job.ratePerMinute}/min ·{" "}
        {job.stopOnFailure ? "stops on the first failure" : "continues after failures"}
        {job.approval && job.state === "pending-approval" && (
          <>
            {" · "}
            <Link href="/approvals" className="text-accent-700 hover:underline">
              approval {job.approval.status}
            </Link>
          </>
        )}
      </p>
      {job.stopReason && (
        <p className="text-xs text-red-700" data-testid="reprocess-stop-reason">
          {job.stopReason}
        </p>
      )}
      {canChange && jobActions(job.state).length > 0 && (
        <div className="flex gap-2">
          {jobActions(job.state).map((action) => (
            <Button
              key={action}
              size="sm"
              variant={action === "cancel" ? "danger" : "secondary"}
              pending={change.isPending && change.variables?.action === action}
              aria-label={`${ACTION_LABEL[action]} ${title.toLowerCase()}`}
              onClick={() => change.mutate({ id: job.id, action })}
            >
              {ACTION_LABEL[action]}
            </Button>
          ))}
        </div>
      )}
      {change.error && <Alert tone="error">{errorMessage(change.error)}</Alert>}
    </li>
  );
}

/** The workspace's reprocess jobs with their progress and state, refreshed while they run. */
export function ReprocessJobs() {
  const trpc = useTRPC();
  const jobs = useQuery({
    ...trpc.deadLetter.jobs.queryOptions({ limit: 20 }),
    refetchInterval: 3000,
  });
  const items = jobs.data?.items ?? [];
  return (
    <section aria-labelledby="reprocess-jobs-title" className="mt-8">
      <h2 id="reprocess-jobs-title" className="mb-2 text-sm font-semibold text-zinc-900">
        Reprocess jobs
      </h2>
      {jobs.error && <Alert tone="error">{errorMessage(jobs.error)}</Alert>}
      {jobs.isPending ? (
        <p className="text-sm text-zinc-600">Loading jobs…</p>
      ) : items.length === 0 ? (
        <p className="text-sm text-zinc-600">
          No reprocess jobs yet. Select dead letters above and choose “Reprocess…”.
        </p>
      ) : (
        <ul aria-label="Reprocess jobs" className="grid gap-2 md:grid-cols-2">
          {items.map((j) => (
            <JobCard key={j.id} job={j} />
          ))}
        </ul>
      )}
    </section>
  );
}
