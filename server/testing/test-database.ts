import { randomBytes } from "node:crypto";
import pg from "pg";
import { migrate, openDatabase, type Database } from "@/server/adapters/prisma";
import { servicesFor } from "./services";

/**
 * A fresh, migrated database for one test file: PGlite in memory by default; a new database on
 * the PostgreSQL server at TEST_DATABASE_URL when TEST_DB=postgres (dropped on close). Its
 * services (`servicesFor`) are built with it, so a tRPC context built from its client alone
 * finds them.
 */
export async function openTestDatabase(): Promise<Database> {
  const db = await openFreshDatabase();
  servicesFor(db);
  return db;
}

async function openFreshDatabase(): Promise<Database> {
  if (process.env.TEST_DB === "postgres") {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) throw new Error("TEST_DB=postgres needs TEST_DATABASE_URL.");
    const name = `tf_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    const db = await openDatabase({ kind: "postgres", url: url.toString(), poolSize: 5 });
    await migrate(db.driver);
    return {
      ...db,
      async close() {
        await db.close();
        const c = new pg.Client({ connectionString: base });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const db = await openDatabase({ kind: "pglite" });
  await migrate(db.driver);
  return db;
}
