import { afterEach, describe, expect, it } from "vitest";
import { openTestDatabase } from "@/server/testing/test-database";
import { checksum, loadMigrations, migrate, migrationStatus, type Migration } from "./migrator";
import type { Database } from "./database";

let db: Database | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

const extra = (name: string, sql: string): Migration => ({ name, sql, checksum: checksum(sql) });

describe("migrator", () => {
  it("applies every migration once; a second run is a no-op", async () => {
    db = await openTestDatabase(); // already migrated once
    const all = await loadMigrations();
    const again = await migrate(db.driver);
    expect(again.applied).toEqual([]);
    expect(again.skipped).toEqual(all.map((m) => m.name));
    expect(await migrationStatus(db.driver)).toMatchObject({ pending: [], applied: all.length });
  });

  it("records migrations the way Prisma does (checksum = SHA-256 of migration.sql)", async () => {
    db = await openTestDatabase();
    const [first] = await loadMigrations();
    const rows = await db.driver.query<{ checksum: string; finished_at: Date | null }>(
      `SELECT checksum, finished_at FROM "_prisma_migrations" WHERE migration_name = $1`,
      [first!.name],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.checksum).toBe(first!.checksum);
    expect(rows[0]!.finished_at).not.toBeNull();
  });

  it("applies a new migration and refuses when an applied one was edited", async () => {
    db = await openTestDatabase();
    const base = await loadMigrations();
    const next = extra("29990101000000_probe", `CREATE TABLE "Probe" ("id" INT PRIMARY KEY);`);
    expect((await migrate(db.driver, [...base, next])).applied).toEqual([next.name]);
    const edited = extra(next.name, `CREATE TABLE "Probe" ("id" BIGINT PRIMARY KEY);`);
    await expect(migrate(db.driver, [...base, edited])).rejects.toThrow(
      /was edited after it was applied/,
    );
  });

  it("refuses when an applied migration is missing on disk", async () => {
    db = await openTestDatabase();
    const base = await loadMigrations();
    await migrate(db.driver, [...base, extra("29990101000000_probe", `SELECT 1;`)]);
    await expect(migrate(db.driver, base)).rejects.toThrow(/is missing/);
  });

  it("rolls back a failing migration entirely", async () => {
    db = await openTestDatabase();
    const base = await loadMigrations();
    const bad = extra(
      "29990101000000_bad",
      `CREATE TABLE "Half" ("id" INT); SELECT * FROM "NoSuchTable";`,
    );
    await expect(migrate(db.driver, [...base, bad])).rejects.toThrow(/failed and was rolled back/);
    const tables = await db.driver.query(
      `SELECT 1 FROM information_schema.tables WHERE table_name = 'Half'`,
    );
    expect(tables).toEqual([]);
    expect((await migrationStatus(db.driver, [...base, bad])).pending).toEqual([bad.name]);
  });
});
