import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { defineStoreContract } from "@/server/engine/store-contract";
import { openTestDatabase } from "@/server/testing/test-database";
import { SqlRunStore, sqlFromDriver, sqlFromPrisma } from "./sql-run-store";

let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db?.close());

async function fixture(via: "driver" | "prisma") {
  // A clean slate per test: claims look at every due run of the database.
  await db.driver.query(`DELETE FROM "Run"`);
  const ws = async () => {
    const id = randomUUID();
    await db.driver.query(
      `INSERT INTO "Workspace" ("id", "slug", "name") VALUES ($1, $2, 'contract')`,
      [id, `c-${id}`],
    );
    return id;
  };
  const sql = via === "driver" ? sqlFromDriver(db.driver) : sqlFromPrisma(db.prisma);
  return {
    store: new SqlRunStore(sql),
    workspaceId: await ws(),
    otherWorkspaceId: await ws(),
    uuid: randomUUID,
  };
}

defineStoreContract(`sql (${process.env.TEST_DB ?? "pglite"}, raw driver)`, () =>
  fixture("driver"),
);
defineStoreContract(`sql (${process.env.TEST_DB ?? "pglite"}, prisma raw queries)`, () =>
  fixture("prisma"),
);
