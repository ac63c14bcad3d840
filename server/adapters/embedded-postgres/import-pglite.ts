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
 * No "server-only": scripts load this through tsx.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import pg from "pg";
import { loadMigrations, migrate, type Migration } from "../prisma/migrator";
import { postgresDriver } from "../prisma/sql-driver";

export interface PrepareOptions {
  /** URL of the server's maintenance database (…/postgres), as superuser. */
  adminUrl: string;
  /** The application database to make sure exists: "trustflow". */
  database: string;
  /** A PGlite data directory to import when the application database does not exist yet (absent or empty dir: no import). */
  pgliteDir: string;
  /** Verifies one workspace's audit chain on the imported database (the caller passes the domain's verifyAudit over a Prisma client it opens on `url`); ok=false aborts the import. */
  verifyAudit?: (
    url: string,
    workspaceIds: string[],
  ) => Promise<{ workspaceId: string; ok: boolean; message?: string }[]>;
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

export class PgliteImportError extends Error {
  override name = "PgliteImportError";
}

// Serialises preparers across processes (session lock on the maintenance database).
const LOCK_KEY = 72_707_370;
/**
 * Batches: at most 1,000 rows, aiming at 4 MB of JSON. The row limit starts small and adapts to
 * the bytes read (growing at most fourfold a batch), so tables of large rows (run IR snapshots,
 * step outputs) go a few rows at a time: memory stays bounded, and the target's JSON parsing,
 * which slows down on very large documents, stays fast.
 */
const BATCH_ROWS = 1_000;
const BATCH_BYTES = 4 << 20;
const FIRST_BATCH = 4;
/** PostgreSQL truncates longer identifiers silently (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Row text and digest are computed by both servers with the same settings, so the same row gives
 * the same JSON text on both sides (timestamptz in UTC, bytea in hex, shortest exact floats).
 */
const SESSION = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres';
SET bytea_output = 'hex'; SET extra_float_digits = 1`;

const q = (name: string) => pg.escapeIdentifier(name);

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

/** The project's migrations the PGlite database has applied, refusing unknown or edited ones. */
async function sourceMigrations(source: PGlite, c: ImportContext): Promise<Migration[]> {
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

async function applyMigrations(url: string, migrations: Migration[]): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  try {
    await migrate(postgresDriver(pool), migrations);
  } finally {
    await pool.end();
  }
}

interface Column {
  name: string;
  type: string;
  generated: boolean;
  identityAlways: boolean;
}
type Schema = Map<string, Column[]>;

interface Query {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/** Columns of every table of `public` to copy (partitions are copied through their parent). */
async function tablesOf(db: Query): Promise<Schema> {
  const { rows } = await db.query<{
    table: string;
    column: string;
    type: string;
    generated: boolean;
    identity_always: boolean;
  }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attgenerated <> '' AS generated, a.attidentity = 'a' AS identity_always
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname <> '_prisma_migrations'
     ORDER BY c.relname, a.attnum`,
  );
  const schema: Schema = new Map();
  for (const r of rows) {
    const cols = schema.get(r.table) ?? [];
    cols.push({
      name: r.column,
      type: r.type,
      generated: r.generated,
      identityAlways: r.identity_always,
    });
    schema.set(r.table, cols);
  }
  return schema;
}

/** Both sides applied the same migrations: any difference means the copy would lose something. */
function compareSchemas(source: Schema, target: Schema): void {
  for (const [table, cols] of source) {
    const other = target.get(table);
    if (!other) {
      throw new PgliteImportError(
        `Table "${table}" of the PGlite database is not created by its migrations: it would be lost.`,
      );
    }
    const theirs = new Map(other.map((c) => [c.name, c]));
    for (const col of cols) {
      const t = theirs.get(col.name);
      if (!t || t.type !== col.type || t.generated !== col.generated) {
        throw new PgliteImportError(
          `Column "${table}"."${col.name}" (${col.type}) of the PGlite database differs from ` +
            `the schema its migrations create (${t ? t.type : "missing"}).`,
        );
      }
    }
    if (other.length !== cols.length) {
      throw new PgliteImportError(
        `Table "${table}" has ${cols.length} columns in the PGlite database, ${other.length} in the schema its migrations create.`,
      );
    }
  }
  for (const table of target.keys()) {
    if (!source.has(table)) {
      throw new PgliteImportError(
        `Table "${table}" is created by the migrations but missing from the PGlite database.`,
      );
    }
  }
}

interface CopiedTable {
  table: string;
  columns: string[];
  rows: number;
  /** Order-independent digest of the rows' JSON texts (see {@link rowDigest}). */
  digest: string;
}

/**
 * One row's contribution to a table's digest: the first 64 bits of the SHA-256 of its JSON text,
 * as a signed integer; the digest is their sum. The target computes the same in SQL
 * ({@link DIGEST_SQL}): a row that did not arrive byte for byte changes the sum (barring a
 * 2^-64 coincidence), whatever order either side reads the rows in.
 */
function rowDigest(text: string): bigint {
  return createHash("sha256").update(text).digest().readBigInt64BE(0);
}
const DIGEST_SQL = `coalesce(sum(('x' || left(encode(sha256(convert_to(r, 'UTF8')), 'hex'), 16))::bit(64)::bigint), 0)::text`;

/** The JSON text of each row, columns in a fixed order (not attnum: it may differ between sides). */
const rowsSql = (table: string, columns: string[]) =>
  `SELECT row_to_json(x)::text AS r FROM (SELECT ${columns.map(q).join(", ")} FROM ${q(table)}) x`;

async function copyTables(source: PGlite, url: string): Promise<CopiedTable[]> {
  const target = new pg.Client({ connectionString: url });
  target.on("error", () => undefined);
  await target.connect();
  try {
    await target.query(SESSION);
    // One snapshot of the whole source, read only: every table as of the same moment.
    return await source.transaction(async (src) => {
      await src.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      const schema = await tablesOf(src);
      compareSchemas(schema, await tablesOf(target));
      await target.query("BEGIN");
      try {
        // Rows go in as they were: no trigger (append-only ledgers) or foreign key fires.
        await target.query("SET LOCAL session_replication_role = replica");
        const copied: CopiedTable[] = [];
        for (const [table, cols] of [...schema].sort(([a], [b]) => a.localeCompare(b))) {
          copied.push(await copyTable(src, target, table, cols));
        }
        await setSequences(src, target);
        await target.query("COMMIT");
        return copied;
      } catch (err) {
        await target.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    });
  } finally {
    await target.end().catch(() => undefined);
  }
}

async function copyTable(
  src: Transaction,
  target: pg.Client,
  table: string,
  cols: Column[],
): Promise<CopiedTable> {
  // Generated columns are computed by the target; the rest by name, in a fixed order.
  const columns = cols
    .filter((c) => !c.generated)
    .map((c) => c.name)
    .sort();
  const list = columns.map(q).join(", ");
  const insert =
    `INSERT INTO ${q(table)} (${list})` +
    (cols.some((c) => c.identityAlways) ? " OVERRIDING SYSTEM VALUE" : "") +
    ` SELECT ${list} FROM json_populate_recordset(NULL::${q(table)}, $1::json)`;
  const [{ n }] = (await src.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${q(table)}`))
    .rows as [{ n: string }];
  // A cursor reads the table once, in whatever order; a keyset on ctid would sort the rest of
  // the table for every batch (PostgreSQL has no ordered TID range scan).
  await src.query(`DECLARE import_rows NO SCROLL CURSOR FOR ${rowsSql(table, columns)}`);
  const readBatch = async (limit: number) =>
    (await src.query<{ r: string }>(`FETCH ${limit} FROM import_rows`)).rows;
  let rows = 0;
  let digest = 0n;
  let limit = FIRST_BATCH;
  let next: Promise<{ r: string }[]> | null = readBatch(limit);
  try {
    while (next) {
      const batch: { r: string }[] = await next;
      next = null;
      if (batch.length === 0) break;
      let bytes = 0;
      for (const { r } of batch) {
        bytes += r.length;
        digest += rowDigest(r);
      }
      // The target inserts this batch while PGlite reads the next one (at most two in memory).
      const inserted = target.query(insert, [`[${batch.map((b) => b.r).join(",")}]`]);
      if (batch.length === limit) {
        const fit = Math.floor((BATCH_BYTES * batch.length) / Math.max(1, bytes));
        limit = Math.max(1, Math.min(BATCH_ROWS, 4 * limit, fit));
        next = readBatch(limit);
      }
      await inserted;
      rows += batch.length;
    }
  } catch (err) {
    throw new PgliteImportError(`Copying table "${table}" failed: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await (next as Promise<unknown> | null)?.catch(() => undefined);
    await src.query("CLOSE import_rows").catch(() => undefined);
  }
  if (String(rows) !== n) {
    throw new PgliteImportError(
      `Table "${table}": read ${rows} rows of the PGlite database's ${n}.`,
    );
  }
  return { table, columns, rows, digest: String(digest) };
}

/**
 * Every sequence of `public` continues where the source's did, and past the largest value of
 * the column that owns it: no id is handed out twice. Sequences never used stay unstarted.
 */
async function setSequences(src: Transaction, target: pg.Client): Promise<void> {
  const { rows: sequences } = await target.query<{
    seq: string;
    table: string | null;
    column: string | null;
  }>(
    `SELECT s.relname AS seq, t.relname AS table, a.attname AS column
     FROM pg_class s
     JOIN pg_namespace n ON n.oid = s.relnamespace
     LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
     LEFT JOIN pg_class t ON t.oid = d.refobjid
     LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE s.relkind = 'S' AND n.nspname = 'public'`,
  );
  for (const s of sequences) {
    const present = await src.query<{ present: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS present`,
      [`public.${q(s.seq)}`],
    );
    let value: bigint | null = null;
    if (present.rows[0]?.present) {
      const [state] = (
        await src.query<{ last_value: string; is_called: boolean }>(
          `SELECT last_value::text AS last_value, is_called FROM ${q(s.seq)}`,
        )
      ).rows;
      if (state?.is_called) value = BigInt(state.last_value);
    }
    if (s.table && s.column) {
      const [{ max }] = (
        await target.query<{ max: string | null }>(
          `SELECT max(${q(s.column)})::text AS max FROM ${q(s.table)}`,
        )
      ).rows as [{ max: string | null }];
      if (max !== null && (value === null || BigInt(max) > value)) value = BigInt(max);
    }
    if (value !== null) {
      await target.query("SELECT setval($1::regclass, $2::bigint, true)", [
        q(s.seq),
        String(value),
      ]);
    }
  }
}

/** Row counts and content digests of the committed copy against the source's. */
async function verifyCopy(url: string, copied: CopiedTable[]): Promise<void> {
  const target = new pg.Client({ connectionString: url });
  target.on("error", () => undefined);
  await target.connect();
  try {
    await target.query(SESSION);
    for (const t of copied) {
      const [got] = (
        await target.query<{ n: string; digest: string }>(
          `SELECT count(*)::text AS n, ${DIGEST_SQL} AS digest FROM (${rowsSql(t.table, t.columns)}) t`,
        )
      ).rows as [{ n: string; digest: string }];
      if (got.n !== String(t.rows)) {
        throw new PgliteImportError(
          `Table "${t.table}" has ${t.rows} rows in the PGlite database but ${got.n} after the copy.`,
        );
      }
      if (got.digest !== t.digest) {
        throw new PgliteImportError(
          `Table "${t.table}" differs after the copy: some value did not arrive unchanged.`,
        );
      }
    }
  } finally {
    await target.end().catch(() => undefined);
  }
}

/** Every workspace's audit chain on the copy; returns how many were verified. */
async function verifyChains(
  url: string,
  verify: PrepareOptions["verifyAudit"] | undefined,
): Promise<number> {
  if (!verify) return 0;
  const target = new pg.Client({ connectionString: url });
  target.on("error", () => undefined);
  await target.connect();
  let ids: string[] = [];
  try {
    // No workspace table: a database migrated only partly, nothing to verify.
    const { rows } = await target.query<{ present: boolean }>(
      `SELECT to_regclass('public."Workspace"') IS NOT NULL AS present`,
    );
    if (rows[0]?.present) {
      const res = await target.query<{ id: string }>(
        `SELECT id::text AS id FROM "Workspace" ORDER BY id`,
      );
      ids = res.rows.map((r) => r.id);
    }
  } finally {
    await target.end().catch(() => undefined);
  }
  if (ids.length === 0) return 0;
  const results = new Map((await verify(url, ids)).map((r) => [r.workspaceId, r]));
  for (const id of ids) {
    const r = results.get(id);
    if (!r?.ok) {
      throw new PgliteImportError(
        `The audit chain of workspace ${id} does not verify after the copy` +
          (r ? (r.message ? `: ${r.message}` : ".") : " (it was not verified)."),
      );
    }
  }
  return ids.length;
}
