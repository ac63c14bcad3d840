/**
 * The ledger outbox's appender: moves the entries that inline runs committed to `AuditOutbox`
 * (without the chain's lock, see `outboxCte` in `sql-audit.ts`) into the workspace's hash chain,
 * in batches of up to `OUTBOX_BATCH` rows, one transaction per batch under the workspace's ledger
 * lock, deleting the rows in the same transaction: an entry is chained exactly once, whichever
 * process or appender takes it, and a crash between a run's commit and its append loses nothing
 * (the row waits; `start` drains every workspace's rows at once, then the stragglers every
 * `intervalMs`).
 *
 * Order: a batch takes the rows its statement sees after the lock (every row committed before
 * it), oldest id first, and every other append under the lock (approvals, admin actions, run
 * ends of queued runs) chains the waiting rows before its own entries, so an entry is never
 * chained before one that committed before it was taken.
 *
 * Lag: `wake` (called after each inline commit) starts a batch at once, or another one after
 * the batch in flight; with one batch in flight per workspace and process the batches grow with
 * the load, so the lag is about one batch's transaction (measured in `bench/RESULTS.md`).
 */
import type { SqlDriver } from "../prisma/sql-driver";
import { OUTBOX_BATCH, type SqlLedger } from "./sql-audit";

/** What the appender logs. */
export interface OutboxLogger {
  warn(obj: Record<string, unknown>, msg?: string): void;
}

/** A workspace's pass: batches until the outbox is empty, again when woken meanwhile. */
interface Pass {
  promise: Promise<void>;
  again: boolean;
}

/** The process's appender of the ledger outbox (one per process: the composition root's). */
export class LedgerOutbox {
  private readonly passes = new Map<string, Pass>();

  constructor(
    private readonly driver: Pick<SqlDriver, "transaction" | "query">,
    private readonly ledger: SqlLedger,
    private readonly log?: OutboxLogger,
  ) {}

  /**
   * Entries were committed to the workspace's outbox: chains them now, or after the batch in
   * flight. Resolves when every row committed before the call is chained (or a batch failed:
   * logged; the rows wait for the next pass or sweep).
   */
  wake(workspaceId: string): Promise<void> {
    const running = this.passes.get(workspaceId);
    if (running) {
      running.again = true;
      return running.promise;
    }
    const pass: Pass = { promise: Promise.resolve(), again: true };
    pass.promise = (async () => {
      try {
        while (pass.again) {
          pass.again = false;
          await this.drain(workspaceId);
        }
      } catch (err) {
        this.log?.warn({ err: String(err), workspaceId }, "ledger outbox append failed");
      } finally {
        this.passes.delete(workspaceId);
      }
    })();
    this.passes.set(workspaceId, pass);
    return pass.promise;
  }

  /** Moves every row of the workspace that is committed now: one transaction per batch. */
  private async drain(workspaceId: string): Promise<void> {
    for (;;) {
      const r = await this.driver.transaction((tx) => this.ledger.appendWaiting(tx, workspaceId));
      if (r.rows < OUTBOX_BATCH) return;
    }
  }

  /**
   * Chains the waiting rows of every workspace (`olderThanMs`: only rows at least that old,
   * which no wake of a live process is about to take). Resolves when done.
   */
  async drainAll(olderThanMs = 0): Promise<void> {
    const rows = await this.driver.query<{ ws: string }>(
      `SELECT DISTINCT "workspaceId"::text AS ws FROM "AuditOutbox"
       WHERE "createdAt" <= clock_timestamp() - make_interval(secs => $1::float8 / 1000)
       LIMIT 1000`,
      [olderThanMs],
    );
    await Promise.all(rows.map((r) => this.wake(r.ws)));
  }

  /** Resolves when the passes in flight are done. */
  async settled(): Promise<void> {
    while (this.passes.size > 0) await Promise.all([...this.passes.values()].map((p) => p.promise));
  }

  /**
   * Drains the outbox at once (a crash or a stop left rows: `ready` resolves when they are
   * chained, or the drain failed and logged why), then every `intervalMs` the rows older than
   * that (another process's, or a failed pass's).
   */
  start(opts: { intervalMs?: number } = {}): { ready: Promise<void>; stop(): Promise<void> } {
    const intervalMs = opts.intervalMs ?? 1_000;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let current: Promise<void>;
    const sweep = (olderThanMs: number) =>
      (current = this.drainAll(olderThanMs)
        .catch((err: unknown) => this.log?.warn({ err: String(err) }, "ledger outbox sweep failed"))
        .finally(() => {
          if (!stopped) timer = setTimeout(() => void sweep(intervalMs), intervalMs).unref();
        }));
    const ready = sweep(0);
    return {
      ready,
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await current;
        await this.settled();
      },
    };
  }
}
