/**
 * The guardian in the Approvals inbox (issue 18, item 6): the fix an inbox card decides (its
 * proposal, and what a release with replays would replay), and the new failure groups no
 * proven fix waits for yet (listed above the decisions, each linking to the Guardian page).
 * Bounded reads.
 */
import type { Actor, Db } from "../types";
import { replayCandidates } from "./release-replays";

/** New groups the inbox lists at most, and how far back a group counts as new. */
export const INBOX_GROUPS = 10;
export const NEW_GROUP_DAYS = 7;

/** The fix a `fix` approval decides, as its inbox card offers it. */
export interface InboxFix {
  proposalId: string;
  groupId: string;
  status: string;
  title: string;
  nextVersion: string;
  /** What accepting with replays asks for: runs replayed one by one, dead letters reprocessed. */
  replay: { runs: number; deadLetters: number; deadLetterRuns: number };
}

/** The fix of the workspace's `fix` approval `approvalId`, or null. */
export async function fixOfApproval(
  db: Db,
  actor: Actor,
  approvalId: string,
): Promise<InboxFix | null> {
  const p = await db.guardianProposal.findFirst({
    where: { approvalId, workspaceId: actor.workspaceId },
    select: { id: true, groupId: true, status: true, title: true, nextVersion: true },
  });
  if (!p) return null;
  const c = await replayCandidates(db, actor.workspaceId, p.groupId);
  return {
    proposalId: p.id,
    groupId: p.groupId,
    status: p.status,
    title: p.title,
    nextVersion: p.nextVersion,
    replay: {
      runs: c.runIds.length,
      deadLetters: c.deadLetterIds.length,
      deadLetterRuns: c.deadLetterRunIds.length,
    },
  };
}

/** A new group as the inbox lists it. */
export interface InboxGroup {
  id: string;
  flowName: string;
  stepId: string;
  errorName: string;
  httpStatus: number | null;
  class: string;
  count: number;
  firstSeenAt: string;
  /** Its proposals not yet proven (being written or proved), 0 when no rule patches it. */
  proposals: number;
}

/**
 * The workspace's open groups first seen in the last {@link NEW_GROUP_DAYS} days for which no
 * fix is proven yet (none waits in the inbox, none was released): the newest
 * {@link INBOX_GROUPS}, and how many there are.
 */
export async function newGroupsForInbox(
  db: Db,
  actor: Actor,
): Promise<{ items: InboxGroup[]; total: number }> {
  const where = {
    workspaceId: actor.workspaceId,
    status: "open",
    firstSeenAt: { gte: new Date(Date.now() - NEW_GROUP_DAYS * 86_400_000) },
    proposals: { none: { status: { in: ["proven", "approved", "released"] } } },
  };
  const [rows, total] = await Promise.all([
    db.guardianGroup.findMany({
      where,
      orderBy: [{ firstSeenAt: "desc" }, { id: "asc" }],
      take: INBOX_GROUPS,
      select: {
        id: true,
        flowName: true,
        stepId: true,
        errorName: true,
        httpStatus: true,
        class: true,
        count: true,
        firstSeenAt: true,
        _count: { select: { proposals: { where: { status: { in: ["proposed", "proving"] } } } } },
      },
    }),
    db.guardianGroup.count({ where }),
  ]);
  return {
    items: rows.map((g) => ({
      id: g.id,
      flowName: g.flowName,
      stepId: g.stepId,
      errorName: g.errorName,
      httpStatus: g.httpStatus,
      class: g.class,
      count: g.count,
      firstSeenAt: g.firstSeenAt.toISOString(),
      proposals: g._count.proposals,
    })),
    total,
  };
}
