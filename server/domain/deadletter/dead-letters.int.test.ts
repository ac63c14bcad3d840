/**
 * Dead letters and durable reprocess jobs on a real database (PGlite; PostgreSQL with
 * TEST_DB=postgres): runs of a flow whose second write fails are dead-lettered; the list filters
 * and pages them; a reprocess job is requested, refused to its requester and approved by a
 * second person; the runner (on an injected clock) runs the canary first, honours the rate,
 * stops at the first failure, skips what a replay already reprocessed, and survives being
 * killed mid-job: every dead letter is reprocessed exactly once (one replay run per item, one
 * write per idempotency key at the mock billing service).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import {
  approvalCast,
  memberActor,
  mockCrmEngine,
  runOnClock as runToEnd,
  type Person,
} from "@/server/testing/approvals";
import {
  addMembership,
  adminActor,
  callerFor,
  makeUser,
  type TestUser,
} from "@/server/testing/fixtures";
import { chainFlow, type FailureInstant } from "@/server/testing/mock-writes";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import type { Services } from "@/server/wiring/services";
import { decideApproval } from "../approval/approvals";
import type { Transactor } from "../run/ports";
import type { Actor } from "../types";
import {
  changeReprocessJob,
  discardDeadLetters,
  getReprocessJob,
  listDeadLetters,
  listReprocessJobs,
  requestReprocess,
} from "./dead-letters";
import { advanceReprocessJob, advanceReprocessJobs, type ReprocessRunnerDeps } from "./runner";
import { ZDiscardInput, ZListDeadLettersInput, ZReprocessInput } from "./schemas";

let db: Database;
let services: Services;
let owner: TestUser;
let approver: Person;
let workflowId: string;

beforeAll(async () => {
  db = await openTestDatabase();
  services = servicesFor(db);
  const cast = await approvalCast(db, { approver: "approver" });
  owner = cast.owner;
  approver = cast.people.approver;
  const wf = await asOwner().workflow.create({ name: "Dead-lettered chain" });
  await asOwner().workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: chainFlow(3, "crm") });
  workflowId = wf.id;
});
afterAll(async () => {
  await db?.close();
});

const asOwner = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const ownerActor = (): Actor => adminActor(owner);
const approverActor = (): Actor => memberActor(approver, owner.workspace.id, "approver");

/** An engine whose CRM writes go to a mock billing tenant, on a fake clock the runner shares. */
function harness(tenant: string) {
  const { mock, clock, engine } = mockCrmEngine(db, tenant);
  const runner: ReprocessRunnerDeps = { transactor: services.transactor, clock };
  return { mock, clock, engine, runner };
}

/** `n` runs whose w2 write fails at `instant` (retries run out): one dead letter each. */
async function deadLetters(h: ReturnType<typeof harness>, n: number, instant: FailureInstant) {
  const runIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const started = await asOwner().run.start({ workflowId, version: "1.0.0" });
    h.mock.failAt({ runId: started.id, stepId: "w2", instant });
    expect((await runToEnd(h.engine, h.clock, started.id)).status).toBe("failed");
    runIds.push(started.id);
  }
  h.mock.failAt(null);
  const rows = await db.prisma.deadLetter.findMany({
    where: { runId: { in: runIds } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true, runId: true, stepId: true, status: true },
  });
  expect(rows.map((r) => [r.stepId, r.status])).toEqual(runIds.map(() => ["w2", "open"]));
  return rows;
}

/** Requests a job of `ids` as the owner and has the approver approve it. */
async function approvedJob(
  ids: string[],
  opts: { canary?: number; ratePerMinute?: number; stopOnFailure?: boolean } = {},
) {
  const requested = await requestReprocess(
    services,
    ownerActor(),
    ZReprocessInput.parse({ ids, ...opts }),
  );
  await decideApproval(services, approverActor(), {
    id: requested.approval.id,
    decision: "approve",
    planHash: requested.approval.planHash,
  });
  return requested.job.id;
}

async function items(jobId: string) {
  return db.prisma.reprocessItem.findMany({ where: { jobId }, orderBy: { position: "asc" } });
}

describe("dead letters: list", () => {
  it("filters by flow, block, connector, error class, time and status, and pages with a cursor", async () => {
    const h = harness("dl-list");
    const rows = await deadLetters(h, 3, "before-write");
    const list = (input: object) =>
      listDeadLetters(services, ownerActor(), ZListDeadLettersInput.parse(input));

    const all = await list({ workflowId });
    expect(all.items.map((d) => d.id)).toEqual(expect.arrayContaining(rows.map((r) => r.id)));
    const one = all.items.find((d) => d.id === rows[0]!.id)!;
    expect(one).toMatchObject({
      status: "open",
      stepId: "w2",
      block: "crm.deal.update",
      connector: "crm",
      workflow: { id: workflowId, name: "Dead-lettered chain" },
      run: { id: rows[0]!.runId, status: "failed", version: "1.0.0" },
      attempts: 2,
      inputs: expect.objectContaining({ amount: 2 }),
      classification: { severity: expect.any(String), category: expect.any(String) },
    });
    expect(one.error.message).toMatch(/billing answered 500/);

    const errorClass = one.errorClass;
    expect((await list({ workflowId, errorClass })).items.length).toBe(all.items.length);
    expect((await list({ workflowId, errorClass: "NoSuchError" })).items).toEqual([]);
    expect((await list({ workflowId, block: "crm.deal.update" })).items.length).toBe(
      all.items.length,
    );
    expect((await list({ workflowId, block: "data.transform" })).items).toEqual([]);
    expect((await list({ workflowId, connector: "crm" })).items.length).toBe(all.items.length);
    expect((await list({ workflowId, connector: "billing" })).items).toEqual([]);
    expect((await list({ workflowId, status: "discarded" })).items).toEqual([]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list({ workflowId, from: future })).items).toEqual([]);
    expect((await list({ workflowId, to: future })).items.length).toBe(all.items.length);

    // Pages of 2 cover the list once, in order.
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const r = await list({ workflowId, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...r.items.map((d) => d.id));
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    expect(seen).toEqual(all.items.map((d) => d.id));

    // Another workspace sees none of them; a foreign cursor is refused.
    const stranger = await makeUser(db.prisma, "stranger");
    const theirs = await listDeadLetters(
      services,
      adminActor(stranger),
      ZListDeadLettersInput.parse({}),
    );
    expect(theirs.items).toEqual([]);
    await expect(
      listDeadLetters(
        services,
        adminActor(stranger),
        ZListDeadLettersInput.parse({ cursor: rows[0]!.id }),
      ),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });

    // Bad input is refused by the schema, field by field.
    expect(ZListDeadLettersInput.safeParse({ from: "yesterday" }).success).toBe(false);
    expect(ZListDeadLettersInput.safeParse({ from: future, to: future }).success).toBe(false);
    expect(ZListDeadLettersInput.safeParse({ limit: 1000 }).success).toBe(false);
  });
});

describe("dead letters: another workspace", () => {
  it("can neither read, reprocess, discard nor change a job of them", async () => {
    const h = harness("dl-tenant");
    const [d] = await deadLetters(h, 1, "before-write");
    const requested = await requestReprocess(
      services,
      ownerActor(),
      ZReprocessInput.parse({ ids: [d!.id] }),
    );
    const stranger = await makeUser(db.prisma, "tenant");
    const them = callerFor(db.prisma, stranger.user, stranger.workspace.id);
    await expect(them.deadLetter.get({ id: d!.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(them.deadLetter.requestReprocess({ ids: [d!.id] })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      them.deadLetter.discard({ ids: [d!.id], reason: "not mine" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(them.deadLetter.job({ id: requested.job.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      them.deadLetter.changeJob({ id: requested.job.id, action: "cancel" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await them.deadLetter.jobs({ limit: 20 })).items).toEqual([]);
    expect((await db.prisma.deadLetter.findUnique({ where: { id: d!.id } }))?.status).toBe("open");
    expect((await getReprocessJob(services, ownerActor(), { id: requested.job.id })).state).toBe(
      "pending-approval",
    );
    // The requester cancels it: its approval is void, nothing runs.
    await changeReprocessJob(services, ownerActor(), { id: requested.job.id, action: "cancel" });
    const approval = await db.prisma.approval.findUnique({ where: { id: requested.approval.id } });
    expect(approval?.status).toBe("voided");
  });
});

describe("dead letters: discard", () => {
  it("discards with a reason (ledgered); without one, or twice, it is refused and nothing changes", async () => {
    const h = harness("dl-discard");
    const [a, b] = await deadLetters(h, 2, "before-write");
    expect(ZDiscardInput.safeParse({ ids: [a!.id] }).success).toBe(false);
    expect(ZDiscardInput.safeParse({ ids: [a!.id], reason: "  " }).success).toBe(false);
    await expect(asOwner().deadLetter.discard({ ids: [a!.id], reason: "" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect((await db.prisma.deadLetter.findUnique({ where: { id: a!.id } }))?.status).toBe("open");

    const r = await discardDeadLetters(services, ownerActor(), {
      ids: [a!.id],
      reason: "Customer cancelled the deal",
    });
    expect(r.discarded).toEqual([a!.id]);
    const row = await db.prisma.deadLetter.findUnique({ where: { id: a!.id } });
    expect(row).toMatchObject({
      status: "discarded",
      discardedBy: owner.user.email,
      discardReason: "Customer cancelled the deal",
    });
    // All or nothing: one already discarded refuses the whole request.
    await expect(
      discardDeadLetters(services, ownerActor(), { ids: [a!.id, b!.id], reason: "again" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await db.prisma.deadLetter.findUnique({ where: { id: b!.id } }))?.status).toBe("open");
    const ledger = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, action: "deadletter.discard" },
      select: { subjectType: true, subjectId: true, payload: true, actorLabel: true },
    });
    expect(ledger).toEqual([
      {
        subjectType: "dead-letter",
        subjectId: a!.id,
        payload: { reason: "Customer cancelled the deal" },
        actorLabel: owner.user.email,
      },
    ]);
    // A viewer may not discard.
    const viewer = await makeUser(db.prisma, "viewer");
    await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");
    await expect(
      callerFor(db.prisma, viewer.user, owner.workspace.id).deadLetter.discard({
        ids: [b!.id],
        reason: "no",
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("reprocess jobs", () => {
  it("is requested as an approval bound to its plan: the requester is refused, a second approver approves", async () => {
    const h = harness("dl-request");
    const rows = await deadLetters(h, 2, "before-write");
    expect(ZReprocessInput.safeParse({}).success).toBe(false);
    expect(ZReprocessInput.safeParse({ ids: [rows[0]!.id], filter: { workflowId } }).success).toBe(
      false,
    );
    expect(ZReprocessInput.safeParse({ ids: [rows[0]!.id], ratePerMinute: 10_000 }).success).toBe(
      false,
    );

    const requested = await asOwner().deadLetter.requestReprocess({
      ids: rows.map((r) => r.id),
      canary: 1,
      ratePerMinute: 30,
    });
    expect(requested.job).toMatchObject({
      state: "pending-approval",
      canary: 1,
      ratePerMinute: 30,
      stopOnFailure: true,
      selection: { ids: rows.map((r) => r.id) },
      progress: { total: 2, done: 0, pending: 2, running: 0 },
      approval: { id: requested.approval.id, status: "pending" },
    });
    const approval = await asOwner().approval.get({ id: requested.approval.id });
    expect(approval).toMatchObject({ kind: "reprocess", planHash: requested.approval.planHash });
    expect(approval.message).toMatch(/Reprocess 2 dead letter\(s\) of 2 run\(s\)/);

    // The requester never approves it; a stale hash is refused; a second approver approves.
    const decision = {
      id: requested.approval.id,
      decision: "approve" as const,
      planHash: requested.approval.planHash,
    };
    await expect(decideApproval(services, ownerActor(), decision)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      decideApproval(services, approverActor(), { ...decision, planHash: "0".repeat(64) }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await decideApproval(services, approverActor(), decision);
    const job = await getReprocessJob(services, ownerActor(), { id: requested.job.id });
    expect(job.state).toBe("canary");
    expect(job.items?.map((i) => [i.deadLetterId, i.state])).toEqual(
      rows.map((r) => [r.id, "pending"]),
    );
    const listed = await listReprocessJobs(services, ownerActor(), { limit: 20 });
    expect(listed.items.map((j) => j.id)).toContain(requested.job.id);

    const ledger = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: requested.job.id },
      orderBy: { seq: "asc" },
      select: { action: true },
    });
    expect(ledger.map((e) => e.action)).toEqual([
      "deadletter.reprocess.request",
      "deadletter.reprocess.approve",
    ]);
    // An open dead letter already in a job may be asked for again; a closed one may not.
    await discardDeadLetters(services, ownerActor(), { ids: [rows[0]!.id], reason: "duplicate" });
    await expect(
      requestReprocess(services, ownerActor(), ZReprocessInput.parse({ ids: [rows[0]!.id] })),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await changeReprocessJob(services, ownerActor(), { id: requested.job.id, action: "cancel" });
  });

  it("a rejection ends the job and runs nothing", async () => {
    const h = harness("dl-reject");
    const rows = await deadLetters(h, 1, "before-write");
    const requested = await requestReprocess(
      services,
      ownerActor(),
      ZReprocessInput.parse({ ids: [rows[0]!.id] }),
    );
    await decideApproval(services, approverActor(), {
      id: requested.approval.id,
      decision: "reject",
      comment: "Not before the CRM fix ships",
      planHash: requested.approval.planHash,
    });
    const job = await getReprocessJob(services, ownerActor(), { id: requested.job.id });
    expect(job).toMatchObject({ state: "rejected" });
    expect(job.stopReason).toMatch(/Not before the CRM fix ships/);
    expect((await advanceReprocessJob(h.runner, job.id)).started).toEqual([]);
    expect(await db.prisma.run.count({ where: { replayOfRunId: rows[0]!.runId } })).toBe(0);
  });

  it("runs the canary alone, then the rest once it succeeded, and completes", async () => {
    const h = harness("dl-canary");
    const rows = await deadLetters(h, 4, "timeout-after-write");
    const jobId = await approvedJob(
      rows.map((r) => r.id),
      { canary: 2, ratePerMinute: 600 },
    );
    // 600 a minute: one start each 100 ms of the runner's clock.
    const first = await advanceReprocessJob(h.runner, jobId);
    expect(first).toMatchObject({ state: "canary" });
    expect(first.started).toHaveLength(1);
    await h.clock.advance(100);
    expect((await advanceReprocessJob(h.runner, jobId)).started).toHaveLength(1);
    await h.clock.advance(100);
    // The canary is running: nothing else starts, however much time passes.
    expect((await advanceReprocessJob(h.runner, jobId)).started).toEqual([]);
    await h.clock.advance(60_000);
    expect((await advanceReprocessJob(h.runner, jobId)).started).toEqual([]);
    expect((await items(jobId)).map((i) => i.state)).toEqual([
      "running",
      "running",
      "pending",
      "pending",
    ]);
    for (const i of (await items(jobId)).slice(0, 2))
      expect((await runToEnd(h.engine, h.clock, i.replayRunId!)).status).toBe("succeeded");
    // The canary passed: the rest start.
    const next = await advanceReprocessJob(h.runner, jobId);
    expect(next.state).toBe("running");
    expect(next.started).toHaveLength(1);
    await drive(h, jobId);
    const job = await getReprocessJob(services, ownerActor(), { id: jobId });
    expect(job).toMatchObject({
      state: "completed",
      progress: { total: 4, done: 4, succeeded: 4, failed: 0, skipped: 0 },
    });
    const ledger = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: jobId },
      orderBy: { seq: "asc" },
      select: { action: true },
    });
    expect(ledger.map((e) => e.action)).toEqual([
      "deadletter.reprocess.request",
      "deadletter.reprocess.approve",
      "deadletter.reprocess.canary",
      "deadletter.reprocess.complete",
    ]);
  });

  it("stops at the first failure: the failed dead letter reopens, the rest never start", async () => {
    const h = harness("dl-stop");
    const rows = await deadLetters(h, 4, "before-write");
    const jobId = await approvedJob(
      rows.map((r) => r.id),
      { canary: 1, ratePerMinute: 600 },
    );
    const [canaryRun] = (await advanceReprocessJob(h.runner, jobId)).started;
    expect((await runToEnd(h.engine, h.clock, canaryRun!)).status).toBe("succeeded");
    await h.clock.advance(100);
    const [second] = (await advanceReprocessJob(h.runner, jobId)).started;
    // The second item's replay fails again at w2.
    h.mock.failAt({ runId: second!, stepId: "w2", instant: "before-write" });
    await h.clock.advance(100);
    const [third] = (await advanceReprocessJob(h.runner, jobId)).started;
    expect((await runToEnd(h.engine, h.clock, second!)).status).toBe("failed");
    expect((await runToEnd(h.engine, h.clock, third!)).status).toBe("succeeded");
    await h.clock.advance(100);
    const after = await advanceReprocessJob(h.runner, jobId);
    expect(after).toMatchObject({ state: "stopped", started: [] });
    const job = await getReprocessJob(services, ownerActor(), { id: jobId });
    expect(job.stopReason).toMatch(/Stopped on the first failure: item 2/);
    expect(job.progress).toMatchObject({ succeeded: 2, failed: 1, pending: 1, running: 0 });
    expect(job.items?.map((i) => i.state)).toEqual(["succeeded", "failed", "succeeded", "pending"]);
    const statuses = await db.prisma.deadLetter.findMany({
      where: { id: { in: rows.map((r) => r.id) } },
      select: { id: true, status: true },
    });
    const statusOf = new Map(statuses.map((s) => [s.id, s.status]));
    expect(rows.map((r) => statusOf.get(r.id))).toEqual([
      "reprocessed",
      "open",
      "reprocessed",
      "open",
    ]);
    // A stopped job stays stopped.
    await h.clock.advance(60_000);
    expect((await advanceReprocessJob(h.runner, jobId)).started).toEqual([]);
  });

  it("honours the rate limit on the injected clock", async () => {
    const h = harness("dl-rate");
    const rows = await deadLetters(h, 3, "before-write");
    const jobId = await approvedJob(
      rows.map((r) => r.id),
      { canary: 0, ratePerMinute: 2 },
    );
    // Two a minute: starts 30 s apart, never earlier.
    expect((await advanceReprocessJob(h.runner, jobId)).started).toHaveLength(1);
    expect((await advanceReprocessJob(h.runner, jobId)).started).toEqual([]);
    await h.clock.advance(29_999);
    expect((await advanceReprocessJob(h.runner, jobId)).started).toEqual([]);
    await h.clock.advance(1);
    expect((await advanceReprocessJob(h.runner, jobId)).started).toHaveLength(1);
    await h.clock.advance(29_999);
    expect((await advanceReprocessJob(h.runner, jobId)).started).toEqual([]);
    await h.clock.advance(1);
    expect((await advanceReprocessJob(h.runner, jobId)).started).toHaveLength(1);
    const started = (await items(jobId)).map((i) => i.startedAt!.getTime());
    expect(started[1]! - started[0]!).toBe(30_000);
    expect(started[2]! - started[1]!).toBe(30_000);
    await changeReprocessJob(services, ownerActor(), { id: jobId, action: "cancel" });
    // A cancelled job's running replays finish (and are recorded): none is left queued.
    for (const i of await items(jobId))
      expect((await runToEnd(h.engine, h.clock, i.replayRunId!)).status).toBe("succeeded");
    expect(await drive(h, jobId)).toBe("stopped");
    expect((await items(jobId)).map((i) => i.state)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
  });

  it("pauses (running items are still recorded, nothing starts) and resumes", async () => {
    const h = harness("dl-pause");
    const rows = await deadLetters(h, 2, "before-write");
    const jobId = await approvedJob(
      rows.map((r) => r.id),
      { canary: 0, ratePerMinute: 600 },
    );
    const [first] = (await advanceReprocessJob(h.runner, jobId)).started;
    const paused = await changeReprocessJob(services, ownerActor(), { id: jobId, action: "pause" });
    expect(paused.state).toBe("paused");
    await expect(
      changeReprocessJob(services, ownerActor(), { id: jobId, action: "pause" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await runToEnd(h.engine, h.clock, first!)).status).toBe("succeeded");
    await h.clock.advance(60_000);
    const whilePaused = await advanceReprocessJob(h.runner, jobId);
    expect(whilePaused).toEqual({ state: "paused", started: [] });
    expect((await items(jobId)).map((i) => i.state)).toEqual(["succeeded", "pending"]);
    await changeReprocessJob(services, ownerActor(), { id: jobId, action: "resume" });
    expect(await drive(h, jobId)).toBe("completed");
    const ledger = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: jobId },
      orderBy: { seq: "asc" },
      select: { action: true, actorLabel: true },
    });
    expect(ledger.map((e) => e.action)).toEqual([
      "deadletter.reprocess.request",
      "deadletter.reprocess.approve",
      "deadletter.reprocess.pause",
      "deadletter.reprocess.resume",
      "deadletter.reprocess.complete",
    ]);
    expect(ledger[2]!.actorLabel).toBe(owner.user.email);
  });

  it("skips a dead letter whose run a replay already reprocessed", async () => {
    const h = harness("dl-skip");
    const rows = await deadLetters(h, 2, "before-write");
    const replay = await asOwner().run.requestReplay({ runId: rows[0]!.runId, mode: "resume" });
    await decideApproval(services, approverActor(), {
      id: replay.approval.id,
      decision: "approve",
      planHash: replay.plan.hash,
    });
    const replayRun = await db.prisma.run.findFirstOrThrow({
      where: { replayOfRunId: rows[0]!.runId },
    });
    expect((await runToEnd(h.engine, h.clock, replayRun.id)).status).toBe("succeeded");

    const jobId = await approvedJob(
      rows.map((r) => r.id),
      { canary: 0, ratePerMinute: 600 },
    );
    await drive(h, jobId);
    const job = await getReprocessJob(services, ownerActor(), { id: jobId });
    expect(job.progress).toMatchObject({ succeeded: 1, skipped: 1, failed: 0 });
    expect(job.items?.[0]).toMatchObject({ state: "skipped", replayRunId: null });
    expect(job.items?.[0]?.error).toMatch(/Already reprocessed/);
    expect(await db.prisma.run.count({ where: { replayOfRunId: rows[0]!.runId } })).toBe(1);
    expect(
      await db.prisma.deadLetter.findUnique({
        where: { id: rows[0]!.id },
        select: { status: true, reprocessedRunId: true },
      }),
    ).toEqual({ status: "reprocessed", reprocessedRunId: replayRun.id });
  });
});

/** Advances the job and runs what it starts until it ends (at most 50 rounds). */
async function drive(h: ReturnType<typeof harness>, jobId: string, runner = h.runner) {
  for (let round = 0; round < 50; round++) {
    const r = await advanceReprocessJob(runner, jobId);
    if (r.state === "completed" || r.state === "stopped") return r.state;
    for (const id of r.started) await runToEnd(h.engine, h.clock, id);
    // Replays started by an earlier (killed) runner end too.
    for (const i of await items(jobId))
      if (i.state === "running" && i.replayRunId) await runToEnd(h.engine, h.clock, i.replayRunId);
    await h.clock.advance(60_000);
  }
  throw new Error(`job ${jobId} did not end`);
}

/** A transactor whose transactions die right after the replay run is created (a killed worker). */
function killedAfterCreateRun(real: Transactor): Transactor {
  return {
    transaction: (fn) =>
      real.transaction((tx) =>
        fn({
          ...tx,
          runs: new Proxy(tx.runs, {
            get(target, prop, receiver) {
              if (prop === "createRun")
                return async (...args: Parameters<typeof target.createRun>) => {
                  await target.createRun(...args);
                  throw new Error("worker killed");
                };
              const v = Reflect.get(target, prop, receiver) as unknown;
              return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
            },
          }),
        }),
      ),
  };
}

describe("reprocess jobs survive a killed worker", () => {
  it("resumes after a worker is killed mid-job; nothing is reprocessed twice", async () => {
    const h = harness("dl-kill");
    const rows = await deadLetters(h, 5, "timeout-after-write");
    const jobId = await approvedJob(
      rows.map((r) => r.id),
      { canary: 1, ratePerMinute: 60 },
    );
    // Runner A starts the canary; it succeeds; A starts the second item.
    const a: ReprocessRunnerDeps = { transactor: services.transactor, clock: h.clock };
    const [canary] = (await advanceReprocessJob(a, jobId)).started;
    expect((await runToEnd(h.engine, h.clock, canary!)).status).toBe("succeeded");
    await h.clock.advance(1000);
    expect((await advanceReprocessJob(a, jobId)).started).toHaveLength(1);

    // A worker dies between creating the third item's replay run and recording it: the
    // transaction never commits, so the item is still pending and no run exists.
    await h.clock.advance(1000);
    const killed: ReprocessRunnerDeps = {
      transactor: killedAfterCreateRun(services.transactor),
      clock: h.clock,
    };
    await expect(advanceReprocessJob(killed, jobId)).rejects.toThrow("worker killed");
    let state = await items(jobId);
    expect(state.map((i) => i.state)).toEqual([
      "succeeded",
      "running",
      "pending",
      "pending",
      "pending",
    ]);
    expect(
      await db.prisma.run.count({ where: { idempotencyKey: `reprocess:${state[2]!.id}` } }),
    ).toBe(0);
    expect((await db.prisma.deadLetter.findUnique({ where: { id: rows[2]!.id } }))?.status).toBe(
      "open",
    );

    // Runner A starts the third item, then is killed before it records any outcome.
    expect((await advanceReprocessJob(a, jobId)).started).toHaveLength(1);
    state = await items(jobId);
    expect(state.map((i) => i.state)).toEqual([
      "succeeded",
      "running",
      "running",
      "pending",
      "pending",
    ]);

    // Two new runners (another process's, say) continue from the stored state, at once.
    const b: ReprocessRunnerDeps = { transactor: services.transactor, clock: h.clock };
    const c: ReprocessRunnerDeps = { transactor: services.transactor, clock: h.clock };
    for (const i of state.filter((x) => x.state === "running"))
      expect((await runToEnd(h.engine, h.clock, i.replayRunId!)).status).toBe("succeeded");
    await h.clock.advance(1000);
    const raced = await Promise.all([advanceReprocessJob(b, jobId), advanceReprocessJob(c, jobId)]);
    expect(raced.flatMap((r) => r.started).length).toBeLessThanOrEqual(1);
    expect(await drive(h, jobId, b)).toBe("completed");

    // Every dead letter reprocessed exactly once: one replay run per item and per source run.
    const done = await items(jobId);
    expect(done.map((i) => i.state)).toEqual(rows.map(() => "succeeded"));
    expect(new Set(done.map((i) => i.replayRunId)).size).toBe(rows.length);
    for (const r of rows)
      expect(await db.prisma.run.count({ where: { replayOfRunId: r.runId } }), r.runId).toBe(1);
    const dls = await db.prisma.deadLetter.findMany({
      where: { id: { in: rows.map((r) => r.id) } },
      select: { id: true, status: true, reprocessedRunId: true },
    });
    for (const d of dls)
      expect(d).toEqual({
        id: d.id,
        status: "reprocessed",
        reprocessedRunId: done.find((i) => i.deadLetterId === d.id)!.replayRunId,
      });
    // One write per idempotency key at the billing service over the failed runs and replays.
    for (const [key, count] of h.mock.effectsByKey) expect(count, key).toBe(1);
    expect(Object.fromEntries(h.mock.effectsByStep)).toEqual({ w1: 5, w2: 5, w3: 5 });
    const job = await getReprocessJob(services, ownerActor(), { id: jobId });
    expect(job).toMatchObject({
      state: "completed",
      progress: { total: 5, done: 5, succeeded: 5, failed: 0, skipped: 0, running: 0, pending: 0 },
    });
    const starts = await db.prisma.auditEntry.count({
      where: {
        workspaceId: owner.workspace.id,
        action: "run.replay.start",
        payload: { path: ["reprocessJobId"], equals: jobId },
      },
    });
    expect(starts).toBe(5);
    // The background entry point finds nothing left to do for it.
    const idle = await advanceReprocessJobs(b);
    expect(idle.started).toBe(0);
  });
});
