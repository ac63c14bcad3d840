/**
 * The replays a release asks for (issue 18, item 5; issue 15's approval-gated paths), when its
 * approver chose them (the Approvals inbox and the Guardian page offer the same choice): on the
 * released version, each of the group's failed runs is
 *
 * - replayed from the step that failed, as its own `replay` approval, when its failure left no
 *   open dead letter (at most {@link MAX_REPLAYS});
 * - reprocessed through the dead-letter reprocessing when it did: one reprocess job of the
 *   group's open dead letters (canary first, rate limit, stop on first failure), one `reprocess`
 *   approval. A run is never in both.
 *
 * Requested as the approver: another person decides each (the four-eyes guard). Asked once per
 * release: the caller that claims `GuardianRelease.replaysClaimedAt` asks; others answer null.
 */
import { requestReprocess } from "../deadletter/dead-letters";
import { MAX_JOB_ITEMS, ZReprocessInput } from "../deadletter/schemas";
import { AppError } from "../errors";
import { requestReplay, type ReplayDeps } from "../replay/replays";
import { ZReplayInput } from "../replay/schemas";
import type { Actor, Db } from "../types";

/** Failed runs of a group a release replays one by one at most. */
export const MAX_REPLAYS = 20;
/** Members of a group read for its failed runs and dead letters at most (the newest). */
const MEMBER_SCAN = 1000;

/** One failed run's replay request: its approval, or why it was not requested. */
export interface ReplayRequestResult {
  runId: string;
  approvalId: string | null;
  error: string | null;
}

/** The reprocess job of the group's dead letters: its approval, or why it was not requested. */
export interface ReprocessRequestResult {
  jobId: string | null;
  approvalId: string | null;
  deadLetters: number;
  runs: number;
  error: string | null;
}

/** What a release asked for. */
export interface ReleaseReplays {
  replays: ReplayRequestResult[];
  reprocess: ReprocessRequestResult | null;
}

/** What a release of the group would replay: failed runs without, and with, open dead letters. */
export interface ReplayCandidates {
  /** Failed runs replayed one by one (their failures left no open dead letter). */
  runIds: string[];
  /** Open dead letters of the group's failed runs, and their runs, reprocessed as one job. */
  deadLetterIds: string[];
  deadLetterRunIds: string[];
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The group's failed runs still failed, split as a release would replay them. */
export async function replayCandidates(
  db: Db,
  workspaceId: string,
  groupId: string,
  skipRunIds: ReadonlySet<string> = new Set(),
): Promise<ReplayCandidates> {
  const members = await db.guardianMember.findMany({
    where: { groupId, workspaceId, recovered: false },
    orderBy: { seenAt: "desc" },
    select: { runId: true, deadLetterId: true },
    take: MEMBER_SCAN,
  });
  const runIds = [...new Set(members.map((m) => m.runId))].filter((id) => !skipRunIds.has(id));
  const failed = new Set(
    (
      await db.run.findMany({
        where: { id: { in: runIds }, workspaceId, status: "failed" },
        select: { id: true },
      })
    ).map((r) => r.id),
  );
  const dlIds = members.flatMap((m) =>
    m.deadLetterId && failed.has(m.runId) ? [m.deadLetterId] : [],
  );
  const open = dlIds.length
    ? await db.deadLetter.findMany({
        where: { id: { in: dlIds }, workspaceId, status: "open" },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        select: { id: true, runId: true },
        take: MAX_JOB_ITEMS,
      })
    : [];
  const dlRuns = new Set(open.map((d) => d.runId));
  return {
    runIds: runIds.filter((id) => failed.has(id) && !dlRuns.has(id)),
    deadLetterIds: open.map((d) => d.id),
    deadLetterRunIds: [...dlRuns],
  };
}

/**
 * Asks, once per release of `proposalId`, for the replays of its group's failed runs and the
 * reprocessing of their dead letters on the released version, as `actor` (the approver).
 * Null when another caller claimed them already.
 */
export async function requestReleaseReplays(
  deps: ReplayDeps,
  actor: Actor,
  proposalId: string,
): Promise<ReleaseReplays | null> {
  const { db } = deps;
  const claim = await db.guardianRelease.updateMany({
    where: { proposalId, workspaceId: actor.workspaceId, replaysClaimedAt: null },
    data: { replaysClaimedAt: new Date() },
  });
  if (!claim.count) return null;
  const r = await db.guardianRelease.findUniqueOrThrow({ where: { proposalId } });
  const group = await db.guardianGroup.findUniqueOrThrow({
    where: { id: r.groupId },
    select: { stepId: true },
  });
  const asked = new Set(r.replayRunIds as string[]);
  const c = await replayCandidates(db, actor.workspaceId, r.groupId, asked);
  const replays: ReplayRequestResult[] = [];
  for (const runId of c.runIds.slice(0, MAX_REPLAYS)) {
    try {
      const input = ZReplayInput.parse({
        runId,
        mode: "from-step",
        fromStep: group.stepId,
        version: r.version,
      });
      const requested = await requestReplay(deps, actor, input);
      replays.push({ runId, approvalId: requested.approval.id, error: null });
    } catch (e) {
      replays.push({ runId, approvalId: null, error: message(e) });
    }
  }
  let reprocess: ReprocessRequestResult | null = null;
  if (c.deadLetterIds.length) {
    const base = { deadLetters: c.deadLetterIds.length, runs: c.deadLetterRunIds.length };
    try {
      const input = ZReprocessInput.parse({ ids: c.deadLetterIds, version: r.version });
      const requested = await requestReprocess(deps, actor, input);
      reprocess = {
        ...base,
        jobId: requested.job.id,
        approvalId: requested.approval.id,
        error: null,
      };
    } catch (e) {
      reprocess = { ...base, jobId: null, approvalId: null, error: message(e) };
    }
  }
  const ok = replays.filter((o) => o.approvalId);
  await db.guardianRelease.update({
    where: { proposalId },
    data: {
      replayRunIds: [...asked, ...ok.map((o) => o.runId)],
      replayApprovalIds: [...(r.replayApprovalIds as string[]), ...ok.map((o) => o.approvalId!)],
      ...(reprocess?.jobId
        ? { reprocessJobId: reprocess.jobId, reprocessApprovalId: reprocess.approvalId }
        : {}),
    },
  });
  return { replays, reprocess };
}

/**
 * Asks for the release's replays now, as `actor` (the Guardian page, when they were not chosen
 * with the acceptance or were lost): refused when they were asked for already.
 */
export async function replayFailedRuns(
  deps: ReplayDeps,
  actor: Actor,
  proposalId: string,
): Promise<ReleaseReplays> {
  const r = await deps.db.guardianRelease.findFirst({
    where: { proposalId, workspaceId: actor.workspaceId },
    select: { replaysClaimedAt: true },
  });
  if (!r) throw new AppError("CONFLICT", { message: "This fix is not released yet." });
  const asked = await requestReleaseReplays(deps, actor, proposalId);
  if (!asked)
    throw new AppError("CONFLICT", {
      message: "The replays of this release were asked for already: see them below the release.",
    });
  return asked;
}
