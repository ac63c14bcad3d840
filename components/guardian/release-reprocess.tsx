"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import type { RouterOutputs } from "@/lib/trpc/types";

type Release = NonNullable<RouterOutputs["guardianReview"]["reviews"][number]["release"]>;

const JOB_WORDS: Record<string, string> = {
  "pending-approval": "waits for another approver",
  canary: "running its canary",
  running: "running",
  paused: "paused",
  completed: "completed",
  stopped: "stopped",
  rejected: "rejected",
  cancelled: "cancelled",
};

/**
 * Below a release: that its chosen replays are being asked for, then the reprocess job of the
 * group's dead letters on the released version (issue 15's approval-gated reprocessing) with
 * its approval and progress. A release whose acceptance chose no replays (an approval decided
 * in the inbox or over the API without the choice) offers to ask for them now, once.
 */
export function ReleaseReprocess({
  proposalId,
  release,
  wanted,
}: {
  proposalId: string;
  release: Release;
  wanted: boolean;
}) {
  if (!wanted && !release.replaysAsked) return <AskReplays proposalId={proposalId} />;
  if (wanted && !release.replaysAsked)
    return (
      <p role="status" className="text-xs text-zinc-700">
        Asking for the replays chosen with the release…
      </p>
    );
  const j = release.reprocess;
  if (!j) return null;
  const words = JOB_WORDS[j.state] ?? j.state;
  return (
    <p data-testid="release-reprocess" className="text-xs text-zinc-700">
      Reprocessing of {j.total} dead letter{j.total === 1 ? "" : "s"} on this version:{" "}
      <Link
        className="text-accent-700 hover:underline"
        href={j.state === "pending-approval" ? "/approvals" : "/dead-letters"}
      >
        {words}
      </Link>
      {j.state !== "pending-approval" &&
        ` · ${j.succeeded} of ${j.total} succeeded${j.failed ? `, ${j.failed} failed` : ""}`}
    </p>
  );
}

/** Asks for a release's replays when none were chosen with its acceptance. */
function AskReplays({ proposalId }: { proposalId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const ask = useMutation(
    trpc.guardianReview.replay.mutationOptions({ onSettled: () => qc.invalidateQueries() }),
  );
  return (
    <div className="space-y-1">
      <Button size="sm" pending={ask.isPending} onClick={() => ask.mutate({ id: proposalId })}>
        Replay the failed runs on this version
      </Button>
      <p className="text-xs text-zinc-600">
        No replays were chosen with the release. Each replay (and the reprocessing of dead letters)
        is approved by another person.
      </p>
      {ask.error && <Alert tone="error">{errorMessage(ask.error) ?? "Not asked."}</Alert>}
    </div>
  );
}
