import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/** The little raw SQL the migrator and the tests need, over PGlite or a PostgreSQL pool. */
export interface SqlDriver {
  readonly kind: "pglite" | "postgres";
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs `fn` in one transaction; statements given to the callback's driver are part of it.
   * `pipelined`: statements `fn` issues without awaiting the one before are sent at once and
   * answered in order (PostgreSQL's pipeline mode: one round trip for all of them, BEGIN
   * included, instead of one each); a failed statement aborts the transaction, so the ones
   * behind it fail too. Where the driver cannot pipeline (PGlite) they run one after another.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

export interface TransactionOptions {
  pipelined?: boolean;
}

export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
  /**
   * In a pipelined transaction on PostgreSQL only: sends COMMIT now, behind the statements sent
   * so far, without waiting for their answers; the transaction ends there (nothing `fn` sends
   * afterwards is part of it, and `transaction` then waits for this COMMIT instead of sending
   * one). A statement that failed before it rolls the whole transaction back, and
   * `transaction` rejects.
   */
  commit?(): void;
}

/**
 * Parameters as SQL literals of unknown type (coerced to the prepared statement's parameter
 * types exactly as bound values are), or null when one is not a string, number, boolean or null.
 * `standard_conforming_strings` is on (PostgreSQL's default since 9.1): only quotes are doubled.
 */
function literals(params: unknown[]): string[] | null {
  const out: string[] = [];
  for (const v of params) {
    if (v === null || v === undefined) out.push("NULL");
    else if (typeof v === "string") out.push(`'${v.replaceAll("'", "''")}'`);
    else if (typeof v === "number" && Number.isFinite(v)) out.push(`'${v}'`);
    else if (typeof v === "boolean") out.push(v ? "'true'" : "'false'");
    else return null;
  }
  return out;
}

export function pgliteDriver(db: PGlite): SqlDriver {
  // PGlite has no named statements in its query API: the SQL-level PREPARE/EXECUTE caches the
  // plan of a parameterised statement instead (prepared on first use, outside transactions).
  const plans = new Map<string, string | null>();
  async function plan(sql: string): Promise<string | null> {
    const known = plans.get(sql);
    if (known !== undefined) return known;
    const name = statementName(sql);
    try {
      await db.exec(`PREPARE ${name} AS ${sql}`);
    } catch (err) {
      if (!/already exists/.test(String(err))) {
        plans.set(sql, null); // not preparable (e.g. a parameter of unknown type): run it plain
        return null;
      }
    }
    if (plans.size < 5_000) plans.set(sql, name);
    return name;
  }
  return {
    kind: "pglite",
    async query<T>(sql: string, params?: unknown[]) {
      // EXECUTE (a utility statement) takes no bind parameters: its arguments are literals.
      const args = params?.length ? literals(params) : null;
      const name = args ? await plan(sql) : null;
      const res = name
        ? await db.query<T>(`EXECUTE ${name}(${args!.join(", ")})`)
        : await db.query<T>(sql, params);
      return res.rows;
    },
    transaction(fn) {
      return db.transaction(async (tx) =>
        fn({
          async query<T>(sql: string, params?: unknown[]) {
            return (await tx.query<T>(sql, params)).rows;
          },
          async exec(sql: string) {
            await tx.exec(sql);
          },
        }),
      );
    },
    close: () => db.close(),
  };
}

/**
 * Parameterised statements run as named prepared statements (one per distinct text, prepared
 * once per connection): the engine's checkpoints are large CTE statements whose parse and plan
 * would otherwise be paid on every commit.
 */
const names = new Map<string, string>();
function prepared(text: string, values: unknown[] | undefined): string | pg.QueryConfig {
  if (!values?.length) return text;
  let name = names.get(text);
  if (!name) {
    name = statementName(text);
    if (names.size < 5_000) names.set(text, name);
  }
  return { name, text, values };
}

const statementName = (text: string) =>
  `tf_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;

/** Connections of a {@link postgresDriver}'s pipelined transactions (a pool of their own). */
const PIPELINE_POOL_MAX = 4;

export function postgresDriver(pool: pg.Pool, ownsPool = true): SqlDriver {
  // Pipeline mode is a connection's setting: pipelined transactions take their connections from
  // a second, small pool of the same database, created on first use.
  let pipePool: pg.Pool | null = null;
  const pipelinePool = () => {
    if (!pipePool) {
      const { max: _max, min: _min, ...options } = pool.options;
      pipePool = new pg.Pool({ ...options, max: PIPELINE_POOL_MAX, pipeline: true });
      pipePool.on("error", () => undefined); // as the main pool: a dropped idle client is replaced
    }
    return pipePool;
  };
  return {
    kind: "postgres",
    async query<T>(sql: string, params?: unknown[]) {
      const res = await pool.query(prepared(sql, params));
      return res.rows as T[];
    },
    async transaction(fn, opts) {
      const pipelined = opts?.pipelined === true;
      const client = await (pipelined ? pipelinePool() : pool).connect();
      try {
        // Pipelined, BEGIN goes out with the statements behind it; it is checked before COMMIT
        // (a BEGIN that fails fails the connection, and so every statement sent behind it).
        const begin = client.query("BEGIN");
        if (pipelined) begin.catch(() => undefined);
        else await begin;
        let committing: Promise<pg.QueryResult> | null = null;
        const result = await fn({
          async query<T>(sql: string, params?: unknown[]) {
            return (await client.query(prepared(sql, params))).rows as T[];
          },
          async exec(sql: string) {
            await client.query(sql);
          },
          ...(pipelined && {
            commit() {
              if (committing) return;
              committing = client.query("COMMIT");
              committing.catch(() => undefined); // awaited below
            },
          }),
        });
        await begin;
        const done = await (committing ?? client.query("COMMIT"));
        // COMMIT of a transaction a failed statement aborted answers ROLLBACK, not an error.
        if (done.command !== "COMMIT")
          throw new Error(`the transaction was rolled back (${done.command})`);
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: async () => {
      await (pipePool as pg.Pool | null)?.end();
      if (ownsPool) await pool.end();
    },
  };
}
