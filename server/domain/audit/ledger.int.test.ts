import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { appendAudit, verifyAudit } from "./ledger";

/**
 * The ledger detects any edit, deletion or reordering of its entries. The database refuses
 * UPDATE and DELETE on AuditEntry, so each tampering test first disables that trigger, as an
 * attacker with superuser access would.
 */
let db: Database;
let wsId: string;

async function write(n: number) {
  for (let i = 0; i < n; i++) {
    await db.prisma.$transaction((tx) =>
      appendAudit(
        tx,
        { userId: null, label: "test", workspaceId: wsId },
        {
          action: "test.event",
          subjectType: "thing",
          subjectId: `t${i}`,
          payload: { i, nested: { b: 2, a: [1, "x"] } },
        },
      ),
    );
  }
}

async function tamper(sql: string, params: unknown[] = []) {
  await db.driver.query(`ALTER TABLE "AuditEntry" DISABLE TRIGGER "AuditEntry_append_only"`);
  try {
    await db.driver.query(sql, params);
  } finally {
    await db.driver.query(`ALTER TABLE "AuditEntry" ENABLE TRIGGER "AuditEntry_append_only"`);
  }
}

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db?.close());
beforeEach(async () => {
  wsId = (await makeUser(db.prisma, "ledger")).workspace.id; // sign-up writes entry #1
  await write(5); // entries #2..#6
});

describe("audit ledger", () => {
  it("verifies an intact chain", async () => {
    expect(await verifyAudit(db.prisma, wsId)).toMatchObject({ ok: true, entries: 6 });
  });

  it("refuses updates and deletes at the database", async () => {
    await expect(
      db.driver.query(`UPDATE "AuditEntry" SET action = 'x' WHERE "workspaceId" = $1`, [wsId]),
    ).rejects.toThrow(/append-only/);
    await expect(
      db.driver.query(`DELETE FROM "AuditEntry" WHERE "workspaceId" = $1`, [wsId]),
    ).rejects.toThrow(/append-only/);
  });

  it.each([
    ["action", `UPDATE "AuditEntry" SET action = 'forged' WHERE "workspaceId" = $1 AND seq = 3`],
    [
      "payload",
      `UPDATE "AuditEntry" SET payload = '{"i": 99}' WHERE "workspaceId" = $1 AND seq = 3`,
    ],
    [
      "actor",
      `UPDATE "AuditEntry" SET "actorLabel" = 'mallory' WHERE "workspaceId" = $1 AND seq = 3`,
    ],
    [
      "time",
      `UPDATE "AuditEntry" SET at = at + interval '1 second' WHERE "workspaceId" = $1 AND seq = 3`,
    ],
    [
      "subject",
      `UPDATE "AuditEntry" SET "subjectId" = 'other' WHERE "workspaceId" = $1 AND seq = 3`,
    ],
  ])("detects an edited %s at the edited entry", async (_field, sql) => {
    await tamper(sql, [wsId]);
    expect(await verifyAudit(db.prisma, wsId)).toMatchObject({
      ok: false,
      brokenAt: 3,
      reason: "hash-mismatch",
    });
  });

  it("detects a recomputed hash by the broken link that follows", async () => {
    await tamper(
      `UPDATE "AuditEntry" SET hash = repeat('a', 64) WHERE "workspaceId" = $1 AND seq = 3`,
      [wsId],
    );
    const r = await verifyAudit(db.prisma, wsId);
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.brokenAt).toBe(3);
  });

  it("detects a deleted entry in the middle", async () => {
    await tamper(`DELETE FROM "AuditEntry" WHERE "workspaceId" = $1 AND seq = 4`, [wsId]);
    expect(await verifyAudit(db.prisma, wsId)).toMatchObject({
      ok: false,
      brokenAt: 4,
      reason: "missing-entry",
    });
  });

  it("detects deleted entries at the end", async () => {
    await tamper(`DELETE FROM "AuditEntry" WHERE "workspaceId" = $1 AND seq >= 5`, [wsId]);
    expect(await verifyAudit(db.prisma, wsId)).toMatchObject({
      ok: false,
      brokenAt: 5,
      reason: "missing-entry",
    });
  });

  it("detects reordered entries", async () => {
    await tamper(
      `UPDATE "AuditEntry" SET seq = CASE seq WHEN 2 THEN 1002 WHEN 3 THEN 2 END WHERE "workspaceId" = $1 AND seq IN (2, 3)`,
      [wsId],
    );
    await tamper(`UPDATE "AuditEntry" SET seq = 3 WHERE "workspaceId" = $1 AND seq = 1002`, [wsId]);
    const r = await verifyAudit(db.prisma, wsId);
    expect(r).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it("keeps sequence numbers gap-free under concurrent appends", async () => {
    await Promise.all(Array.from({ length: 8 }, () => write(1)));
    const r = await verifyAudit(db.prisma, wsId);
    expect(r).toMatchObject({ ok: true, entries: 14 });
  });

  it("never stores secrets in payloads", async () => {
    await db.prisma.$transaction((tx) =>
      appendAudit(
        tx,
        { userId: null, label: "test", workspaceId: wsId },
        {
          action: "test.secret",
          subjectType: "thing",
          subjectId: "s",
          payload: { password: "hunter2", nested: { apiKey: "k", ok: 1 } },
        },
      ),
    );
    const e = await db.prisma.auditEntry.findFirst({
      where: { workspaceId: wsId, action: "test.secret" },
    });
    expect(JSON.stringify(e?.payload)).not.toMatch(/hunter2|"k"/);
    expect(await verifyAudit(db.prisma, wsId)).toMatchObject({ ok: true });
  });
});
