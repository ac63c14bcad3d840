import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { StatementGroup, type GroupResult } from "./pg-statement-group";

/** The little raw SQL the migrator and the tests need, over PGlite or a PostgreSQL pool. */
export interface SqlDriver {
  readonly kind: "pglite" | "postgres";
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs `fn` in one transaction; statements given to the callback's driver are part of it.
   * `pipelined`: statements `fn` issues without awaiting the one before (in one tick) are sent
   * at once as one group with one Sync and answered together, in order (one round trip for all
   * of them, BEGIN included, instead of one each: `pg-statement-group.ts`); a failed statement
   * aborts the transaction, so the ones behind it fail too. Where the driver cannot pipeline
   * (PGlite) they run one after another.
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
  return { name: preparedName(text), text, values };
}

/** The prepared statement's name of `text` (cached). */
function preparedName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = statementName(text);
    if (names.size < 5_000) names.set(text, name);
  }
  return name;
}

const statementName = (text: string) =>
  `tf_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;

/** Connections of a {@link postgresDriver}'s pipelined transactions (a pool of their own). */
const PIPELINE_POOL_MAX = 4;

export function postgresDriver(pool: pg.Pool, ownsPool = true): SqlDriver {
  // Pipelined transactions take their connections from a second, small pool of the same
  // database, created on first use: their prepared statements stay warm there. They write
  // (inline runs: inserts whose values are all parameters), so each prepared statement's generic
  // plan is as good as one planned for its values: PostgreSQL is told to use it from the first
  // execution on, instead of planning the first five (and, when it estimates a custom plan
  // cheaper, every) execution anew. A batch's joined statement has a text per number of runs.
  let pipePool: pg.Pool | null = null;
  const pipelinePool = () => {
    if (!pipePool) {
      const { max: _max, min: _min, ...options } = pool.options;
      const startup = options.options ?? process.env.PGOPTIONS;
      pipePool = new pg.Pool({
        ...options,
        max: PIPELINE_POOL_MAX,
        options: `${startup ? `${startup} ` : ""}-c plan_cache_mode=force_generic_plan`,
      });
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
      if (opts?.pipelined === true) return groupedTransaction(await pipelinePool().connect(), fn);
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
        const done = await client.query("COMMIT");
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

/**
 * A pipelined transaction on `client`: the statements `fn` issues in one tick of the event loop
 * (BEGIN with the first ones) go out as ONE {@link StatementGroup} (one write, one Sync, one
 * answer), each tick's after the one before has been answered; `commit()` adds COMMIT to the
 * current group (its statements' answers then come back with the commit's). A client whose
 * transaction failed is dropped, not returned to the pool: its prepared statements' bookkeeping
 * may be off.
 */
async function groupedTransaction<T>(
  client: pg.PoolClient,
  fn: (tx: SqlExecutor) => Promise<T>,
): Promise<T> {
  // One request on the client at a time (node-postgres would queue more, but warns that its
  // queue goes away in pg 9): each waits for the one before to be answered.
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = <R>(request: () => Promise<R>): Promise<R> => {
    const p = tail.then(request, request);
    tail = p.catch(() => undefined);
    return p;
  };
  const submit = (g: StatementGroup) =>
    void inTurn(() => {
      void client.query(g);
      return g.answered;
    });
  let group: StatementGroup | null = null;
  const send = (text: string, values?: unknown[]) => {
    if (!group) {
      const g = (group = new StatementGroup());
      // Sent once the tick's statements are in (a microtask runs after the current code),
      // unless a script sent it before.
      queueMicrotask(() => {
        if (group !== g) return;
        group = null;
        submit(g);
      });
    }
    return group.add(text, values, values?.length ? { name: preparedName(text) } : {});
  };
  /** Sends the group being filled now (before a script, which cannot be in one). */
  const sendGroup = () => {
    const g = group;
    group = null;
    if (g) submit(g);
  };
  let failed = false;
  try {
    const begin = send("BEGIN");
    begin.catch(() => undefined); // awaited below
    let committing: Promise<GroupResult> | null = null;
    const result = await fn({
      async query<R>(sql: string, params?: unknown[]) {
        if (committing) throw new Error("the pipelined transaction was already committed");
        return (await send(sql, params)).rows as R[];
      },
      async exec(sql: string) {
        if (committing) throw new Error("the pipelined transaction was already committed");
        sendGroup();
        await inTurn(() => client.query(sql));
      },
      commit() {
        if (committing) return;
        committing = send("COMMIT");
        committing.catch(() => undefined); // awaited below
      },
    });
    await begin;
    const done: GroupResult = await (committing ?? send("COMMIT"));
    // COMMIT of a transaction a failed statement aborted answers ROLLBACK, not an error.
    if (done.command !== "COMMIT")
      throw new Error(`the transaction was rolled back (${done.command})`);
    return result;
  } catch (err) {
    failed = true;
    sendGroup();
    await inTurn(() => client.query("ROLLBACK")).catch(() => undefined);
    throw err;
  } finally {
    client.release(failed); // true: the pool drops the client
  }
}
