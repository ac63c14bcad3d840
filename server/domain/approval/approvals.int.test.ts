import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import {
  approvalCast,
  approvalOf,
  approvalSnapshot,
  groupWith,
  humanFlow,
  parkedRun,
  tickUntil,
  type Person,
} from "@/server/testing/approvals";
import { engineFor } from "@/server/testing/engine";
import { callerFor, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
let owner: TestUser;
let cast: Record<"ap1" | "ap2" | "ap3" | "ed" | "admin2" | "viewer", Person>;
let ws: string;

beforeAll(async () => {
  db = await openTestDatabase();
  const c = await approvalCast(db, {
    ap1: "approver",
    ap2: "approver",
    ap3: "approver",
    ed: "editor",
    admin2: "admin",
    viewer: "viewer",
  });
  owner = c.owner;
  cast = c.people;
  ws = owner.workspace.id;
  await groupWith(db, owner.user, ws, "finance", [cast.ed, cast.ap1]);
});
afterAll(() => db?.close());

const as = (u: Person) => callerFor(db.prisma, u, ws);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

/** What a refused decision must leave as it was. */
const snapshot = (approvalId: string) => approvalSnapshot(db, ws, approvalId);

async function stepOutput(runId: string) {
  const a = await db.prisma.stepAttempt.findFirst({
    where: { runId, stepId: "gate" },
    orderBy: { attempt: "desc" },
  });
  return a?.output as Record<string, unknown> | null;
}

describe("approvals", () => {
  it("creates the approval of a parked step without a special call, once", async () => {
    const flow = humanFlow(
      "listed",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Pay it?",
    );
    const { runId, workflowId } = await parkedRun(db, owner.user, ws, flow);
    const first = await as(cast.ap1).approval.list({ status: "pending" });
    const mine = first.items.filter((a) => a.runId === runId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      kind: "step",
      status: "pending",
      stepId: "gate",
      attempt: 1,
      message: "Pay it?",
      minApprovals: 1,
      approvals: 0,
      canDecide: true,
      whyNot: null,
      version: "draft",
      requester: { userId: owner.user.id, label: owner.user.email },
      workflow: { id: workflowId },
    });
    // Listing again, counting and getting create nothing more.
    await as(cast.ap2).approval.list({ status: "all" });
    await as(cast.ap1).approval.count();
    await as(cast.ap1).approval.get({ id: mine[0]!.id });
    expect(await db.prisma.approval.count({ where: { runId } })).toBe(1);
    // The requester sees it too, but may not decide it.
    const asRequester = await as(owner.user).approval.get({ id: mine[0]!.id });
    expect(asRequester.canDecide).toBe(false);
    expect(asRequester.whyNot).toMatch(/four-eyes/);
  });

  it("needs a quorum of distinct approvers; the engine hears of it once, with every name", async () => {
    const flow = humanFlow(
      "quorum",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Two of you\nminApprovals: 2",
    );
    const { runId, engine } = await parkedRun(db, owner.user, ws, flow);
    const a = await approvalOf(db, cast.ap1, ws, runId);
    expect(a.minApprovals).toBe(2);

    const one = await as(cast.ap1).approval.decide({
      id: a.id,
      decision: "approve",
      comment: "ok",
    });
    expect(one).toMatchObject({ status: "pending", approvals: 1 });
    // Not signalled yet: the run keeps waiting.
    expect(await db.prisma.runTask.count({ where: { runId, kind: "resume" } })).toBe(0);
    await engine.tick();
    expect((await db.prisma.run.findUnique({ where: { id: runId } }))!.status).toBe("waiting");

    // The same person twice, and the requester, are refused.
    expect(await codeOf(as(cast.ap1).approval.decide({ id: a.id, decision: "approve" }))).toBe(
      "FORBIDDEN",
    );
    expect(await codeOf(as(owner.user).approval.decide({ id: a.id, decision: "approve" }))).toBe(
      "FORBIDDEN",
    );

    const two = await as(cast.ap2).approval.decide({ id: a.id, decision: "approve" });
    expect(two).toMatchObject({ status: "approved", approvals: 2 });
    expect(two.decisions.map((d) => d.label)).toEqual([cast.ap1.email, cast.ap2.email]);
    await tickUntil(db, engine, runId, (s) => s === "succeeded");
    expect(await stepOutput(runId)).toMatchObject({
      approved: true,
      decidedBy: [cast.ap1.email, cast.ap2.email],
    });
    // A third approval comes too late.
    expect(await codeOf(as(cast.ap3).approval.decide({ id: a.id, decision: "approve" }))).toBe(
      "CONFLICT",
    );
    const ledger = await db.prisma.auditEntry.findMany({
      where: { workspaceId: ws, subjectId: runId, action: "run.step.approve" },
      orderBy: { seq: "asc" },
    });
    expect(ledger.map((e) => e.actorLabel)).toEqual([cast.ap1.email, cast.ap2.email]);
    expect(ledger.map((e) => (e.payload as { status: string }).status)).toEqual([
      "pending",
      "approved",
    ]);
  });

  it("enforces group approvers: members qualify whatever their role, others do not", async () => {
    const flow = humanFlow(
      "grouped",
      "human.approval@1",
      "approvers: { group: finance }\nmessage: Finance?",
    );
    const { runId, engine } = await parkedRun(db, owner.user, ws, flow);
    const a = await approvalOf(db, cast.ed, ws, runId);
    expect(a.canDecide).toBe(true);
    // An approver and an admin outside the group are refused, and nothing changes.
    const before = await snapshot(a.id);
    for (const u of [cast.ap3, cast.admin2]) {
      expect(await codeOf(as(u).approval.decide({ id: a.id, decision: "approve" }))).toBe(
        "FORBIDDEN",
      );
    }
    expect(await snapshot(a.id)).toBe(before);
    // The editor in finance decides.
    await expect(
      as(cast.ed).approval.decide({ id: a.id, decision: "approve" }),
    ).resolves.toMatchObject({ status: "approved" });
    await tickUntil(db, engine, runId, (s) => s === "succeeded");
  });

  it("enforces users approvers by email", async () => {
    const flow = humanFlow(
      "named",
      "human.approval@1",
      `approvers: { users: ["${cast.ap2.email}"] }\nmessage: Only you`,
    );
    const { runId } = await parkedRun(db, owner.user, ws, flow);
    const a = await approvalOf(db, cast.ap2, ws, runId);
    expect(await codeOf(as(cast.ap1).approval.decide({ id: a.id, decision: "approve" }))).toBe(
      "FORBIDDEN",
    );
    expect((await as(cast.ap1).approval.get({ id: a.id })).whyNot).toMatch(cast.ap2.email);
    await expect(
      as(cast.ap2).approval.decide({ id: a.id, decision: "approve" }),
    ).resolves.toMatchObject({ status: "approved" });
  });

  it("lets any qualified approver decide a run with no personal requester (webhook)", async () => {
    const flow = humanFlow(
      "hooked",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Hook?",
    );
    const wf = await as(owner.user).workflow.create({ name: "Hooked", dsl: flow });
    const engine = engineFor(db);
    const compiled = (await import("@/server/domain/workflow/compile-flow")).compileFlow(flow);
    // As a webhook starts it: no user, a label naming the trigger.
    const run = await engine.createRun({
      workspaceId: ws,
      workflowId: wf.id,
      version: null,
      ir: compiled.ir!,
      inputs: { amount: 1 },
      startedBy: "webhook:hooked",
    });
    await tickUntil(db, engine, run.id, (s) => s === "waiting");
    expect((await db.prisma.run.findUnique({ where: { id: run.id } }))!.startedByUserId).toBeNull();
    const a = await approvalOf(db, owner.user, ws, run.id);
    expect(a.requester).toEqual({ userId: null, label: "webhook:hooked" });
    // The workspace's admin did not start it: they may decide (role approver admits admins).
    expect(a.canDecide).toBe(true);
    await expect(
      as(owner.user).approval.decide({ id: a.id, decision: "approve" }),
    ).resolves.toMatchObject({ status: "approved" });
    await tickUntil(db, engine, run.id, (s) => s === "succeeded");
  });

  it("refuses a rejection without a comment and changes nothing; with one it fails the step", async () => {
    const flow = humanFlow(
      "rejected",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: No?",
    );
    const { runId, engine } = await parkedRun(db, owner.user, ws, flow);
    const a = await approvalOf(db, cast.ap1, ws, runId);
    const before = await snapshot(a.id);
    for (const comment of [undefined, "   "]) {
      const err = await as(cast.ap1)
        .approval.decide({ id: a.id, decision: "reject", comment })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect((err as TRPCError).code).toBe("BAD_REQUEST");
      expect((err as TRPCError).message).toMatch(/comment/);
    }
    expect(
      await codeOf(as(cast.ap1).run.resume({ runId, stepId: "gate", decision: "reject" })),
    ).toBe("BAD_REQUEST");
    expect(await snapshot(a.id)).toBe(before);

    await expect(
      as(cast.ap1).approval.decide({ id: a.id, decision: "reject", comment: "too much" }),
    ).resolves.toMatchObject({ status: "rejected" });
    const run = await tickUntil(db, engine, runId, (s) => s === "failed");
    expect(JSON.stringify(run.error)).toMatch(/too much/);
  });

  it("break-glass: an admin only, with a reason, never on their own request, flagged in the ledger", async () => {
    const flow = humanFlow(
      "glass",
      "human.approval@1",
      "approvers: { group: finance }\nmessage: Urgent",
    );
    const { runId, engine } = await parkedRun(db, owner.user, ws, flow);
    const a = await approvalOf(db, cast.admin2, ws, runId);
    const before = await snapshot(a.id);
    const reason = "Finance is away; the customer is blocked.";
    // The requesting admin, an approver, and a reason too short are refused.
    expect(
      await codeOf(as(owner.user).approval.breakGlass({ id: a.id, decision: "approve", reason })),
    ).toBe("FORBIDDEN");
    expect(
      await codeOf(as(cast.ap1).approval.breakGlass({ id: a.id, decision: "approve", reason })),
    ).toBe("FORBIDDEN");
    expect(
      await codeOf(
        as(cast.admin2).approval.breakGlass({ id: a.id, decision: "approve", reason: "" }),
      ),
    ).toBe("BAD_REQUEST");
    expect(await snapshot(a.id)).toBe(before);

    const done = await as(cast.admin2).approval.breakGlass({
      id: a.id,
      decision: "approve",
      reason,
    });
    expect(done.status).toBe("approved");
    expect(done.decisions).toEqual([
      expect.objectContaining({ userId: cast.admin2.id, breakGlass: true, reason }),
    ]);
    const entry = await db.prisma.auditEntry.findFirst({
      where: { workspaceId: ws, action: "approval.break-glass", subjectId: runId },
    });
    expect(entry).toMatchObject({ actorLabel: cast.admin2.email });
    expect(entry!.payload).toMatchObject({ breakGlass: true, reason, decision: "approve" });
    // The ledger's filter finds it as its own action.
    const listed = await as(owner.user).audit.list({ action: "approval.break-glass" });
    expect(listed.entries.map((e) => e.action)).toContain("approval.break-glass");
    await tickUntil(db, engine, runId, (s) => s === "succeeded");
    await expect(as(owner.user).audit.verify()).resolves.toMatchObject({ ok: true });
  });

  it("validates a form's values against its JSON Schema on the server", async () => {
    const flow = humanFlow(
      "form",
      "human.form@1",
      `assignees: { role: approver }
title: Billing contact
schema:
  type: object
  required: [email]
  properties:
    email: { type: string, minLength: 3 }
    seats: { type: integer, minimum: 1 }`,
    );
    const { runId, engine } = await parkedRun(db, owner.user, ws, flow);
    const a = await approvalOf(db, cast.ap1, ws, runId);
    expect(a).toMatchObject({ kind: "form", form: { title: "Billing contact" } });
    const before = await snapshot(a.id);
    for (const values of [{}, { email: "x@example.test", seats: 0 }, { email: 3 }]) {
      const err = await as(cast.ap1)
        .approval.decide({ id: a.id, decision: "submit", values })
        .catch((e: unknown) => e);
      expect((err as TRPCError).code).toBe("BAD_REQUEST");
      expect((err as TRPCError).message).toMatch(/do not match the form/);
    }
    // A form is submitted, not approved.
    expect(await codeOf(as(cast.ap1).approval.decide({ id: a.id, decision: "approve" }))).toBe(
      "BAD_REQUEST",
    );
    expect(await snapshot(a.id)).toBe(before);
    const values = { email: "ops@example.test", seats: 3 };
    await expect(
      as(cast.ap1).approval.decide({ id: a.id, decision: "submit", values }),
    ).resolves.toMatchObject({ status: "submitted" });
    await tickUntil(db, engine, runId, (s) => s === "succeeded");
    expect(await stepOutput(runId)).toMatchObject({ values, submittedBy: cast.ap1.email });
  });

  it("follows the step: a cancelled run voids its approval, a timeout expires it", async () => {
    const flow = humanFlow(
      "voided",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Later",
    );
    const { runId } = await parkedRun(db, owner.user, ws, flow);
    const a = await approvalOf(db, cast.ap1, ws, runId);
    await as(owner.user).run.cancel({ id: runId });
    // Voided with the cancellation itself: the inbox (which never writes) no longer lists it.
    const inbox = await as(cast.ap1).approval.list({ status: "pending" });
    expect(inbox.items.map((i) => i.id)).not.toContain(a.id);
    expect((await as(cast.ap1).approval.get({ id: a.id })).status).toBe("voided");
    expect(await codeOf(as(cast.ap1).approval.decide({ id: a.id, decision: "approve" }))).toBe(
      "CONFLICT",
    );

    const timed = humanFlow(
      "expiring",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Quick\ntimeout: 1s",
    );
    const t = await parkedRun(db, owner.user, ws, timed);
    const pending = await approvalOf(db, cast.ap1, ws, t.runId);
    expect(pending.expiresAt).not.toBeNull();
    await new Promise((r) => setTimeout(r, 1100));
    await tickUntil(db, t.engine, t.runId, (s) => s === "failed");
    const expired = await as(cast.ap1).approval.get({ id: pending.id });
    expect(expired.status).toBe("expired");
    expect(expired.decidedAt).not.toBeNull();
  });

  it("marks an escalated approval and keeps it decidable", async () => {
    const flow = humanFlow(
      "escalating",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Anyone?\ntimeout: 1s\nonTimeout: escalate",
    );
    const { runId, engine } = await parkedRun(db, owner.user, ws, flow);
    const a = await approvalOf(db, cast.ap1, ws, runId);
    expect(a.escalated).toBe(false);
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 5; i++) await engine.tick();
    const escalated = await as(cast.ap1).approval.get({ id: a.id });
    expect(escalated).toMatchObject({ status: "pending", escalated: true });
    expect(
      await db.prisma.auditEntry.count({
        where: { workspaceId: ws, action: "approval.escalate", subjectId: a.id },
      }),
    ).toBe(1);
    await as(cast.ap1).approval.list();
    expect(
      await db.prisma.auditEntry.count({
        where: { workspaceId: ws, action: "approval.escalate", subjectId: a.id },
      }),
    ).toBe(1);
    await expect(
      as(cast.ap1).approval.decide({ id: a.id, decision: "approve" }),
    ).resolves.toMatchObject({ status: "approved" });
    await tickUntil(db, engine, runId, (s) => s === "succeeded");
  });

  it("counts pending approvals and those the caller may decide", async () => {
    const flow = humanFlow(
      "counted",
      "human.approval@1",
      `approvers: { users: ["${cast.ap3.email}"] }\nmessage: You`,
    );
    await parkedRun(db, owner.user, ws, flow);
    const forAp3 = await as(cast.ap3).approval.count();
    const forAp2 = await as(cast.ap2).approval.count();
    const forViewer = await as(cast.viewer).approval.count();
    expect(forAp3.pending).toBe(forAp2.pending);
    expect(forAp3.forMe).toBeGreaterThan(forAp2.forMe);
    expect(forViewer.forMe).toBe(0);
    // A viewer reads the inbox but decides nothing.
    const one = (await as(cast.viewer).approval.list()).items[0]!;
    expect(one.canDecide).toBe(false);
    expect(await codeOf(as(cast.viewer).approval.decide({ id: one.id, decision: "approve" }))).toBe(
      "FORBIDDEN",
    );
  });
});
