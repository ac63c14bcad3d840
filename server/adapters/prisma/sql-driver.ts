import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/** The little raw SQL the migrator and the tests need, over PGlite or a PostgreSQL pool. */
export interface SqlDriver {
  readonly kind: "pglite" | "postgres";
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` in one transaction; statements given to the callback's driver are part of it. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
}

export function pgliteDriver(db: PGlite): SqlDriver {
  return {
    kind: "pglite",
    async query<T>(sql: string, params?: unknown[]) {
      const res = await db.query<T>(sql, params);
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
    name = `tf_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
    if (names.size < 5_000) names.set(text, name);
  }
  return { name, text, values };
}

export function postgresDriver(pool: pg.Pool, ownsPool = true): SqlDriver {
  return {
    kind: "postgres",
    async query<T>(sql: string, params?: unknown[]) {
      const res = await pool.query(prepared(sql, params));
      return res.rows as T[];
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn({
          async query<T>(sql: string, params?: unknown[]) {
            return (await client.query(prepared(sql, params))).rows as T[];
          },
          async exec(sql: string) {
            await client.query(sql);
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: async () => {
      if (ownsPool) await pool.end();
    },
  };
}
