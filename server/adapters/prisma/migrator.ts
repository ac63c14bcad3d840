import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { SqlDriver } from "./sql-driver";

/**
 * Applies `prisma/migrations/<name>/migration.sql` in name order, each in its own transaction.
 * Bookkeeping uses Prisma's own `_prisma_migrations` table and checksum (SHA-256 of the file),
 * so a database migrated here is up to date for `prisma migrate deploy` and the other way round.
 * Idempotent: applied migrations are skipped. Refuses to run when an applied migration's file
 * was edited (checksum mismatch) or is missing.
 */
export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: string[];
  skipped: string[];
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

// The comment keeps Next's file tracer from treating the whole project as a dependency.
export const DEFAULT_MIGRATIONS_DIR = path.join(
  /*turbopackIgnore: true*/ process.cwd(),
  "prisma",
  "migrations",
);

export function checksum(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

export async function loadMigrations(dir = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: checksum(sql) };
    }),
  );
}

const BOOKKEEPING = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

// Serialises concurrent migrators (several processes starting at once on one PostgreSQL).
const LOCK_KEY = 72_707_369;

interface AppliedRow {
  migration_name: string;
  checksum: string;
}

export async function migrate(
  driver: SqlDriver,
  migrations?: Migration[],
): Promise<MigrationReport> {
  const all = migrations ?? (await loadMigrations());
  const report: MigrationReport = { applied: [], skipped: [] };
  await driver.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
    await tx.exec(BOOKKEEPING);
  });
  const applied = await driver.query<AppliedRow>(
    `SELECT migration_name, checksum FROM "_prisma_migrations"
     WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const byName = new Map(applied.map((r) => [r.migration_name, r.checksum]));
  const known = new Set(all.map((m) => m.name));
  for (const name of byName.keys()) {
    if (!known.has(name)) {
      throw new MigrationError(
        `Migration ${name} is recorded as applied but prisma/migrations/${name} is missing.`,
      );
    }
  }
  for (const m of all) {
    const recorded = byName.get(m.name);
    if (recorded !== undefined && recorded !== m.checksum) {
      throw new MigrationError(
        `Migration ${m.name} was edited after it was applied (checksum ${recorded.slice(0, 12)}… ` +
          `in the database, ${m.checksum.slice(0, 12)}… on disk). Applied migrations are ` +
          `immutable: revert the edit and write a new migration instead.`,
      );
    }
  }
  for (const m of all) {
    if (byName.has(m.name)) {
      report.skipped.push(m.name);
      continue;
    }
    await driver.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
      // Another process may have applied it while we waited for the lock.
      const done = await tx.query(
        `SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1 AND finished_at IS NOT NULL`,
        [m.name],
      );
      if (done.length > 0) {
        report.skipped.push(m.name);
        return;
      }
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new MigrationError(
          `Migration ${m.name} failed and was rolled back: ${(err as Error).message}`,
        );
      }
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES ($1, $2, now(), $3, 1)`,
        [randomUUID(), m.checksum, m.name],
      );
      report.applied.push(m.name);
    });
  }
  return report;
}

/** Names of applied migrations and whether any on disk are pending (for /api/health). */
export async function migrationStatus(driver: SqlDriver, migrations?: Migration[]) {
  const all = migrations ?? (await loadMigrations());
  const rows = await driver
    .query<AppliedRow>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`,
    )
    .catch(() => [] as AppliedRow[]);
  const applied = new Set(rows.map((r) => r.migration_name));
  return {
    applied: rows.length,
    pending: all.filter((m) => !applied.has(m.name)).map((m) => m.name),
    latest:
      rows
        .map((r) => r.migration_name)
        .sort()
        .at(-1) ?? null,
  };
}
