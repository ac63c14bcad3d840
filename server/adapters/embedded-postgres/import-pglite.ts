/**
 * The upgrade path from the PGlite default database (issue 12): on the first start of the
 * embedded PostgreSQL server, an existing PGlite data directory is copied into it, nothing lost.
 *
 * Phases, all under one advisory lock on the server's maintenance database:
 * 1. Open the PGlite directory and read which migrations it has (refuse unknown or edited ones).
 * 2. Create a scratch database `<database>_import` and apply exactly those migrations to it.
 * 3. Copy every table of schema `public` (but `_prisma_migrations`) in one transaction on the
 *    target, triggers and foreign keys off, from one read-only snapshot of the source, in batches
 *    bounded by rows and bytes; set the sequences.
 * 4. Verify: row count and a content digest of every table equal on both sides, every workspace's
 *    audit chain verifies. Only then `ALTER DATABASE … RENAME TO <database>`: a crash at any point
 *    leaves no `<database>` (the next start retries) or a complete one.
 *
 * The PGlite directory is only read: never removed, renamed or written to by this code (opening it
 * runs PostgreSQL itself, which may set hint bits and checkpoint, as any start of PGlite does).
 *
 * Modules (under `import-pglite/`): `migrations.ts` (phases 1 and 2's schema), `copy.ts`
 * (phase 3), `verify.ts` (phase 4's checks), `sql.ts` (session settings, row text and digest
 * shared by both sides), `error.ts`. This file holds the lock, opens the source, runs the phases
 * and renames the result into place.
 *
 * No "server-only": scripts load this through tsx.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { Migration } from "../prisma/migrator";
import { copyTables } from "./import-pglite/copy";
import { PgliteImportError } from "./import-pglite/error";
import { applyMigrations, sourceMigrations } from "./import-pglite/migrations";
import { q, SESSION } from "./import-pglite/sql";
import { verifyChains, verifyCopy, type AuditVerifier } from "./import-pglite/verify";

export { PgliteImportError } from "./import-pglite/error";

export interface PrepareOptions {
  /** URL of the server's maintenance database (…/postgres), as superuser. */
  adminUrl: string;
  /** The application database to make sure exists: "trustflow". */
  database: string;
  /** A PGlite data directory to import when the application database does not exist yet (absent or empty dir: no import). */
  pgliteDir: string;
  /** Verifies one workspace's audit chain on the imported database (the caller passes the domain's verifyAudit over a Prisma client it opens on `url`); ok=false aborts the import. */
  verifyAudit?: AuditVerifier;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** The project's migrations (default: `prisma/migrations`), to rebuild the PGlite's schema. */
  migrations?: Migration[];
}

export interface ImportReport {
  from: string;
  tables: { table: string; rows: number }[];
  rows: number;
  workspacesVerified: number;
  migrations: string[];
  ms: number;
}

// Serialises preparers across processes (session lock on the maintenance database).
const LOCK_KEY = 72_707_370;
/** PostgreSQL truncates longer identifiers silently (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/** Makes sure `database` exists on the server; when it does not and pgliteDir holds a PGlite database, imports it first. */
export async function prepareEmbeddedDatabase(
  o: PrepareOptions,
): Promise<{ created: boolean; imported: ImportReport | null }> {
  const log = o.log ?? (() => undefined);
  const scratch = `${o.database}_import`;
  if (Buffer.byteLength(scratch) > MAX_IDENTIFIER_BYTES) {
    throw new PgliteImportError(
      `Database name "${o.database}" is too long (at most ${MAX_IDENTIFIER_BYTES - 7} bytes).`,
    );
  }
  const admin = new pg.Client({ connectionString: o.adminUrl });
  // A connection cut while idle would otherwise crash the process; the next query reports it.
  admin.on("error", () => undefined);
  await admin.connect();
  try {
    if (await databaseExists(admin, o.database)) return { created: false, imported: null };
    const [{ locked }] = (
      await admin.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
        LOCK_KEY,
      ])
    ).rows as [{ locked: boolean }];
    if (!locked) {
      log("waiting for another process preparing the database", { database: o.database });
      await admin.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
    }
    // The other process may have created it while we waited.
    if (await databaseExists(admin, o.database)) return { created: false, imported: null };

    const dir = path.resolve(o.pgliteDir);
    if (!holdsPgliteDatabase(dir)) {
      // Left by an import that was interrupted, then the directory was moved away.
      await admin.query(`DROP DATABASE IF EXISTS ${q(scratch)} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${q(o.database)}`);
      log("created the database", { database: o.database });
      return { created: true, imported: null };
    }
    const imported = await importPglite(admin, { ...o, dir, scratch, log });
    return { created: true, imported };
  } finally {
    // Ending the session releases the advisory lock.
    await admin.end().catch(() => undefined);
  }
}

async function databaseExists(admin: pg.Client, name: string): Promise<boolean> {
  const res = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  return res.rowCount !== null && res.rowCount > 0;
}

function cannotOpen(dir: string, cause: unknown): PgliteImportError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PgliteImportError(
    `Cannot import the PGlite data directory ${dir} into the embedded PostgreSQL server: ` +
      `${reason}. Nothing was changed. Either set DATABASE_URL to a PostgreSQL server of your ` +
      `own, or move the directory away to start with an empty database (it is never deleted).`,
    { cause },
  );
}

/** False for an absent or empty directory; throws for a directory that is not PGlite's. */
function holdsPgliteDatabase(dir: string): boolean {
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((e) => !e.startsWith("."));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw cannotOpen(dir, err);
  }
  if (entries.length === 0) return false;
  if (!entries.includes("PG_VERSION")) {
    throw cannotOpen(dir, new Error("it is not a PGlite data directory (no PG_VERSION file)"));
  }
  return true;
}

interface ImportContext {
  dir: string;
  database: string;
  scratch: string;
  adminUrl: string;
  migrations?: Migration[];
  verifyAudit?: PrepareOptions["verifyAudit"];
  log: NonNullable<PrepareOptions["log"]>;
}

async function importPglite(admin: pg.Client, c: ImportContext): Promise<ImportReport> {
  const started = performance.now();
  let source: PGlite;
  try {
    source = await PGlite.create(c.dir);
  } catch (err) {
    let version = "unreadable";
    try {
      version = readFileSync(path.join(c.dir, "PG_VERSION"), "utf8").trim();
    } catch {
      // the message says so
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw cannotOpen(
      c.dir,
      new Error(`${reason} (PostgreSQL version of its files, PG_VERSION: ${version})`, {
        cause: err,
      }),
    );
  }
  try {
    await source.exec(SESSION);
    const migrations = await sourceMigrations(source, c);
    c.log("importing the PGlite database into PostgreSQL", {
      from: c.dir,
      database: c.database,
      migrations: migrations.length,
    });
    await admin.query(`DROP DATABASE IF EXISTS ${q(c.scratch)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${q(c.scratch)}`);
    try {
      const [db] = (
        await admin.query<{ encoding: string }>(
          "SELECT pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = $1",
          [c.scratch],
        )
      ).rows;
      if (db?.encoding !== "UTF8") {
        throw new PgliteImportError(
          `The server creates databases in ${db?.encoding ?? "an unknown"} encoding; PGlite's is UTF8 and would not fit.`,
        );
      }
      const url = databaseUrl(c.adminUrl, c.scratch);
      await applyMigrations(url, migrations);
      const copied = await copyTables(source, url);
      await verifyCopy(url, copied);
      const workspacesVerified = await verifyChains(url, c.verifyAudit);
      // Connections left open (say by a verifier) would make the rename fail.
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [c.scratch],
      );
      await admin.query(`ALTER DATABASE ${q(c.scratch)} RENAME TO ${q(c.database)}`);
      const ms = Math.round(performance.now() - started);
      const rows = copied.reduce((n, t) => n + t.rows, 0);
      const report: ImportReport = {
        from: c.dir,
        tables: copied.map(({ table, rows }) => ({ table, rows })),
        rows,
        workspacesVerified,
        migrations: migrations.map((m) => m.name),
        ms,
      };
      c.log("imported the PGlite database into PostgreSQL", {
        from: c.dir,
        database: c.database,
        tables: copied.length,
        rows,
        rowsPerSecond: ms > 0 ? Math.round((rows * 1000) / ms) : rows,
        workspacesVerified,
        migrations: migrations.length,
        ms,
      });
      return report;
    } catch (err) {
      await admin
        .query(`DROP DATABASE IF EXISTS ${q(c.scratch)} WITH (FORCE)`)
        .catch(() => undefined);
      const reason = (err instanceof Error ? err.message : String(err)).replace(/\.?$/, ".");
      throw new PgliteImportError(
        `Importing the PGlite data directory ${c.dir} failed: ${reason} Nothing was changed: ` +
          `the import was abandoned, the directory is kept as it was, and the next start tries ` +
          `again (or set DATABASE_URL to a PostgreSQL server of your own).`,
        { cause: err },
      );
    }
  } finally {
    await source.close().catch(() => undefined);
  }
}

function databaseUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}
