/**
 * A proposal's review as the Guardian page and the REST API show it (issue 18, items 5–6): its
 * status and reason, its proof, its `fix` approval (status, requester, decisions), and once
 * released the version, the replays of the group's failed runs (each replay's approval and
 * run) and the reprocess job of its dead letters (its approval and progress). Read in a bounded
 * number of queries for up to 100 proposals at once.
 */
import type { Actor, Db } from "../types";
import type { Proof } from "./proof-evaluate";

export interface ReviewApproval {
  id: string;
  status: string;
  requesterLabel: string | null;
  decisions: { label: string; decision: string; comment: string | null; at: string }[];
}

export interface ReviewReplay {
  runId: string;
  approvalId: string | null;
  approvalStatus: string | null;
  replayRunId: string | null;
  replayStatus: string | null;
}

/** The reprocess job of a release's dead letters (issue 15's approval-gated reprocessing). */
export interface ReviewReprocess {
  jobId: string;
  approvalId: string | null;
  approvalStatus: string | null;
  state: string;
  total: number;
  succeeded: number;
  failed: number;
}

export interface ProposalReview {
  id: string;
  status: string;
  /** The approver chose replays (and reprocessing) with the release. */
  replayOnRelease: boolean;
  /** A rejection's reason, or why the proposal is void. */
  reason: string | null;
  proof: Proof | null;
  approval: ReviewApproval | null;
  release: {
    version: string;
    releasedAt: string;
    releasedBy: string;
    replays: ReviewReplay[];
    /** Whether the release's replays were asked for (by the caller that claimed them). */
    replaysAsked: boolean;
    reprocess: ReviewReprocess | null;
  } | null;
}

/** The reviews of `ids` (of the actor's workspace), in the order asked; unknown ids are left out. */
export async function proposalReviews(
  db: Db,
  actor: Actor,
  ids: readonly string[],
): Promise<ProposalReview[]> {
  const rows = await db.guardianProposal.findMany({
    where: { id: { in: ids.slice(0, 100) }, workspaceId: actor.workspaceId },
    select: {
      id: true,
      status: true,
      rejectReason: true,
      proof: true,
      approvalId: true,
      replayOnRelease: true,
    },
  });
  const releases = await db.guardianRelease.findMany({
    where: { proposalId: { in: rows.map((r) => r.id) } },
  });
  const replayApprovalIds = releases.flatMap((r) => r.replayApprovalIds as string[]);
  const jobIds = releases.flatMap((r) => (r.reprocessJobId ? [r.reprocessJobId] : []));
  const jobs = jobIds.length
    ? await db.reprocessJob.findMany({
        where: { id: { in: jobIds }, workspaceId: actor.workspaceId },
        select: {
          id: true,
          approvalId: true,
          state: true,
          total: true,
          succeeded: true,
          failed: true,
        },
      })
    : [];
  const approvalIds = [
    ...rows.flatMap((r) => (r.approvalId ? [r.approvalId] : [])),
    ...replayApprovalIds,
    ...jobs.flatMap((j) => (j.approvalId ? [j.approvalId] : [])),
  ];
  const approvals = approvalIds.length
    ? await db.approval.findMany({
        where: { id: { in: approvalIds }, workspaceId: actor.workspaceId },
        select: {
          id: true,
          status: true,
          runId: true,
          requesterLabel: true,
          decisions: {
            orderBy: { createdAt: "asc" },
            select: { label: true, decision: true, comment: true, createdAt: true },
            take: 20,
          },
        },
      })
    : [];
  const byId = new Map(approvals.map((a) => [a.id, a]));
  const replayRuns = replayApprovalIds.length
    ? await db.run.findMany({
        where: {
          workspaceId: actor.workspaceId,
          replayOfRunId: { in: releases.flatMap((r) => r.replayRunIds as string[]) },
        },
        orderBy: { createdAt: "desc" },
        select: { id: true, status: true, replayOfRunId: true, version: true },
        take: 2000,
      })
    : [];
  const releaseOf = new Map(releases.map((r) => [r.proposalId, r]));
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows
    .sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
    .map((p) => {
      const a = p.approvalId ? byId.get(p.approvalId) : undefined;
      const r = releaseOf.get(p.id);
      const job = r?.reprocessJobId ? jobs.find((j) => j.id === r.reprocessJobId) : undefined;
      return {
        id: p.id,
        status: p.status,
        replayOnRelease: p.replayOnRelease,
        reason: p.rejectReason,
        proof: (p.proof ?? null) as Proof | null,
        approval: a
          ? {
              id: a.id,
              status: a.status,
              requesterLabel: a.requesterLabel,
              decisions: a.decisions.map((d) => ({
                label: d.label,
                decision: d.decision,
                comment: d.comment,
                at: d.createdAt.toISOString(),
              })),
            }
          : null,
        release: r
          ? {
              version: r.version,
              releasedAt: r.releasedAt.toISOString(),
              releasedBy: r.releasedBy,
              replays: (r.replayApprovalIds as string[]).map((approvalId) => {
                const ra = byId.get(approvalId);
                const runId = ra?.runId ?? "";
                const run = replayRuns.find(
                  (x) => x.replayOfRunId === runId && x.version === r.version,
                );
                return {
                  runId,
                  approvalId,
                  approvalStatus: ra?.status ?? null,
                  replayRunId: run?.id ?? null,
                  replayStatus: run?.status ?? null,
                };
              }),
              replaysAsked: r.replaysClaimedAt !== null,
              reprocess: job
                ? {
                    jobId: job.id,
                    approvalId: job.approvalId,
                    approvalStatus: job.approvalId
                      ? (byId.get(job.approvalId)?.status ?? null)
                      : null,
                    state: job.state,
                    total: job.total,
                    succeeded: job.succeeded,
                    failed: job.failed,
                  }
                : null,
            }
          : null,
      };
    });
}
