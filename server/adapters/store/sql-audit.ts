/**
 * The audit ledger's append (`server/domain/audit/ledger.ts` `appendAudit`) on the raw SQL
 * driver, for the engine's hot paths (webhook run starts, run ends): the same lock and the same
 * chain (`chainEntries`: links, redaction, hashes) in three statements inside the caller's
 * transaction instead of Prisma's five, and several entries per statement. Entries are
 * indistinguishable from `appendAudit`'s; `verifyAudit` checks them the same way.
 *
 * The process's memory of the chain (the last head appended per workspace, the order of
 * statements built on it) is a {@link SqlLedger} instance: the composition root
 * (`server/composition.ts`) holds the process's one, so every Next.js bundle shares it.
 */
import {
  chainEntries,
  runLedgerEntry,
  type AuditBatchEntry,
  type AuditRecord,
  type ChainHead,
} from "@/server/domain/audit/chain";
import type { AuditSink } from "@/server/engine/ports";
import type { SqlDriver, SqlExecutor } from "../prisma/sql-driver";

type Query = Pick<SqlExecutor, "query">;

export type { AuditBatchEntry };

/** The advisory lock that serialises a workspace's ledger appends (every appender takes it). */
export const ledgerLockKey = (workspaceId: string) => `audit:${workspaceId}`;

type ChainRow = ReturnType<typeof chainEntries>[number];

/**
 * The ledger appender on the raw driver, with this process's memory of each workspace's chain:
 * the head it last appended (the next append builds on it and checks it in the same statement
 * as its insert, under the lock, so a process that is the chain's only writer skips the head
 * read; another writer or a rolled-back transaction makes the check fail, and the append then
 * reads the head and builds again), and the order of statements built on that head.
 */
export class SqlLedger {
  private readonly heads = new Map<string, ChainHead>();
  private readonly queues = new Map<string, Promise<unknown>>();

  /** Appends one entry inside the transaction `tx` (which must be one). */
  async append(
    tx: Query,
    actor: { workspaceId: string; label: string; userId: string | null },
    record: AuditRecord,
    now: Date = new Date(),
  ): Promise<{ seq: number; hash: string }> {
    const [r] = await this.appendBatch(tx, actor.workspaceId, [{ actor, record, now }]);
    return r!;
  }

  /**
   * Appends several entries of one workspace, in order, inside the transaction `tx`: one lock,
   * one insert and one head update for all of them (the engine's run-end entries are flushed
   * this way, so the per-workspace lock is taken once per batch). `locked`: the transaction
   * already holds the ledger lock of this workspace (`ledgerLockKey`).
   */
  async appendBatch(
    tx: Query,
    workspaceId: string,
    entries: AuditBatchEntry[],
    opts: { locked?: boolean } = {},
  ): Promise<Array<{ seq: number; hash: string }>> {
    if (entries.length === 0) return [];
    if (!opts.locked)
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [ledgerLockKey(workspaceId)]);
    const cached = this.heads.get(workspaceId);
    if (cached) {
      const rows = chainEntries(workspaceId, cached, entries);
      if (await insertChain(tx, workspaceId, rows, cached)) return this.remember(workspaceId, rows);
    }
    // A separate statement: its snapshot is taken after the lock, so it sees the last append.
    const [last] = await tx.query<{ seq: number; hash: string; at: number }>(
      `SELECT "seq", "hash", (extract(epoch from "at") * 1000)::float8 AS at FROM "AuditEntry"
       WHERE "workspaceId" = $1::uuid ORDER BY "seq" DESC LIMIT 1`,
      [workspaceId],
    );
    const rows = chainEntries(
      workspaceId,
      last ? { seq: Number(last.seq), hash: last.hash, atMs: Number(last.at) } : null,
      entries,
    );
    await insertChain(tx, workspaceId, rows, null);
    return this.remember(workspaceId, rows);
  }

  /**
   * Runs `fn` after this ledger's previous `inOrder` call for the workspace finished: a
   * statement built on the cached head (`statementParts`) must not race with another one
   * built on the same head (one of them would fail and fall back to the slow path).
   */
  async inOrder<T>(workspaceId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(workspaceId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.queues.set(workspaceId, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(workspaceId) === tail) this.queues.delete(workspaceId);
    }
  }

  /**
   * The ledger part of ONE statement that also writes what the entries record (an inline run):
   * built on this process's last head of the chain, checked in the statement (`guard`), so no
   * separate head read and no transaction are needed. Null when this ledger knows no head yet
   * (use {@link appendBatch} in a transaction). Call `committed()` once the statement reports
   * the guard held. The statement must take the ledger lock (`ledgerLockKey`): a head read from
   * a snapshot older than the lock can only be stale when another appender committed in
   * between, and then the insert fails on the chain's unique sequence number.
   *
   * `after`: build on the head another statement's parts leave (`head`), not on the remembered
   * one: statements sent together, each one's guard holding only if the one before it wrote.
   */
  statementParts(workspaceId: string, entries: AuditBatchEntry[], after?: ChainHead) {
    const from = after ?? this.heads.get(workspaceId);
    if (!from || entries.length === 0) return null;
    const rows = chainEntries(workspaceId, from, entries);
    const last = rows.at(-1)!;
    return {
      guard: (add: (v: unknown) => string) => headIs(add, workspaceId, from),
      /** `moveHead` false: the entries only (a joined statement moves the head once, `moveHeadCte`). */
      ctes: (add: (v: unknown) => string, gate: string, moveHead = true) =>
        chainCtes(add, workspaceId, rows, gate, moveHead),
      committed: () => this.remember(workspaceId, rows),
      /** The head once these entries are appended. */
      head: { seq: last.seq, hash: last.hash, atMs: last.at.getTime() } satisfies ChainHead,
    };
  }

  /**
   * Forgets the head this process last appended for the workspace (a transaction that moved it
   * rolled back): the next append reads it from the database.
   */
  forget(workspaceId: string): void {
    this.heads.delete(workspaceId);
  }

  private remember(workspaceId: string, rows: ChainRow[]) {
    const head = rows.at(-1)!;
    this.heads.set(workspaceId, { seq: head.seq, hash: head.hash, atMs: head.at.getTime() });
    return rows.map((r) => ({ seq: r.seq, hash: r.hash }));
  }
}

/** The condition "the chain's stored head is `expect`" (read under the ledger lock). */
function headIs(add: (v: unknown) => string, workspaceId: string, expect: ChainHead): string {
  return `(SELECT "seq" = ${add(expect.seq)}::int AND "hash" = ${add(expect.hash)}::text FROM "AuditEntry"
    WHERE "workspaceId" = ${add(workspaceId)}::uuid ORDER BY "seq" DESC LIMIT 1)`;
}

/** CTEs inserting the entries and moving the head, when `gate` holds. */
function chainCtes(
  add: (v: unknown) => string,
  workspaceId: string,
  rows: ChainRow[],
  gate: string,
  moveHead = true,
): string[] {
  const head = rows.at(-1)!;
  const ws = add(workspaceId);
  const ctes = [
    `ledger_e AS (
       INSERT INTO "AuditEntry" ("workspaceId", "seq", "prevHash", "hash", "actorId", "actorLabel", "action",
         "subjectType", "subjectId", "payload", "at")
       SELECT ${ws}::uuid, x."seq", x."prevHash", x."hash", x."actorId", x."actorLabel", x."action",
         x."subjectType", x."subjectId", x."payload", to_timestamp(x."at" / 1000)
       FROM jsonb_to_recordset(${add(JSON.stringify(rows.map((r) => ({ ...r, at: r.at.getTime() }))))}::jsonb)
         AS x("seq" int, "prevHash" text, "hash" text, "actorId" text, "actorLabel" text, "action" text,
           "subjectType" text, "subjectId" text, "payload" jsonb, "at" float8)
       WHERE ${gate}
       RETURNING 1)`,
  ];
  if (moveHead)
    ctes.push(`ledger_w AS (
       UPDATE "Workspace" SET "auditSeq" = ${add(head.seq)}::int, "auditHead" = ${add(head.hash)}::text
       WHERE "id" = ${ws}::uuid AND ${gate} RETURNING 1)`);
  return ctes;
}

/**
 * The CTE moving a workspace's head once for several statements' entries joined into one
 * (each built on the head the one before leaves, `gate` true when it wrote): to the head the
 * last one that wrote leaves; nothing when none wrote. (One statement cannot update a row
 * twice.)
 */
export function moveHeadCte(
  add: (v: unknown) => string,
  workspaceId: string,
  written: ReadonlyArray<{ gate: string; head: ChainHead }>,
): string {
  const heads = written
    .map((w) => `(${add(w.head.seq)}::int, ${add(w.head.hash)}::text, ${w.gate})`)
    .join(", ");
  return `ledger_w AS (
       UPDATE "Workspace" SET ("auditSeq", "auditHead") = (
         SELECT h.seq, h.hash FROM (VALUES ${heads}) AS h(seq, hash, ok) WHERE h.ok ORDER BY h.seq DESC LIMIT 1)
       WHERE "id" = ${add(workspaceId)}::uuid AND ${written[0]!.gate} RETURNING 1)`;
}

/** Inserts the entries and moves the head; with `expect`, only if the stored head is that one. */
async function insertChain(
  tx: Query,
  workspaceId: string,
  rows: ChainRow[],
  expect: ChainHead | null,
): Promise<boolean> {
  const params: unknown[] = [];
  const add = (v: unknown) => (params.push(v), `$${params.length}`);
  const guard = expect ? headIs(add, workspaceId, expect) : "TRUE";
  const ctes = chainCtes(add, workspaceId, rows, "(SELECT ok FROM g)");
  const [r] = await tx.query<{ ok: boolean }>(
    `WITH g AS (SELECT coalesce(${guard}, FALSE) AS ok), ${ctes.join(", ")}
     SELECT (SELECT ok FROM g) AS ok, (SELECT count(*) FROM ledger_w)::int AS moved`,
    params,
  );
  return Boolean(r?.ok);
}

/**
 * The engine's {@link AuditSink} on the raw driver: run-end (and consent) entries, batched:
 * entries recorded while a flush is in flight are appended together (per workspace: one lock,
 * one head read, one insert), so a busy workspace's runs do not queue one by one on the
 * ledger's lock. `record` resolves when its entry is committed (a failure rejects it: the
 * engine logs it).
 */
export function ledgerAuditSink(
  driver: Pick<SqlDriver, "transaction">,
  ledger: SqlLedger,
): AuditSink {
  type Pending = { entry: AuditBatchEntry; done: (err?: unknown) => void };
  const queues = new Map<string, Pending[]>();
  const flushing = new Set<string>();
  const flush = async (workspaceId: string) => {
    flushing.add(workspaceId);
    try {
      for (;;) {
        const batch = queues.get(workspaceId) ?? [];
        queues.delete(workspaceId);
        if (batch.length === 0) return;
        try {
          await driver.transaction((tx) =>
            ledger.appendBatch(
              tx,
              workspaceId,
              batch.map((p) => p.entry),
            ),
          );
          for (const p of batch) p.done();
        } catch (err) {
          for (const p of batch) p.done(err);
        }
      }
    } finally {
      flushing.delete(workspaceId);
    }
  };
  return {
    record(run, entry) {
      return new Promise<void>((resolve, reject) => {
        const q = queues.get(run.workspaceId) ?? [];
        queues.set(run.workspaceId, q);
        q.push({
          entry: runLedgerEntry(run, entry),
          done: (err) => (err === undefined ? resolve() : reject(err as Error)),
        });
        if (!flushing.has(run.workspaceId)) void flush(run.workspaceId);
      });
    },
  };
}
