"use client";

import Link from "next/link";
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
 * its approval and progress.
 */
export function ReleaseReprocess({ release, wanted }: { release: Release; wanted: boolean }) {
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
