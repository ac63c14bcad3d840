"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import { replayChoiceText } from "./guardian-view";

/**
 * The replay choice of a fix's acceptance (the Approvals inbox and the Guardian page offer the
 * same): with it, the release asks for replays of the group's failed runs from their failing
 * step on the new version, and reprocessing of their open dead letters, each an approval
 * another person decides. Counts what would be replayed now.
 */
export function ReplayChoice({
  approvalId,
  version,
  checked,
  onChange,
}: {
  /** The fix's approval (null: not requested yet, no counts). */
  approvalId: string | null;
  version: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const trpc = useTRPC();
  const fix = useQuery({
    ...trpc.guardianReview.forApproval.queryOptions({ approvalId: approvalId ?? "" }),
    enabled: approvalId !== null,
  });
  return (
    <label className="flex items-start gap-2 text-sm text-zinc-800">
      <input
        type="checkbox"
        className="mt-1"
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
      />
      <span>{replayChoiceText(fix.data?.replay, version)}</span>
    </label>
  );
}
