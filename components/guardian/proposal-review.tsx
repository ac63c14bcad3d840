"use client";

import dynamic from "next/dynamic";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { ProposalEvidence } from "./proposal-evidence";
import { ReleaseReprocess } from "./release-reprocess";
import { ReplayChoice } from "./replay-choice";
import type { ProposalView } from "./guardian-view";

const ProposalCompare = dynamic(() => import("./proposal-compare").then((m) => m.ProposalCompare), {
  ssr: false,
  loading: () => <p className="p-4 text-sm text-zinc-500">Loading comparison…</p>,
});

/**
 * A proposal's review panel (issue 18, item 5): its sandbox proof (the evidence), the text and
 * graph diff of the patch, and the decision. Accepting is an approval under the four-eyes guard
 * (approvers and admins, never the proposer) and needs a passing proof; the accepted fix is
 * released as a new version, and the failed runs can be replayed (each replay approved by
 * another person). Rejecting keeps the reason.
 */
export function ProposalReview({ proposal: p }: { proposal: ProposalView }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [compare, setCompare] = useState(false);
  const [comment, setComment] = useState("");
  const [replay, setReplay] = useState(true);
  const [reason, setReason] = useState("");
  const review = useQuery({
    ...trpc.guardianReview.reviews.queryOptions({ ids: [p.id] }),
    refetchInterval: (q) => {
      const d = q.state.data?.[0];
      const s = d?.status ?? p.status;
      // Replays chosen with a release are asked for by whichever caller released it.
      const asking = d?.release && d.replayOnRelease && !d.release.replaysAsked;
      return s === "proving" || s === "proposed" || s === "approved" || asking ? 3_000 : 15_000;
    },
  });
  const r = review.data?.[0];
  const status = r?.status ?? p.status;
  const refresh = () => qc.invalidateQueries();
  const prove = useMutation(trpc.guardianReview.prove.mutationOptions({ onSuccess: refresh }));
  const accept = useMutation(trpc.guardianReview.accept.mutationOptions({ onSuccess: refresh }));
  const reject = useMutation(trpc.guardianReview.reject.mutationOptions({ onSuccess: refresh }));
  const failed = prove.error ?? accept.error ?? reject.error;
  const open = status === "proposed" || status === "proven" || status === "unproven";
  const subject = `fix “${p.title}”`;
  return (
    <section
      aria-label={`Review of ${subject}`}
      className="space-y-3 border-t border-zinc-100 pt-2"
    >
      <h5 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">
        Evidence and decision
      </h5>
      {(status === "proposed" || status === "proving") && (
        <p className="text-sm text-zinc-700" role="status">
          {status === "proving"
            ? "Proving in the sandbox: the recorded failing runs and recent successful runs are replayed with the fix."
            : r?.proof
              ? "Waiting to be proved again: the group recorded failures after this proof, so its approval was voided; a passing proof asks again."
              : "Waiting for its sandbox proof (new fixes are proved in the background)."}
        </p>
      )}
      {r?.proof && <ProposalEvidence proof={r.proof} />}
      {(status === "void" || status === "rejected") && r?.reason && (
        <Alert tone={status === "void" ? "warning" : "info"}>
          {status === "void" ? "Void: " : "Rejected: "}
          {r.reason}
        </Alert>
      )}
      {r?.approval && (
        <p className="text-xs text-zinc-600">
          <Link href="/approvals" className="text-accent-700 hover:underline">
            Approval
          </Link>{" "}
          {r.approval.status}, requested by {r.approval.requesterLabel ?? "the guardian"}
          {r.approval.decisions
            .map((d) => `; ${d.decision} by ${d.label}${d.comment ? ` (“${d.comment}”)` : ""}`)
            .join("")}
          .
        </p>
      )}
      {r?.release && (
        <div data-testid="proposal-release" className="space-y-1 text-sm text-zinc-800">
          <p>
            Released as version <span className="font-mono">{r.release.version}</span> by{" "}
            {r.release.releasedBy}, {new Date(r.release.releasedAt).toLocaleString()}.
          </p>
          {r.release.replays.length > 0 && (
            <ul aria-label="Replays of the failed runs" className="text-xs text-zinc-700">
              {r.release.replays.map((x) => (
                <li key={x.approvalId ?? x.runId}>
                  Run <span className="font-mono">{x.runId.slice(0, 8)}</span>: replay{" "}
                  {x.replayRunId ? (
                    <Link
                      className="text-accent-700 hover:underline"
                      href={`/runs/${x.replayRunId}`}
                    >
                      {x.replayStatus}
                    </Link>
                  ) : x.approvalStatus === "pending" ? (
                    <Link className="text-accent-700 hover:underline" href="/approvals">
                      waits for another approver
                    </Link>
                  ) : (
                    (x.approvalStatus ?? "not requested")
                  )}
                </li>
              ))}
            </ul>
          )}
          <ReleaseReprocess proposalId={p.id} release={r.release} wanted={r.replayOnRelease} />
        </div>
      )}

      <Button size="sm" aria-expanded={compare} onClick={() => setCompare(!compare)}>
        {compare ? "Hide the comparison" : "Compare text and graph"}
      </Button>
      {compare && p.baseText !== null && (
        <div className="relative h-[28rem] overflow-hidden rounded border border-zinc-200">
          <ProposalCompare
            before={{ label: `Version ${p.baseVersion}`, text: p.baseText }}
            after={{ label: `Proposed ${p.nextVersion}`, text: p.text }}
            onClose={() => setCompare(false)}
          />
        </div>
      )}

      {failed && <Alert tone="error">{errorMessage(failed) ?? "That did not work."}</Alert>}
      {(status === "proposed" || status === "unproven") && (
        <Button size="sm" disabled={prove.isPending} onClick={() => prove.mutate({ id: p.id })}>
          {status === "unproven" ? "Prove again" : "Prove now"}
        </Button>
      )}
      {status === "proven" && (
        <form
          aria-label={`Accept ${subject}`}
          className="space-y-2"
          onSubmit={(e) => {
            e.preventDefault();
            accept.mutate({ id: p.id, replay, ...(comment.trim() ? { comment } : {}) });
          }}
        >
          <TextField
            label="Comment (optional)"
            value={comment}
            maxLength={2000}
            onChange={(e) => setComment(e.target.value)}
            errors={formErrors(accept.error).fields.comment}
          />
          <ReplayChoice
            approvalId={r?.approval?.id ?? null}
            version={p.nextVersion}
            checked={replay}
            onChange={setReplay}
          />
          <Button type="submit" variant="primary" size="sm" disabled={accept.isPending}>
            Accept and release {p.nextVersion}
          </Button>
        </form>
      )}
      {open && (
        <form
          aria-label={`Reject ${subject}`}
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            reject.mutate({ id: p.id, reason });
          }}
        >
          <div className="min-w-64 flex-1">
            <TextField
              label="Reason to reject"
              value={reason}
              maxLength={2000}
              onChange={(e) => setReason(e.target.value)}
              errors={formErrors(reject.error).fields.reason}
            />
          </div>
          <Button type="submit" size="sm" disabled={reject.isPending}>
            Reject
          </Button>
        </form>
      )}
    </section>
  );
}
