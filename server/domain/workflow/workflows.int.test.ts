import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { verifyAudit } from "../audit/ledger";
import { seedDemo } from "../seed/seed-demo";
import { irHashOf } from "./ir-hash";

let db: Database;
let u: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  db = await openTestDatabase();
  u = await makeUser(db.prisma, "wf");
});
afterAll(() => db?.close());

const actions = async (wsId: string) =>
  (
    await db.prisma.auditEntry.findMany({ where: { workspaceId: wsId }, orderBy: { seq: "asc" } })
  ).map((e) => e.action);

describe("workflows", () => {
  it("create, rename, delete (soft) and restore, each recorded in the ledger", async () => {
    const c = callerFor(db.prisma, u.user);
    const wf = await c.workflow.create({ name: "Renewals", description: "CLM renewals" });
    expect((await c.workflow.get({ id: wf.id })).draft).toContain("flow: renewals");
    await c.workflow.rename({ id: wf.id, name: "Contract renewals" });
    await c.workflow.delete({ id: wf.id });
    expect((await c.workflow.list()).map((w) => w.id)).not.toContain(wf.id);
    expect((await c.workflow.list({ deleted: true })).map((w) => w.id)).toContain(wf.id);
    await c.workflow.restore({ id: wf.id });
    expect((await c.workflow.list()).find((w) => w.id === wf.id)?.name).toBe("Contract renewals");
    expect(await actions(u.workspace.id)).toEqual(
      expect.arrayContaining([
        "workflow.create",
        "workflow.rename",
        "workflow.delete",
        "workflow.restore",
      ]),
    );
    expect(await verifyAudit(db.prisma, u.workspace.id)).toMatchObject({ ok: true });
  });

  it("refuses duplicate names (case-insensitive) and writes nothing", async () => {
    const c = callerFor(db.prisma, u.user);
    await c.workflow.create({ name: "Dunning" });
    const before = await db.prisma.auditEntry.count({ where: { workspaceId: u.workspace.id } });
    await expect(c.workflow.create({ name: "dunning" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await db.prisma.auditEntry.count({ where: { workspaceId: u.workspace.id } })).toBe(
      before,
    );
  });

  it("a failed change leaves no ledger entry (same transaction)", async () => {
    const c = callerFor(db.prisma, u.user);
    const wf = await c.workflow.create({ name: "Twice deleted" });
    await c.workflow.delete({ id: wf.id });
    const before = await db.prisma.auditEntry.count({ where: { workspaceId: u.workspace.id } });
    await expect(c.workflow.delete({ id: wf.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await db.prisma.auditEntry.count({ where: { workspaceId: u.workspace.id } })).toBe(
      before,
    );
  });
});

describe("demo seed", () => {
  it("creates the demo workspace with its members, the finance group and two sample workflows, once", async () => {
    expect(await seedDemo(db.prisma, { irHashOf })).toEqual({ created: true });
    expect(await seedDemo(db.prisma)).toEqual({ created: false });
    const ws = await db.prisma.workspace.findUniqueOrThrow({
      where: { slug: "demo" },
      include: { memberships: true, workflows: { include: { versions: true } } },
    });
    expect(ws.memberships.map((m) => m.role).sort()).toEqual([
      "admin",
      "approver",
      "approver",
      "viewer",
    ]);
    const finance = await db.prisma.workspaceGroup.findUniqueOrThrow({
      where: { workspaceId_name: { workspaceId: ws.id, name: "finance" } },
      include: { members: true },
    });
    const approvers = ws.memberships.filter((m) => m.role === "approver").map((m) => m.userId);
    expect(finance.members.map((m) => m.userId).sort()).toEqual(approvers.sort());
    expect(ws.workflows.map((w) => w.name).sort()).toEqual(["Invoice dunning", "Quote to cash"]);
    expect(ws.workflows.find((w) => w.name === "Quote to cash")?.versions[0]?.version).toBe(
      "1.4.0",
    );
    expect(await verifyAudit(db.prisma, ws.id)).toMatchObject({ ok: true });
  });
});
