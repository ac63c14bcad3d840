/**
 * Releases claimed in the database (issue 18, item 5), on PGlite and on PostgreSQL
 * (`TEST_DB=postgres`): real runs fail on a 429 storm, the guardian groups them and proposes a
 * back-off; the fix is approved with replays chosen; then three releases race (the approval's
 * effect and two accepting requests, none sharing memory): one claims it, one version is saved,
 * one release row written, and the replays are requested once — the runs without an open dead
 * letter one by one, the dead letters as one reprocess job on the new version.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { decideApproval } from "@/server/domain/approval/decide-approval";
import { discardDeadLetters } from "@/server/domain/deadletter/dead-letters";
import { addMembership, makeUser } from "@/server/testing/fixtures";
import { guardianBed, type GuardianBed } from "@/server/testing/guardian";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { guardianFindings } from "./findings";
import { releaseProposal } from "./release";
import { replayFailedRuns } from "./release-replays";
import { onFixDecided, requestFixApproval } from "./review";

let db: Database;
let bed: GuardianBed;
let approver: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  db = await openTestDatabase();
  bed = await guardianBed(db, "release-owner", "guardian-release-race");
  approver = await makeUser(db.prisma, "release-approver");
  await addMembership(db.prisma, approver.user.id, bed.owner.workspace.id, "approver");
}, 120_000);
afterAll(() => db?.close());

describe("a guardian release", () => {
  it("is claimed once by racing releases: one version, one release row, replays asked once", async () => {
    const { owner, workflowId } = bed;
    const runIds = await bed.runs(4);
    const services = servicesFor(db);
    await bed.group();
    const group = await db.prisma.guardianGroup.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, workflowId },
    });
    expect(group.count).toBe(4);
    // One run's dead letter is discarded: that run is replayed on its own, the three others'
    // open dead letters are reprocessed as one job.
    const dls = await db.prisma.deadLetter.findMany({ where: { runId: { in: runIds } } });
    expect(dls).toHaveLength(4);
    await discardDeadLetters(services, bed.actorOf(owner, "admin"), {
      ids: [dls[0]!.id],
      reason: "Handled by hand.",
    });
    const proposal = await db.prisma.guardianProposal.findFirstOrThrow({
      where: { groupId: group.id },
    });
    await db.prisma.guardianProposal.update({
      where: { id: proposal.id },
      data: {
        status: "proven",
        proof: { status: "passed", fixed: 4, of: 4, regressions: 0, regressionOf: 0, runs: [] },
      },
    });
    const approvalId = await requestFixApproval(services, proposal.id);
    // The approver chooses replays; the decision's own effect is held back, to race below.
    await db.prisma.guardianProposal.update({
      where: { id: proposal.id },
      data: { replayOnRelease: true },
    });
    await decideApproval(
      { ...services, approvalEffects: { ...services.approvalEffects, fix: async () => {} } },
      bed.actorOf(approver, "approver"),
      { id: approvalId!, decision: "approve", comment: "Proof holds." },
    );
    await db.prisma.guardianProposal.update({
      where: { id: proposal.id },
      data: { status: "approved" },
    });
    bed.storm(false);

    const results = await Promise.all([
      onFixDecided(
        services,
        { id: approvalId!, workspaceId: owner.workspace.id },
        { decision: "approved", by: [approver.user.email], comment: null },
      ),
      releaseProposal(services, proposal.id),
      releaseProposal(services, proposal.id),
    ]);
    expect(results.map((r) => r?.status)).toEqual(["released", "released", "released"]);
    expect(results.map((r) => r?.version)).toEqual(["1.0.1", "1.0.1", "1.0.1"]);
    expect(results.filter((r) => r?.claimed)).toHaveLength(1);
    const versions = await db.prisma.workflowVersion.findMany({ where: { workflowId } });
    expect(versions.map((v) => v.version).sort()).toEqual(["1.0.0", "1.0.1"]);
    expect(await db.prisma.guardianRelease.count({ where: { proposalId: proposal.id } })).toBe(1);
    const ledger = await db.prisma.auditEntry.count({
      where: { subjectId: proposal.id, action: "guardian.proposal.release" },
    });
    expect(ledger).toBe(1);

    // The replays were asked once, by the release that claimed it, as the approver.
    const asked = results.find((r) => r?.claimed)!.replays!;
    expect(asked.replays).toHaveLength(1);
    expect(asked.replays[0]).toMatchObject({ runId: dls[0]!.runId, error: null });
    expect(asked.reprocess).toMatchObject({ deadLetters: 3, runs: 3, error: null });
    const replays = await db.prisma.approval.findMany({
      where: { workspaceId: owner.workspace.id, kind: { in: ["replay", "reprocess"] } },
    });
    expect(replays.map((a) => a.kind).sort()).toEqual(["replay", "reprocess"]);
    expect(replays.every((a) => a.requesterId === approver.user.id)).toBe(true);
    const release = await db.prisma.guardianRelease.findUniqueOrThrow({
      where: { proposalId: proposal.id },
    });
    expect(release.replayRunIds).toEqual([dls[0]!.runId]);
    expect(release.reprocessApprovalId).toBe(asked.reprocess!.approvalId);
    // The reprocess job resumes its runs on the released version.
    const job = await db.prisma.reprocessJob.findUniqueOrThrow({
      where: { id: release.reprocessJobId! },
    });
    expect(job.selection).toMatchObject({ version: "1.0.1" });
    const replay = replays.find((a) => a.kind === "replay")!;
    expect((replay.subject as { plan: { version: string } }).plan.version).toBe("1.0.1");

    // Releasing again answers the same release and asks for nothing more.
    const again = await releaseProposal(services, proposal.id);
    expect(again).toMatchObject({ status: "released", version: "1.0.1", claimed: false });
    expect(
      await db.prisma.approval.count({
        where: { workspaceId: owner.workspace.id, kind: { in: ["replay", "reprocess"] } },
      }),
    ).toBe(2);

    // Asking for them again (the Guardian page's button) is refused: they were asked once.
    await expect(
      replayFailedRuns(services, bed.actorOf(approver, "approver"), proposal.id),
    ).rejects.toThrow(/asked for already/);

    // What the trust score reads: the open group, not failing again after its release...
    const window = { since: new Date(Date.now() - 3_600_000), until: new Date(), minFailures: 3 };
    expect(await guardianFindings(db.prisma, owner.workspace.id, window)).toEqual([
      expect.objectContaining({
        id: group.id,
        workflowId,
        blockId: "crm.contact.update",
        count: 4,
        regressed: false,
      }),
    ]);
    // ...until a failure of the released version is grouped after the release.
    const member = await db.prisma.guardianMember.findFirstOrThrow({
      where: { groupId: group.id },
    });
    await db.prisma.guardianMember.create({
      data: {
        ...member,
        id: undefined,
        runId: crypto.randomUUID(),
        version: "1.0.1",
        seenAt: new Date(release.releasedAt.getTime() + 1_000),
        why: [],
        record: {},
      },
    });
    const [again1] = await guardianFindings(db.prisma, owner.workspace.id, {
      ...window,
      until: new Date(Date.now() + 5_000),
    });
    expect(again1).toMatchObject({ id: group.id, regressed: true });
  }, 180_000);
});
