import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "egress-admin");
});
afterAll(async () => {
  await db?.close();
});

const ledger = () =>
  db.prisma.auditEntry.findMany({
    where: { workspaceId: owner.workspace.id, action: { startsWith: "egress." } },
    orderBy: { seq: "asc" },
  });

describe("egress allow-list", () => {
  it("admins allow, change and remove hosts; each change is a ledger entry", async () => {
    const c = callerFor(db.prisma, owner.user);
    const added = await c.egress.allow({
      host: " [::1] ",
      allowHttp: true,
      reason: "test receiver",
    });
    expect(added).toMatchObject({ host: "::1", allowHttp: true, allowPrivate: true });
    const again = await c.egress.allow({ host: "::1", allowHttp: false, allowPrivate: true });
    expect(again.id).toBe(added.id);
    await c.egress.allow({ host: "ERP.Internal.Example.", allowPrivate: true });
    expect((await c.egress.list()).map((h) => h.host)).toEqual(["::1", "erp.internal.example"]);
    await c.egress.remove({ id: added.id });
    expect((await c.egress.list()).map((h) => h.host)).toEqual(["erp.internal.example"]);
    expect((await ledger()).map((e) => [e.action, (e.payload as { host: string }).host])).toEqual([
      ["egress.allow", "::1"],
      ["egress.allow.update", "::1"],
      ["egress.allow", "erp.internal.example"],
      ["egress.allow.remove", "::1"],
    ]);
  });

  it("refuses non-admins and bad hosts with clear errors, changing nothing", async () => {
    const before = JSON.stringify([await db.prisma.egressAllow.findMany(), await ledger()]);
    for (const role of ["viewer", "editor", "approver"] as const) {
      const u = await makeUser(db.prisma, `egress-${role}`);
      await addMembership(db.prisma, u.user.id, owner.workspace.id, role);
      const c = callerFor(db.prisma, u.user, owner.workspace.id);
      await expect(c.egress.allow({ host: "10.0.0.1" })).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      await expect(c.egress.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    const c = callerFor(db.prisma, owner.user);
    for (const host of ["http://10.0.0.1", "10.0.0.1:8080", "a/b", "*.example.com", ""]) {
      await expect(c.egress.allow({ host }), host).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/host name|IP address|Enter a host/),
      });
    }
    await expect(
      c.egress.remove({ id: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(JSON.stringify([await db.prisma.egressAllow.findMany(), await ledger()])).toBe(before);
  });
});
