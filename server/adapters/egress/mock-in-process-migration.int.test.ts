import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { openTestDatabase } from "@/server/testing/test-database";

/**
 * The data migration `20261205010000_mock_in_process`: connectors that called this app's mock
 * route for their own workspace over loopback now name the in-process service (`mock://crm`).
 */
const SQL = readFileSync(
  path.join(process.cwd(), "prisma/migrations/20261205010000_mock_in_process/migration.sql"),
  "utf8",
);

let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe("mock services in-process migration", () => {
  it("rewrites the workspace's own mock base and token URLs, and nothing else", async () => {
    const ws = await db.prisma.workspace.create({ data: { slug: "mig-a", name: "A" } });
    const other = await db.prisma.workspace.create({ data: { slug: "mig-b", name: "B" } });
    const make = (name: string, system: string, baseUrl: string, authConfig: object = {}) =>
      db.prisma.connector.create({
        data: { workspaceId: ws.id, name, system, baseUrl, authConfig },
      });
    await make("crm-mock", "crm", `http://localhost:3000/api/mock/crm/t/${ws.id}`);
    await make(
      "billing-mock",
      "billing",
      `https://studio.example.com/api/mock/billing/t/${ws.id}/`,
      {
        tokenUrl: `http://localhost:3000/api/mock/billing/t/${ws.id}/oauth/token`,
        scope: "x",
      },
    );
    await make("clm-other-tenant", "clm", `http://localhost:3000/api/mock/clm/t/${other.id}`);
    await make("real", "real", "https://api.partner.example/api/mock/crm/t/nope");
    const statements = SQL.split(/;\s*$/m).filter((s) => s.replace(/--.*$/gm, "").trim());
    for (const s of statements) await db.prisma.$executeRawUnsafe(s);
    const rows = await db.prisma.connector.findMany({
      where: { workspaceId: ws.id },
      orderBy: { name: "asc" },
      select: { name: true, baseUrl: true, authConfig: true },
    });
    expect(rows).toEqual([
      {
        name: "billing-mock",
        baseUrl: "mock://billing",
        authConfig: { tokenUrl: "mock://billing/oauth/token", scope: "x" },
      },
      {
        name: "clm-other-tenant",
        baseUrl: `http://localhost:3000/api/mock/clm/t/${other.id}`,
        authConfig: {},
      },
      { name: "crm-mock", baseUrl: "mock://crm", authConfig: {} },
      { name: "real", baseUrl: "https://api.partner.example/api/mock/crm/t/nope", authConfig: {} },
    ]);
  });
});
