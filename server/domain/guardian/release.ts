/**
 * Releasing an approved fix (issue 18, item 5): the proposal's text becomes a new version of the
 * flow through the normal save path (`createVersion`: compiled, SemVer greater than every
 * version, the ledger's `workflow.version.create`), authored by the approver, bumped as
 * `diffFlows` said; then, when asked, an approval-gated replay of the group's failed runs on the
 * new version (the replay feature's plan, from the failing step: each replay is an approval a
 * person other than its requester decides). A fix whose flow got a newer version since is void.
 *
 * Release runs once per proposal: the approval's effect starts it after the decision commits,
 * and whoever else asks (the Guardian page's accept) waits for the same promise.
 */
import { bumpVersion, compareSemver } from "@/dsl";
import { setFlowVersion } from "@/lib/studio/flow-text";
import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import { requestReplay, type ReplayDeps } from "../replay/replays";
import { ZReplayInput } from "../replay/schemas";
import type { Actor, Db } from "../types";
import { createVersion } from "../workflow/versions";
import { voidIfStale, type ProposalRow } from "./review-state";

/** Failed runs of a group a release replays at most. */
export const MAX_REPLAYS = 20;

export interface ReleaseResult {
  status: "released" | "void";
  version: string | null;
  why: string | null;
}

const inflight = new Map<string, Promise<ReleaseResult>>();

/** The version a fix is saved as: its `nextVersion`, or a patch above its base when that is not greater. */
export function releaseVersion(p: Pick<ProposalRow, "baseVersion" | "nextVersion">): string {
  return compareSemver(p.nextVersion, p.baseVersion) > 0
    ? p.nextVersion
    : bumpVersion(p.baseVersion, "patch");
}

/** The approver's actor (their role in the workspace) for the version they release. */
async function approverActor(db: Db, workspaceId: string, approvalId: string): Promise<Actor> {
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

/**
 * The version a concurrent release of `proposalId` recorded, when `err` is the version clash
 * that release caused (waits up to 10 s for its release row), else null.
 */
async function releasedMeanwhile(db: Db, proposalId: string, err: unknown): Promise<string | null> {
  if (!(err instanceof AppError) || err.code !== "CONFLICT") return null;
  for (let i = 0; i < 50; i++) {
    const r = await db.guardianRelease.findUnique({ where: { proposalId } });
    if (r) return r.version;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return null;
}

async function release(db: Db, proposalId: string): Promise<ReleaseResult> {
  const p = await db.guardianProposal.findUniqueOrThrow({ where: { id: proposalId } });
  if (p.status === "released") {
    const r = await db.guardianRelease.findUnique({ where: { proposalId } });
    return { status: "released", version: r?.version ?? null, why: null };
  }
  if (p.status !== "approved" || !p.approvalId)
    throw new AppError("CONFLICT", {
      message: `This proposal is ${p.status}: it is not released.`,
    });
  const why = await voidIfStale(db, p);
  if (why) return { status: "void", version: null, why };
  const actor = await approverActor(db, p.workspaceId, p.approvalId);
  const version = releaseVersion(p);
  let saved: Awaited<ReturnType<typeof createVersion>>;
  try {
    saved = await createVersion(db, actor, {
      id: p.workflowId,
      version,
      message: `Guardian fix: ${p.title}`.slice(0, 500),
      dsl: setFlowVersion(p.text, version),
    });
  } catch (err) {
    // Another release of this proposal got there first: the approval's effect and the accepting
    // request both release, and they need not share this module (another bundle or process).
    // Its release row follows its version within the same few statements: answer that one.
    const theirs = await releasedMeanwhile(db, p.id, err);
    if (theirs) return { status: "released", version: theirs, why: null };
    throw err;
  }
  await db.$transaction(async (tx) => {
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
    await tx.guardianProposal.update({
      where: { id: p.id },
      data: { status: "released", updatedAt: new Date() },
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
  });
  return { status: "released", version: saved.version, why: null };
}

/**
 * Releases an approved proposal once (concurrent callers share the same release); a proposal
 * already released answers its version.
 */
export function releaseProposal(db: Db, proposalId: string): Promise<ReleaseResult> {
  let running = inflight.get(proposalId);
  if (!running) {
    running = release(db, proposalId).finally(() => inflight.delete(proposalId));
    inflight.set(proposalId, running);
  }
  return running;
}

/** One failed run's replay request: its approval, or why it was not requested. */
export interface ReplayRequestResult {
  runId: string;
  approvalId: string | null;
  error: string | null;
}

/**
 * Requests a replay of each of the group's failed runs (at most {@link MAX_REPLAYS}) on the
 * released version, from the step that failed, as `actor`: each is an approval another approver
 * decides. Runs a replay was already asked for are left out. Stored with the release.
 */
export async function replayFailedRuns(
  deps: ReplayDeps,
  actor: Actor,
  proposalId: string,
): Promise<ReplayRequestResult[]> {
  const { db } = deps;
  const r = await db.guardianRelease.findFirst({
    where: { proposalId, workspaceId: actor.workspaceId },
  });
  if (!r) throw new AppError("CONFLICT", { message: "This fix is not released yet." });
  const group = await db.guardianGroup.findUniqueOrThrow({
    where: { id: r.groupId },
    select: { stepId: true },
  });
  const members = await db.guardianMember.findMany({
    where: { groupId: r.groupId, recovered: false },
    orderBy: { seenAt: "desc" },
    select: { runId: true },
    take: 1000,
  });
  const asked = new Set(r.replayRunIds as string[]);
  const runIds = [...new Set(members.map((m) => m.runId))]
    .filter((id) => !asked.has(id))
    .slice(0, MAX_REPLAYS);
  const failed = await db.run.findMany({
    where: { id: { in: runIds }, status: "failed" },
    select: { id: true },
  });
  const out: ReplayRequestResult[] = [];
  for (const { id } of failed) {
    try {
      const input = ZReplayInput.parse({
        runId: id,
        mode: "from-step",
        fromStep: group.stepId,
        version: r.version,
      });
      const requested = await requestReplay(deps, actor, input);
      out.push({ runId: id, approvalId: requested.approval.id, error: null });
    } catch (e) {
      out.push({ runId: id, approvalId: null, error: e instanceof Error ? e.message : String(e) });
    }
  }
  const ok = out.filter((o) => o.approvalId);
  if (ok.length) {
    await db.guardianRelease.update({
      where: { proposalId },
      data: {
        replayRunIds: [...asked, ...ok.map((o) => o.runId)],
        replayApprovalIds: [...(r.replayApprovalIds as string[]), ...ok.map((o) => o.approvalId!)],
      },
    });
  }
  return out;
}
