/**
 * Starting a run from a trigger (webhook delivery, schedule fire): the trigger's own record
 * (delivery, fire), the run and its `run.start` ledger entry commit in ONE transaction, so a
 * delivery is never accepted without its run, nor a run started without its record.
 */
import type { FlowIR } from "@/dsl/ir";
import type { SqlDriver } from "@/server/adapters/prisma/sql-driver";
import {
  appendAuditBatchSql,
  appendAuditSql,
  inLedgerOrder,
  ledgerLockKey,
  ledgerStatementParts,
} from "@/server/adapters/store/sql-audit";
import { sqlFromPrisma, SqlRunStore, type SqlQuery } from "@/server/adapters/store/sql-run-store";
import { notifyRunDue } from "@/server/engine/notify";
import type { Engine } from "@/server/engine/engine";
import { keepLease } from "@/server/engine/lease";
import type { Checkpoint, CommitResult, RunStore } from "@/server/engine/ports";
import type { NewRun, RunRecord } from "@/server/engine/types";
import { admissionGate, assertActiveRunCapacity } from "../run/admission";
import { runLedgerEntry } from "../run/run-engine";
import { appendAudit } from "../audit/ledger";
import type { Db, Tx } from "../types";

/** What a trigger starts. */
export interface TriggeredRun {
  runId: string;
  workspaceId: string;
  workflowId: string;
  version: string | null;
  ir: FlowIR;
  inputs: Record<string, unknown>;
  /** `webhook:<flow>` or `schedule:<flow>`: the run's `startedBy` and the ledger's actor. */
  startedBy: string;
  /** Ledger payload details (delivery id, fire time). */
  trigger: Record<string, unknown>;
  /** Deduplicates the run itself (e.g. `schedule:<workflow>:<fireAt>`). */
  idempotencyKey?: string;
}

/**
 * Runs `claim` (the trigger's own unique record; it returns false when the trigger already
 * fired), then creates the run and writes the ledger, all in one transaction. Returns null
 * when `claim` refused. With `driver` (the raw SQL driver of the same database) the
 * transaction skips Prisma: the webhook hot path.
 */
/** The `run.start` ledger record of a triggered run. */
function startRecord(t: TriggeredRun) {
  return {
    action: "run.start",
    subjectType: "run",
    subjectId: t.runId,
    payload: {
      workflowId: t.workflowId,
      flow: t.ir.name,
      version: t.version,
      irHash: t.ir.hash,
      draft: t.version === null,
      trigger: t.trigger,
    },
  };
}

function newRunOf(t: TriggeredRun, now: number): NewRun {
  return {
    id: t.runId,
    workspaceId: t.workspaceId,
    workflowId: t.workflowId,
    version: t.version,
    ir: t.ir,
    inputs: t.inputs,
    startedBy: t.startedBy,
    idempotencyKey: t.idempotencyKey ?? null,
    now,
  };
}

export function startTriggeredRun(
  db: Db,
  t: TriggeredRun,
  claim: (q: SqlQuery) => Promise<boolean>,
  driver?: Pick<SqlDriver, "transaction">,
): Promise<RunRecord | null> {
  // Admission control: a slot of the process's gate (or RATE_LIMITED), the workspace's cap.
  // Schedule fires are paced by the scheduler itself (one per flow and fire time, retried on
  // its next tick): they skip the gate, not the cap.
  if (t.trigger.type === "schedule") return startAdmittedTriggeredRun(db, t, claim, driver);
  return admissionGate().run(() => startAdmittedTriggeredRun(db, t, claim, driver));
}

async function startAdmittedTriggeredRun(
  db: Db,
  t: TriggeredRun,
  claim: (q: SqlQuery) => Promise<boolean>,
  driver?: Pick<SqlDriver, "transaction">,
): Promise<RunRecord | null> {
  const body = async (
    q: SqlQuery,
    audit: (record: Parameters<typeof appendAuditSql>[2]) => Promise<unknown>,
  ) => {
    // In the transaction, before the claim: a refused start leaves no delivery or fire behind.
    await assertActiveRunCapacity(q, t.workspaceId);
    if (!(await claim(q))) return null;
    const { run } = await new SqlRunStore(q).createRun(newRunOf(t, Date.now()));
    await audit(startRecord(t));
    return run;
  };
  const actor = { workspaceId: t.workspaceId, label: t.startedBy, userId: null };
  const run = driver
    ? await driver.transaction((tx) => body(tx, (r) => appendAuditSql(tx, actor, r)))
    : await db.$transaction((tx: Tx) => body(sqlFromPrisma(tx), (r) => appendAudit(tx, actor, r)));
  if (run) notifyRunDue(run.id);
  return run;
}

// ---------------------------------------------------------------------------------------------
// Inline: a synchronous webhook's run advanced by the receiving process itself

/** What runs triggered runs inline: the embedded worker's engine and the raw driver. */
export interface InlineExecution {
  engine: Engine;
  driver: Pick<SqlDriver, "transaction" | "query">;
  /** Inline runs per workspace at once in this process; beyond it they queue. Default 16. */
  perWorkspaceLimit?: number;
  /** Lease length of an inline run (renewed while it advances). Default 30 s. */
  leaseMs?: number;
}

class Refused extends Error {}

/**
 * A trigger's own record (a webhook delivery, a schedule fire), unique per trigger event: the
 * insert that claims the event. A second claim of the same event inserts nothing.
 */
export interface TriggerClaim {
  /** `"Table" ("column", ...)` */
  into: string;
  /** The row's values with their SQL types, in column order. */
  values: Array<[unknown, string]>;
  /**
   * `("unique", "columns")`; omitted: a clash on ANY unique key of the table claims nothing
   * (the webhook delivery is unique both by its signed content and by its delivery id).
   */
  conflict?: string;
}

/** The claim as a statement of a transaction: true when it inserted the row. */
export function claimQuery(c: TriggerClaim) {
  return async (q: SqlQuery) =>
    (
      await q.query(
        `INSERT INTO ${c.into} VALUES (${c.values.map(([, type], i) => `$${i + 1}::${type}`).join(", ")})
         ON CONFLICT ${c.conflict ?? ""} DO NOTHING RETURNING 1 AS ok`,
        c.values.map(([v]) => v),
      )
    ).length > 0;
}

/**
 * Records an inline run at its first checkpoint: the trigger's claim, the run with the
 * checkpoint, `run.start` and (when the checkpoint ends the run) `run.<end>` in the ledger.
 * ONE statement when this process knows the ledger's head (the usual case); otherwise, or when
 * another appender moved the head, one transaction of four statements.
 */
async function recordInline(
  t: TriggeredRun,
  newRun: NewRun & { lease: { owner: string; expiresAt: number } },
  run: RunRecord,
  claim: TriggerClaim,
  cp: Checkpoint,
  driver: Pick<SqlDriver, "transaction" | "query">,
): Promise<CommitResult> {
  const entries = [
    { actor: { label: t.startedBy, userId: null }, record: startRecord(t) },
    ...(cp.audit ?? []).map((e) => runLedgerEntry(run, e)),
  ];
  const audited = (cp.audit?.length ?? 0) > 0;
  const lock = ledgerLockKey(t.workspaceId);
  const done = await inLedgerOrder(t.workspaceId, async () => {
    const fast = ledgerStatementParts(t.workspaceId, entries);
    if (!fast) return undefined;
    try {
      const r = await new SqlRunStore(driver).createWithCheckpoint(newRun, cp, {
        advisoryLock: lock,
        parts: (add) => ({
          guard: fast.guard(add),
          claim: (gate) =>
            `INSERT INTO ${claim.into} SELECT ${claim.values.map(([v, type]) => `${add(v)}::${type}`).join(", ")}
             WHERE ${gate} ON CONFLICT ${claim.conflict ?? ""} DO NOTHING RETURNING 1`,
          ctes: (gate) => fast.ctes(add, gate),
        }),
      });
      if (r.guard && !r.claimed) throw new Refused();
      if (!r.guard) return undefined;
      fast.committed();
      return { ...r, audited };
    } catch (err) {
      // Another appender committed between this statement's snapshot and its lock.
      if (!isUniqueViolation(err, "AuditEntry")) throw err;
      return undefined;
    }
  });
  if (done) return done;
  return driver.transaction(async (tx) => {
    if (!(await claimQuery(claim)(tx))) throw new Refused();
    // The run and its checkpoint in one statement, which also takes the ledger's lock.
    const r = await new SqlRunStore(tx).createWithCheckpoint(newRun, cp, { advisoryLock: lock });
    await appendAuditBatchSql(tx, t.workspaceId, entries, { locked: true });
    return { ...r, audited };
  });
}

function isUniqueViolation(err: unknown, table: string): boolean {
  const e = err as { code?: string; table?: string; constraint?: string; message?: string };
  return (
    e?.code === "23505" &&
    (e.table === table ||
      Boolean(e.constraint?.startsWith(table)) ||
      Boolean(e.message?.includes(table)))
  );
}
const inlineActive = new Map<string, number>();

/**
 * Starts a triggered run and advances it in this process until it ends or parks (then the
 * worker takes over), instead of queueing it for the worker: no queue hop, no claim, no state
 * load. The run is created already leased by the engine's worker id, and not before its first
 * checkpoint: that checkpoint commits in ONE transaction with the trigger's record, the run,
 * its `run.start` ledger entry and, for a run that ends there (all steps pure), its steps and
 * the `run.<end>` entry. The engine takes that checkpoint before any side effect, so nothing
 * happens outside for a delivery that is not recorded; a crash before it loses nothing but
 * pure computation (the sender gets no answer and retries).
 *
 * Returns null when `claim` refused (replay), "busy" when the workspace has
 * `perWorkspaceLimit` inline runs in flight (the caller queues the run instead).
 */
export async function runTriggeredInline(
  t: TriggeredRun,
  claim: TriggerClaim,
  inline: InlineExecution,
): Promise<RunRecord | null | "busy"> {
  // Admission control: an inline execution holds a slot of the process's gate until it ends or
  // parks, waiting in the gate's queue when every slot is taken (handing it to the worker would
  // add the worker's polling delay to every run past the slots); a full queue refuses it (503).
  const slot = await admissionGate().enter();
  try {
    await assertActiveRunCapacity(inline.driver, t.workspaceId);
    return await runAdmittedInline(t, claim, inline);
  } finally {
    slot();
  }
}

async function runAdmittedInline(
  t: TriggeredRun,
  claim: TriggerClaim,
  inline: InlineExecution,
): Promise<RunRecord | null | "busy"> {
  const active = inlineActive.get(t.workspaceId) ?? 0;
  if (active >= (inline.perWorkspaceLimit ?? 16)) return "busy";
  inlineActive.set(t.workspaceId, active + 1);
  const { engine, driver } = inline;
  const { clock, workerId, store } = engine.deps;
  const now = clock.now();
  const leaseMs = inline.leaseMs ?? 30_000;
  const newRun = {
    ...newRunOf(t, now),
    lease: { owner: workerId, expiresAt: now + leaseMs },
  };
  const run: RunRecord = {
    ...newRun,
    irHash: t.ir.hash,
    status: "running",
    output: null,
    error: null,
    parentRunId: null,
    parentStepId: null,
    idempotencyKey: newRun.idempotencyKey ?? null,
    startedBy: t.startedBy,
    leaseOwner: workerId,
    leaseExpiresAt: now + leaseMs,
    dueAt: null,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    updatedAt: now,
  };
  let recorded = false;
  const recordingStore: RunStore = Object.create(store) as RunStore;
  recordingStore.commit = async (runId, owner, cp) => {
    if (recorded || runId !== t.runId) return store.commit(runId, owner, cp);
    const res = await recordInline(t, newRun, run, claim, cp, driver);
    recorded = true;
    return res;
  };
  const log = engine.deps.logger.child({ runId: t.runId });
  const release = keepLease(store, t.runId, workerId, clock, leaseMs, log);
  try {
    await engine.advance(run, { unrecorded: true, store: recordingStore });
    return run;
  } catch (err) {
    if (err instanceof Refused) return null;
    // Not recorded: nothing happened. Recorded: the lease expires and a worker recovers it.
    if (!recorded) throw err;
    log.error({ err: String(err) }, "inline advance failed");
    return run;
  } finally {
    release();
    const n = (inlineActive.get(t.workspaceId) ?? 1) - 1;
    if (n > 0) inlineActive.set(t.workspaceId, n);
    else inlineActive.delete(t.workspaceId);
  }
}
