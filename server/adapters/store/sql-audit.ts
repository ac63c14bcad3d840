/**
 * The audit ledger's append (`server/domain/audit/ledger.ts` `appendAudit`) on the raw SQL
 * driver, for the engine's hot paths (webhook run starts, run ends): the same lock and the same
 * chain (`chainEntries`: links, redaction, hashes) in three statements inside the caller's
 * transaction instead of Prisma's five, and several entries per statement. Entries are
 * indistinguishable from `appendAudit`'s; `verifyAudit` checks them the same way.
 *
 * The ledger outbox (`AuditOutbox`): an inline run's statement writes its entries there
 * ({@link outboxCte}) without the chain's lock, so runs of one workspace commit in parallel; every
 * append under the lock first chains the entries waiting there ({@link SqlLedger.appendBatch}),
 * and the appender (`ledger-outbox.ts`) moves them in batches ({@link SqlLedger.appendWaiting}).
 *
 * The process's memory of the chain (the last head appended per workspace) is a
 * {@link SqlLedger} instance: the composition root (`server/composition.ts`) holds the
 * process's one, so every Next.js bundle shares it.
 */
import {
  chainEntries,
  fromOutboxEntry,
  runLedgerEntry,
  toOutboxEntry,
  type AuditBatchEntry,
  type AuditRecord,
  type ChainHead,
  type OutboxEntry,
} from "@/server/domain/audit/chain";
import type { AuditSink } from "@/server/engine/ports";
import type { SqlDriver, SqlExecutor } from "../prisma/sql-driver";

type Query = Pick<SqlExecutor, "query">;

export type { AuditBatchEntry };

/** The advisory lock that serialises a workspace's ledger appends (every appender takes it). */
export const ledgerLockKey = (workspaceId: string) => `audit:${workspaceId}`;

type ChainRow = ReturnType<typeof chainEntries>[number];

/** Outbox rows moved per statement (and per appender transaction). */
export const OUTBOX_BATCH = 256;

/**
 * The ledger appender on the raw driver, with this process's memory of each workspace's chain:
 * the head it last appended (the next append builds on it and checks it in the same statement
 * as its insert, under the lock, so a process that is the chain's only writer skips the head
 * read; another writer or a rolled-back transaction makes the check fail, and the append then
 * reads the head and builds again).
 */
export class SqlLedger {
  private readonly heads = new Map<string, ChainHead>();

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
   * this way, so the per-workspace lock is taken once per batch). The entries waiting in the
   * ledger outbox go first: they committed before this lock, so the chain keeps the order of
   * commits. `locked`: the transaction already holds the ledger lock of this workspace.
   */
  async appendBatch(
    tx: Query,
    workspaceId: string,
    entries: AuditBatchEntry[],
    opts: { locked?: boolean } = {},
  ): Promise<Array<{ seq: number; hash: string }>> {
    if (entries.length === 0) return [];
    if (!opts.locked) await lockLedger(tx, workspaceId);
    while ((await this.appendWaiting(tx, workspaceId, { locked: true })).rows === OUTBOX_BATCH);
    return this.chain(tx, workspaceId, entries);
  }

  /**
   * Moves up to {@link OUTBOX_BATCH} of the workspace's outbox rows into its chain, oldest first,
   * inside the transaction `tx` (deleted there: a rollback puts them back). `rows`: how many
   * (fewer than the batch: the outbox of the workspace is empty as far as `tx` sees);
   * `oldestMs`: the first row's age when it was taken, in milliseconds.
   */
  async appendWaiting(
    tx: Query,
    workspaceId: string,
    opts: { locked?: boolean } = {},
  ): Promise<{ rows: number; entries: number; oldestMs: number | null }> {
    if (!opts.locked) await lockLedger(tx, workspaceId);
    // A statement after the lock's: its snapshot holds every row committed before the lock.
    const taken = await tx.query<{ entries: string; age: number }>(
      `WITH d AS (
         DELETE FROM "AuditOutbox" WHERE "id" IN (
           SELECT "id" FROM "AuditOutbox" WHERE "workspaceId" = $1::uuid ORDER BY "id" LIMIT $2::int)
         RETURNING "id", "entries", "createdAt")
       SELECT "entries"::text AS entries,
         (extract(epoch from clock_timestamp() - "createdAt") * 1000)::float8 AS age
       FROM d ORDER BY "id"`,
      [workspaceId, OUTBOX_BATCH],
    );
    const entries = taken.flatMap((t) =>
      (JSON.parse(t.entries) as OutboxEntry[]).map(fromOutboxEntry),
    );
    if (entries.length) await this.chain(tx, workspaceId, entries);
    return {
      rows: taken.length,
      entries: entries.length,
      oldestMs: taken[0] ? Number(taken[0].age) : null,
    };
  }

  /** Chains `entries` after the head (held under the lock by the caller). */
  private async chain(
    tx: Query,
    workspaceId: string,
    entries: AuditBatchEntry[],
  ): Promise<Array<{ seq: number; hash: string }>> {
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

  private remember(workspaceId: string, rows: ChainRow[]) {
    const head = rows.at(-1)!;
    this.heads.set(workspaceId, { seq: head.seq, hash: head.hash, atMs: head.at.getTime() });
    return rows.map((r) => ({ seq: r.seq, hash: r.hash }));
  }
}

/** Takes the workspace's ledger lock for the rest of the transaction `tx`. */
async function lockLedger(tx: Query, workspaceId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [ledgerLockKey(workspaceId)]);
}

/**
 * A data-modifying CTE (`ledger_o`) that writes `entries` to the ledger outbox when `gate`
 * holds: part of the statement that writes what they record (an inline run), so both commit
 * together, without the chain's lock. An entry without a time is given the present one.
 */
export function outboxCte(
  add: (v: unknown) => string,
  workspaceId: string,
  entries: AuditBatchEntry[],
  gate: string,
): string {
  const now = Date.now();
  const rows = entries.map((e) => toOutboxEntry(e, now));
  return `ledger_o AS (
       INSERT INTO "AuditOutbox" ("workspaceId", "entries")
       SELECT ${add(workspaceId)}::uuid, ${add(JSON.stringify(rows))}::jsonb WHERE ${gate}
       RETURNING 1)`;
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
): string[] {
  const head = rows.at(-1)!;
  const ws = add(workspaceId);
  return [
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
    `ledger_w AS (
       UPDATE "Workspace" SET "auditSeq" = ${add(head.seq)}::int, "auditHead" = ${add(head.hash)}::text
       WHERE "id" = ${ws}::uuid AND ${gate} RETURNING 1)`,
  ];
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
