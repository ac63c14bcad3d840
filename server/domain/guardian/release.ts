/**
 * Releasing an approved fix (issue 18, item 5): the proposal's text becomes a new version of the
 * flow through the normal save path (`createVersionIn`: compiled, SemVer greater than every
 * version, the ledger's `workflow.version.create`), authored by the approver, bumped as
 * `diffFlows` said. A fix whose flow got a newer version since is void.
 *
 * Exactly one caller releases a proposal, whoever asks (the approval's effect after the
 * decision commits, the accepting request, another process): the release is ONE transaction
 * that first claims the proposal (`UPDATE … SET status = 'released' WHERE id = $1 AND status =
 * 'approved'`), then saves the version, the release row and the ledger entry. A concurrent
 * caller's claim waits on the row lock until the winner commits, then matches nothing and reads
 * the winner's release row; if the winner rolls back, its claim is undone and the next caller
 * releases. Then the winner asks for the replays the approver chose (`release-replays.ts`,
 * claimed once per release as well).
 */
import { bumpVersion, compareSemver } from "@/dsl";
import { setFlowVersion } from "@/lib/studio/flow-text";
import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import type { ReplayDeps } from "../replay/replays";
import type { Actor, Db } from "../types";
import { compileVersion, createVersionIn } from "../workflow/versions";
import { requestReleaseReplays, type ReleaseReplays } from "./release-replays";
import { voidIfStale, type ProposalRow } from "./review-state";

export { MAX_REPLAYS, replayFailedRuns, type ReplayRequestResult } from "./release-replays";

export interface ReleaseResult {
  status: "released" | "void";
  version: string | null;
  why: string | null;
  /** Whether this call released it (false: another caller had, or it is void). */
  claimed: boolean;
  /** The replays and reprocessing this call asked for (null: it asked for none). */
  replays: ReleaseReplays | null;
}

/** What a release needs: the database, and the replay feature's ports for the replays. */
export type ReleaseDeps = ReplayDeps;

/** The version a fix is saved as: its `nextVersion`, or a patch above its base when that is not greater. */
export function releaseVersion(p: Pick<ProposalRow, "baseVersion" | "nextVersion">): string {
  return compareSemver(p.nextVersion, p.baseVersion) > 0
    ? p.nextVersion
    : bumpVersion(p.baseVersion, "patch");
}

/** The approver's actor (their role in the workspace) for the version they release. */
export async function approverActor(
  db: Db,
  workspaceId: string,
  approvalId: string,
): Promise<Actor> {
  const d = await db.approvalDecision.findFirst({
    where: { approvalId, decision: "approve" },
    orderBy: { createdAt: "desc" },
    select: { userId: true, label: true },
  });
  if (!d) throw new AppError("PRECONDITION_FAILED", { message: "The fix was not approved." });
  const m = await db.membership.findFirst({
    where: { workspaceId, userId: d.userId },
    select: { role: true },
  });
  return {
    userId: d.userId,
    label: d.label,
    workspaceId,
    role: m?.role ?? "approver",
    via: "session",
  };
}

/** Thrown inside the claim to roll it back when a newer version was saved meanwhile. */
class StaleInClaim extends Error {}

/** The release another caller recorded, as this caller's answer. */
async function recorded(db: Db, proposalId: string): Promise<ReleaseResult | null> {
  const r = await db.guardianRelease.findUnique({ where: { proposalId } });
  return r
    ? { status: "released", version: r.version, why: null, claimed: false, replays: null }
    : null;
}

/** Claims, saves and records the release in one transaction; null when another caller has it. */
async function claimAndRelease(db: Db, p: ProposalRow, actor: Actor) {
  const version = releaseVersion(p);
  const dsl = setFlowVersion(p.text, version);
  // Compiled before the claim: the proposal's row lock is held only for the writes.
  const compiled = await compileVersion(db, actor, dsl);
  return db.$transaction(
    async (tx) => {
      const claim = await tx.guardianProposal.updateMany({
        where: { id: p.id, status: "approved" },
        data: { status: "released", updatedAt: new Date() },
      });
      if (!claim.count) return null;
      // Under the claim: the version it patches must still be the newest.
      const newest = await tx.workflowVersion.findFirst({
        where: { workflowId: p.workflowId },
        orderBy: { createdAt: "desc" },
        select: { version: true, irHash: true },
      });
      if (!newest || newest.version !== p.baseVersion || newest.irHash !== p.baseIrHash)
        throw new StaleInClaim();
      const saved = await createVersionIn(
        tx,
        actor,
        {
          id: p.workflowId,
          version,
          message: `Guardian fix: ${p.title}`.slice(0, 500),
          dsl,
        },
        compiled,
      );
      await tx.guardianRelease.create({
        data: {
          proposalId: p.id,
          workspaceId: p.workspaceId,
          groupId: p.groupId,
          workflowId: p.workflowId,
          approvalId: p.approvalId!,
          version: saved.version,
          versionId: saved.id,
          releasedBy: actor.label,
          releasedById: actor.userId,
        },
      });
      await appendAudit(tx, actor, {
        action: "guardian.proposal.release",
        subjectType: "guardian_proposal",
        subjectId: p.id,
        payload: {
          groupId: p.groupId,
          workflowId: p.workflowId,
          version: saved.version,
          irHash: saved.irHash,
          approvalId: p.approvalId,
        },
      });
      return saved;
    },
    { timeout: 30_000 },
  );
}

/**
 * Releases an approved proposal once, whoever asks and however many ask at once (see the
 * module's comment); a proposal already released answers its version. The caller that
 * released it then asks for the replays the approver chose, when they did.
 */
export async function releaseProposal(
  deps: ReleaseDeps,
  proposalId: string,
): Promise<ReleaseResult> {
  const { db } = deps;
  const p = await db.guardianProposal.findUniqueOrThrow({ where: { id: proposalId } });
  if (p.status === "released") {
    const r = await recorded(db, p.id);
    if (r) return r;
  }
  if (p.status !== "approved" || !p.approvalId)
    throw new AppError("CONFLICT", {
      message: `This proposal is ${p.status}: it is not released.`,
    });
  const actor = await approverActor(db, p.workspaceId, p.approvalId);
  let saved: Awaited<ReturnType<typeof claimAndRelease>>;
  try {
    saved = await claimAndRelease(db, p, actor);
  } catch (err) {
    if (!(err instanceof StaleInClaim)) throw err;
    saved = null;
  }
  if (!saved) {
    // Another caller released it (its release row committed before our claim matched nothing),
    // or the flow moved on: then it is void.
    const r = await recorded(db, p.id);
    if (r) return r;
    const why = await voidIfStale(db, p);
    if (why) return { status: "void", version: null, why, claimed: false, replays: null };
    const now = await db.guardianProposal.findUniqueOrThrow({ where: { id: p.id } });
    throw new AppError("CONFLICT", {
      message: `This proposal is ${now.status}: it is not released.`,
    });
  }
  const replays = p.replayOnRelease ? await requestReleaseReplays(deps, actor, p.id) : null;
  return { status: "released", version: saved.version, why: null, claimed: true, replays };
}
