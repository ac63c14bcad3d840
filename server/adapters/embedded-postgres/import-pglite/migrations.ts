/**
 * The schema of the import: which of the project's migrations the PGlite database has applied
 * (unknown or edited ones refused), applied in turn to the scratch database on the server.
 */
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { loadMigrations, migrate, type Migration } from "../../prisma/migrator";
import { postgresDriver } from "../../prisma/sql-driver";
import { PgliteImportError } from "./error";

/** The project's migrations the PGlite database has applied, refusing unknown or edited ones. */
export async function sourceMigrations(
  source: PGlite,
  c: { dir: string; migrations?: Migration[] },
): Promise<Migration[]> {
  const known = c.migrations ?? (await loadMigrations());
  const [{ present }] = (
    await source.query<{ present: boolean }>(
      `SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS present`,
    )
  ).rows as [{ present: boolean }];
  if (!present) return [];
  const applied = (
    await source.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations"
       WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
    )
  ).rows;
  const byName = new Map(known.map((m) => [m.name, m]));
  for (const a of applied) {
    const m = byName.get(a.migration_name);
    const unchanged = `Nothing was changed; the directory ${c.dir} is kept as it is.`;
    if (!m) {
      throw new PgliteImportError(
        `The PGlite database in ${c.dir} has migration ${a.migration_name} applied, which this ` +
          `version of Trustflow does not have (prisma/migrations/${a.migration_name} is missing): ` +
          `it was written by another version. ${unchanged}`,
      );
    }
    if (m.checksum !== a.checksum) {
      throw new PgliteImportError(
        `The PGlite database in ${c.dir} has migration ${m.name} applied with checksum ` +
          `${a.checksum.slice(0, 12)}…, but prisma/migrations/${m.name} has ` +
          `${m.checksum.slice(0, 12)}…: the migration was edited. ${unchanged}`,
      );
    }
  }
  const names = new Set(applied.map((a) => a.migration_name));
  return known.filter((m) => names.has(m.name));
}

export async function applyMigrations(url: string, migrations: Migration[]): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  try {
    await migrate(postgresDriver(pool), migrations);
  } finally {
    await pool.end();
  }
}
