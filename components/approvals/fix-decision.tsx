"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ReplayChoice } from "@/components/guardian/replay-choice";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { DecisionForm } from "./decision-form";

/**
 * The decision of a guardian fix in the inbox: accept it (the four-eyes guard decides its
 * approval, the fix is released as a new version) with the same replay choice as the Guardian
 * page, or reject it with a reason. The proposal's proof and diff are on the Guardian page.
 */
export function FixDecision({
  approvalId,
  subject,
  onDecided,
}: {
  approvalId: string;
  subject: string;
  /** What the decision changed, or the server's refusal (the card's `DecisionOutcome`). */
  onDecided: (outcome: { id: string; tone: "success" | "error"; text: string }) => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const fix = useQuery(trpc.guardianReview.forApproval.queryOptions({ approvalId }));
  const [replay, setReplay] = useState(true);
  const refresh = () => qc.invalidateQueries();
  const accept = useMutation(trpc.guardianReview.accept.mutationOptions({ onSettled: refresh }));
  const reject = useMutation(trpc.guardianReview.reject.mutationOptions({ onSettled: refresh }));
  const pending = accept.isPending || reject.isPending;
  const failed = accept.error ?? reject.error;
  const p = fix.data;
  if (fix.error) return <p className="text-sm text-red-700">{errorMessage(fix.error)}</p>;
  if (!p) return <p className="text-sm text-zinc-600">Loading the fix…</p>;

  const refused = (err: unknown) =>
    onDecided({
      id: approvalId,
      tone: "error",
      text: `Not decided: ${subject}. ${errorMessage(err) ?? ""}`.trim(),
    });
  const decide = (decision: "approve" | "reject", text: string) => {
    if (decision === "approve")
      accept.mutate(
        { id: p.proposalId, replay, ...(text ? { comment: text } : {}) },
        {
          onSuccess: (r) => {
            const asked = r.replays.filter((x) => x.approvalId).length;
            const job = r.reprocess?.approvalId ? 1 : 0;
            onDecided({
              id: approvalId,
              tone: "success",
              text:
                r.release.status === "void"
                  ? `The fix is void: ${r.release.why ?? "its flow changed"}`
                  : `Released ${subject} as version ${r.release.version}.` +
                    (replay
                      ? asked || job
                        ? ` Asked for ${asked} replay${asked === 1 ? "" : "s"}${job ? " and a reprocess job of the dead letters" : ""}: another person approves each.`
                        : " Its replays are being asked for: they appear here for another person to approve."
                      : ""),
            });
          },
          onError: refused,
        },
      );
    else
      reject.mutate(
        { id: p.proposalId, reason: text },
        {
          onSuccess: () =>
            onDecided({ id: approvalId, tone: "success", text: `Rejected ${subject}.` }),
          onError: refused,
        },
      );
  };
  const errors = formErrors(failed);
  return (
    <DecisionForm
      subject={subject}
      pending={pending}
      serverErrors={[...(errors.fields.comment ?? []), ...(errors.fields.reason ?? [])]}
      onDecide={decide}
      hint="Optional to accept, required to reject (the reason is kept with the proposal)."
      approveLabel={`Accept and release ${p.nextVersion}`}
    >
      <ReplayChoice
        approvalId={approvalId}
        version={p.nextVersion}
        checked={replay}
        onChange={setReplay}
      />
    </DecisionForm>
  );
}
