/**
 * Vitest global setup of the integration project: one migrated template database per run, which
 * every test file's `openTestDatabase()` copies instead of creating and migrating its own.
 *
 * - TEST_DB=pglite (the default): a PGlite database migrated in memory, its data directory dumped
 *   to a temporary file (a gzipped tar: 5 MB, loaded faster than the 40 MB plain one); each test
 *   database is a PGlite loaded from it.
 * - TEST_DB=postgres: a migrated database `tf_tpl_<random>` on the TEST_DATABASE_URL server; each
 *   test database is `CREATE DATABASE … TEMPLATE` it. Dropped at teardown.
 *
 * The workers learn where it is through `inject("testDatabaseTemplate")`. Without it (another
 * runner, or a setup that failed) `openTestDatabase` creates and migrates as before.
 */
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrate } from "@/server/adapters/prisma/migrator";
import { pgliteDriver, postgresDriver } from "@/server/adapters/prisma/sql-driver";

export type TestDatabaseTemplate =
  { kind: "pglite"; file: string } | { kind: "postgres"; name: string };

declare module "vitest" {
  export interface ProvidedContext {
    testDatabaseTemplate?: TestDatabaseTemplate;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.TEST_DB === "postgres") {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) throw new Error("TEST_DB=postgres needs TEST_DATABASE_URL.");
    const name = await createPostgresTemplate(base);
    project.provide("testDatabaseTemplate", { kind: "postgres", name });
    return () => dropPostgresDatabase(base, name);
  }
  const file = path.join(
    os.tmpdir(),
    `tf-test-template-${process.pid}-${randomBytes(4).toString("hex")}.tar.gz`,
  );
  writeFileSync(file, await migratedPgliteDump());
  project.provide("testDatabaseTemplate", { kind: "pglite", file });
  return async () => rmSync(file, { force: true });
}

/** A migrated in-memory PGlite's data directory, as a gzipped tar. */
export async function migratedPgliteDump(): Promise<Uint8Array> {
  const client = await PGlite.create();
  try {
    await migrate(pgliteDriver(client));
    // Everything in the data files: a database loaded from the dump replays no WAL.
    await client.exec("CHECKPOINT");
    const dump = await client.dumpDataDir("gzip");
    return new Uint8Array(await dump.arrayBuffer());
  } finally {
    await client.close();
  }
}

async function createPostgresTemplate(base: string): Promise<string> {
  const name = `tf_tpl_${randomBytes(6).toString("hex")}`;
  await adminQuery(base, `CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  // One connection, closed before any copy: CREATE DATABASE … TEMPLATE refuses a template that
  // has sessions.
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  try {
    await migrate(postgresDriver(pool, false));
  } catch (err) {
    await pool.end();
    await dropPostgresDatabase(base, name);
    throw err;
  }
  await pool.end();
  return name;
}

async function dropPostgresDatabase(base: string, name: string): Promise<void> {
  await adminQuery(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
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
