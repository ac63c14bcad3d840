import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import pg from "pg";
import { inject } from "vitest";
import { migrate, openDatabase, type Database } from "@/server/adapters/prisma";
import type { TestDatabaseTemplate } from "./global-setup";
import { servicesFor } from "./services";

/**
 * A fresh, migrated database for one test file: PGlite in memory by default; a new database on
 * the PostgreSQL server at TEST_DATABASE_URL when TEST_DB=postgres (dropped on close). Its
 * services (`servicesFor`) are built with it, so a tRPC context built from its client alone
 * finds them.
 *
 * It is a copy of the run's template database (`global-setup.ts`: migrated once per run), or,
 * without one, created and migrated here.
 */
export async function openTestDatabase(): Promise<Database> {
  const db = await openFreshDatabase();
  servicesFor(db);
  return db;
}

function template(): TestDatabaseTemplate | undefined {
  try {
    return inject("testDatabaseTemplate");
  } catch {
    return undefined; // not in a vitest worker
  }
}

async function openFreshDatabase(): Promise<Database> {
  const tpl = template();
  if (process.env.TEST_DB === "postgres") {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) throw new Error("TEST_DB=postgres needs TEST_DATABASE_URL.");
    const name = `tf_test_${randomBytes(6).toString("hex")}`;
    const from = tpl?.kind === "postgres" ? tpl.name : null;
    await adminQuery(
      base,
      from ? `CREATE DATABASE ${name} TEMPLATE ${from}` : `CREATE DATABASE ${name}`,
    );
    const url = new URL(base);
    url.pathname = `/${name}`;
    const db = await openDatabase({ kind: "postgres", url: url.toString(), poolSize: 5 });
    if (!from) await migrate(db.driver);
    return {
      ...db,
      async close() {
        await db.close();
        await adminQuery(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  const dump = tpl?.kind === "pglite" ? await pgliteDump(tpl.file) : null;
  if (dump) return openDatabase({ kind: "pglite", loadDataDir: dump });
  const db = await openDatabase({ kind: "pglite" });
  await migrate(db.driver);
  return db;
}

/**
 * The template's dump, read and unzipped once per worker (null if the file is gone: create and
 * migrate). PGlite is handed the plain tar: it would unzip the file at each load through a
 * decompression stream, after a failed attempt to read it as a tar.
 */
const dumps = new Map<string, Promise<Blob | null>>();
function pgliteDump(file: string): Promise<Blob | null> {
  let dump = dumps.get(file);
  if (!dump) {
    dump = readFile(file).then(
      (bytes) => new Blob([gunzipSync(bytes)]),
      () => null,
    );
    dumps.set(file, dump);
  }
  return dump;
}

async function adminQuery(base: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
