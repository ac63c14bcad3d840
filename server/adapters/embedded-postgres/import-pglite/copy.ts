/**
 * The copy: every table of schema `public` (but `_prisma_migrations`) from one read-only snapshot
 * of the PGlite database into the target, in one transaction with triggers and foreign keys off,
 * in batches bounded by rows and bytes (the target inserts one batch while PGlite reads the
 * next); then the sequences. Both schemas are compared first: a difference would lose data.
 */
import type { PGlite, Transaction } from "@electric-sql/pglite";
import pg from "pg";
import { PgliteImportError } from "./error";
import { q, rowDigest, rowsSql, SESSION } from "./sql";

/**
 * Batches: at most 1,000 rows, aiming at 4 MB of JSON. The row limit starts small and adapts to
 * the bytes read (growing at most fourfold a batch), so tables of large rows (run IR snapshots,
 * step outputs) go a few rows at a time: memory stays bounded, and the target's JSON parsing,
 * which slows down on very large documents, stays fast.
 */
const BATCH_ROWS = 1_000;
const BATCH_BYTES = 4 << 20;
const FIRST_BATCH = 4;

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

export interface CopiedTable {
  table: string;
  columns: string[];
  rows: number;
  /** Order-independent digest of the rows' JSON texts (see {@link rowDigest}). */
  digest: string;
}

export async function copyTables(source: PGlite, url: string): Promise<CopiedTable[]> {
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
