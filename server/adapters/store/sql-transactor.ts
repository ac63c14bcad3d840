/**
 * The run and trigger ports of the domain (`server/domain/run/ports.ts`) on the raw SQL driver:
 * the {@link Transactor} that hands out transaction-scoped `{ runs, audit, claim }`, the inline
 * recorder of synchronous webhooks (one statement for the trigger's record, the run, its first
 * checkpoint and its ledger entries), and the webhook lookups. All SQL of run starts lives here.
 */
import type {
  CurrentWorkflowText,
  InlineRecorder,
  SealedWebhookSecret,
  Transactor,
  TriggerClaim,
  WebhookLookups,
} from "@/server/domain/run/ports";
import { ClaimRefused } from "@/server/domain/run/ports";
import type { CommitResult } from "@/server/engine/ports";
import type { SqlDriver } from "../prisma/sql-driver";
import { SqlNotificationStore } from "@/server/adapters/notify/sql-notifications";
import { SqlApprovalStore } from "./sql-approvals";
import { SqlReprocessStore } from "./sql-reprocess";
import { ledgerLockKey, moveHeadCte, type SqlLedger } from "./sql-audit";
import { sqlVersionReader } from "./sql-flow-versions";
import { SqlRunStore, type SqlQuery } from "./sql-run-store";
import { irRef, irWritten, type Row } from "./sql-rows";
import { checkpointPieces, type WriteResult } from "./checkpoint-statement";
import { joinStatements, type JoinPart } from "./joined-statement";

/** A claim as the row it inserts: table and columns, typed values, conflict target. */
function claimRow(c: TriggerClaim): {
  into: string;
  values: Array<[unknown, string]>;
  conflict: string;
} {
  if (c.kind === "webhook-delivery")
    return {
      into: `"WebhookDelivery" ("workspaceId", "workflowId", "deliveryId", "signature", "runId")`,
      values: [
        [c.workspaceId, "uuid"],
        [c.workflowId, "uuid"],
        [c.deliveryId, "text"],
        [c.signature, "text"],
        [c.runId, "uuid"],
      ],
      // A clash on ANY unique key claims nothing: the delivery is unique both by its signed
      // content and by its delivery id.
      conflict: "",
    };
  return {
    into: `"ScheduleFire" ("workspaceId", "workflowId", "fireAt", "runId")`,
    values: [
      [c.workspaceId, "uuid"],
      [c.workflowId, "uuid"],
      [new Date(c.fireAt).toISOString(), "timestamptz"],
      [c.runId, "uuid"],
    ],
    conflict: `("workflowId", "fireAt")`,
  };
}

/** The claim's insert as a CTE's statement: inserts nothing unless `gate` holds or on any conflict. */
function claimInsert(c: TriggerClaim, add: (v: unknown) => string, gate: string): string {
  const row = claimRow(c);
  return `INSERT INTO ${row.into} SELECT ${row.values.map(([v, type]) => `${add(v)}::${type}`).join(", ")}
             WHERE ${gate} ON CONFLICT ${row.conflict} DO NOTHING RETURNING 1`;
}

/** Inserts the claim's row in `q`'s transaction: true when it inserted it. */
export async function insertClaim(q: SqlQuery, c: TriggerClaim): Promise<boolean> {
  const row = claimRow(c);
  const rows = await q.query(
    `INSERT INTO ${row.into} VALUES (${row.values.map(([, type], i) => `$${i + 1}::${type}`).join(", ")})
     ON CONFLICT ${row.conflict} DO NOTHING RETURNING 1 AS ok`,
    row.values.map(([v]) => v),
  );
  return rows.length > 0;
}

/** The {@link Transactor} on the raw driver: one driver transaction per call. */
export function sqlTransactor(
  driver: Pick<SqlDriver, "transaction">,
  ledger: SqlLedger,
): Transactor {
  return {
    transaction: (fn) =>
      driver.transaction((tx) =>
        fn({
          runs: new SqlRunStore(tx),
          audit: { append: (actor, record) => ledger.append(tx, actor, record) },
          approvals: new SqlApprovalStore(tx),
          reprocess: new SqlReprocessStore(tx),
          notifications: new SqlNotificationStore(tx),
          versions: sqlVersionReader(tx),
          claim: (c) => insertClaim(tx, c),
        }),
      ),
  };
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

/** Inline runs per statement at most (its text, and PostgreSQL's plan of it, grow with each). */
const JOIN_MAX = 8;
/** In a joined statement, the gate of the run before (renamed to its `go` CTE). */
const PREVIOUS_GATE = "previous_go";

/** An inline run's record as the recorder receives it. */
type InlineInput = Parameters<InlineRecorder["recordInline"]>[0];
/** What recording one inline run came to (a refused claim rejects only its own caller). */
type Recorded = { ok: CommitResult } | { refused: true };

/** Inline runs of one workspace recorded in one transaction at most (one commit for all). */
export const INLINE_BATCH_MAX = 32;

/**
 * Records an inline run at its first checkpoint: the trigger's claim, the run with the
 * checkpoint, `run.start` and (when the checkpoint ends the run) `run.<end>` in the ledger.
 *
 * A workspace's inline runs are recorded in the order they arrive, one write at a time (each
 * one's ledger entries chain onto the previous one's). Runs that arrive while a write is in
 * flight wait and are then recorded together, in ONE transaction (up to
 * {@link INLINE_BATCH_MAX}): one commit and one WAL flush for all of them instead of one each,
 * so a busy workspace's throughput is no longer one commit's latency per run. Alone, a run is
 * ONE statement when this process knows the ledger's head (the usual case); otherwise, or when
 * another appender moved the head, one transaction of four statements. In a batch, each run is
 * the same statement inside the batch's transaction, built on the head the previous one
 * leaves, all of them sent at once with the transaction's COMMIT (pipelined, see
 * `recordTogether`); a refused claim writes nothing and refuses only its own run, and the runs
 * behind a statement that did not take are recorded after the batch. When the batch's
 * transaction fails (a constraint, a lost connection) nothing of it was written, and each of its
 * runs is recorded again on its own, so one run's failure fails no other.
 */
export function sqlInlineRecorder(
  driver: Pick<SqlDriver, "transaction" | "query">,
  ledger: SqlLedger,
): InlineRecorder {
  type Parts = NonNullable<ReturnType<SqlLedger["statementParts"]>>;

  /**
   * An inline run's parts of its statement: the guard (by default, the chain's head is the one
   * `fast` was built on), the trigger's claim and the ledger's entries (and the head's move).
   */
  const inlineParts =
    (claim: TriggerClaim, fast: Parts, guard?: string, moveHead = true) =>
    (add: (v: unknown) => string) => ({
      guard: guard ?? fast.guard(add),
      claim: (gate: string) => claimInsert(claim, add, gate),
      ctes: (gate: string) => fast.ctes(add, gate, moveHead),
    });

  /** What an inline run's statement came to; remembers the head its entries leave. */
  function outcome(
    r: WriteResult,
    fast: Parts,
    cp: InlineInput["checkpoint"],
  ): Recorded | undefined {
    if (r.guard && !r.claimed) return { refused: true };
    if (!r.guard) return undefined;
    fast.committed();
    return { ok: { ...r, audited: audited(cp) } };
  }

  /**
   * Records `input` through `q` (the driver, or the batch's transaction) in one statement, its
   * ledger part built on the remembered head; undefined when that head was not the chain's
   * (nothing written). Sends the statement before it first awaits.
   */
  async function record(
    q: Pick<SqlDriver, "query">,
    input: InlineInput,
    ir?: ReturnType<typeof irRef>,
  ): Promise<Recorded | undefined> {
    const { newRun, claim, checkpoint: cp, entries, reconciled } = input;
    const workspaceId = newRun.workspaceId;
    const fast = ledger.statementParts(workspaceId, entries);
    if (!fast) return undefined;
    try {
      const r = await new SqlRunStore(q).createWithCheckpoint(newRun, cp, {
        advisoryLock: ledgerLockKey(workspaceId),
        ...(ir && { ir }),
        ...(reconciled && { reconciled }),
        parts: inlineParts(claim, fast),
      });
      return outcome(r, fast, cp);
    } catch (err) {
      // Alone: another appender committed between this statement's snapshot and its lock.
      if (q === driver && isUniqueViolation(err, "AuditEntry")) return undefined;
      throw err;
    }
  }

  /**
   * Several runs (in order) as ONE statement through `q` (`joined-statement.ts`): each run's
   * statement as {@link record} builds it, the first one's guard reading the chain's head
   * (`from`, else the remembered one), each next one's holding when the one before wrote, and
   * the head moved once, to where the last one that wrote leaves it. Null when no head is known
   * (nothing sent). `done`: each run's outcome, as {@link record}'s.
   */
  function recordJoined(
    q: Pick<SqlDriver, "query">,
    workspaceId: string,
    inputs: InlineInput[],
    irs: Array<ReturnType<typeof irRef>>,
    from?: Parts["head"],
  ): { tail: Parts["head"]; count: number; done: Promise<Array<Recorded | undefined>> } | null {
    const fasts: Parts[] = [];
    const pieces: Array<JoinPart<WriteResult>> = [];
    let head = from;
    for (const [i, input] of inputs.entries()) {
      const fast = ledger.statementParts(workspaceId, input.entries, head);
      if (!fast) break;
      head = fast.head;
      fasts.push(fast);
      const { newRun, claim, checkpoint: cp, reconciled } = input;
      const p = checkpointPieces(newRun.id, newRun.lease.owner, cp, newRun, {
        ...(i === 0 && { advisoryLock: ledgerLockKey(workspaceId) }),
        ir: irs[i]!,
        ...(reconciled && { reconciled }),
        parts: inlineParts(
          claim,
          fast,
          i === 0 ? undefined : `(SELECT ok FROM ${PREVIOUS_GATE})`,
          false,
        ),
      });
      pieces.push(i === 0 ? p : { ...p, aliases: { [PREVIOUS_GATE]: `go_${i - 1}` } });
    }
    if (!head || !pieces.length) return null;
    const joined = joinStatements(pieces);
    joined.ctes.push(
      moveHeadCte(
        joined.add,
        workspaceId,
        fasts.map((f, i) => ({ gate: `(SELECT ok FROM ${joined.name(i, "go")})`, head: f.head })),
      ),
    );
    const done = q
      .query<Row>(joined.text(), joined.values)
      .then((rows) =>
        joined.read(rows[0]!).map((r, i) => outcome(r, fasts[i]!, inputs[i]!.checkpoint)),
      );
    return { tail: head, count: pieces.length, done };
  }

  /** The four statements (claim, run, head read, ledger) in the transaction `tx`. */
  async function recordSlow(
    tx: Pick<SqlDriver, "query">,
    input: InlineInput,
    ir?: ReturnType<typeof irRef>,
  ): Promise<Recorded> {
    const { newRun, claim, checkpoint: cp, entries, reconciled } = input;
    if (!(await insertClaim(tx, claim))) return { refused: true };
    // The run and its checkpoint in one statement, which also takes the ledger's lock.
    const r = await new SqlRunStore(tx).createWithCheckpoint(newRun, cp, {
      advisoryLock: ledgerLockKey(newRun.workspaceId),
      ...(ir && { ir }),
      ...(reconciled && { reconciled }),
    });
    await ledger.appendBatch(tx, newRun.workspaceId, entries, { locked: true });
    return { ok: { ...r, audited: audited(cp) } };
  }

  /** One run on its own (and in order with the workspace's other ledger statements). */
  async function recordAlone(input: InlineInput): Promise<Recorded> {
    const done = await ledger.inOrder(input.newRun.workspaceId, () => record(driver, input));
    return done ?? driver.transaction((tx) => recordSlow(tx, input));
  }

  /**
   * Several runs of one workspace in one transaction, pipelined: BEGIN, the ledger's lock (when
   * `behind`), the runs' statements ({@link JOIN_MAX} runs joined in each, see
   * {@link recordJoined}), each run built on the head the run before it leaves, and — when
   * every run has such a statement (this process knows the chain's head) — COMMIT, all sent at
   * once; the database runs them back to back and commits without waiting for this process to
   * read their answers. A run whose guard fails (its head was not the chain's: another appender
   * moved it, or the run before it was refused) writes nothing, and neither do the ones behind
   * it (built on its head): with COMMIT sent, those runs come back `undefined` and are recorded
   * after the batch; without, they are recorded one after another in the same transaction
   * before its COMMIT. `executed` is called once the statements answered
   * (or failed): the next batch may then start (on PostgreSQL their answers come with the
   * COMMIT's, in one group; a driver whose statements answer first lets it start earlier); `behind` (the
   * batch before, committing) makes this one take the ledger's lock first, so it waits for that
   * commit and each of its statements then sees the head it left. Resolves with each run's
   * outcome; null when the transaction failed (nothing written).
   */
  async function recordTogether(
    workspaceId: string,
    inputs: InlineInput[],
    behind: boolean,
    executed: () => void,
  ): Promise<Array<Recorded | undefined> | null> {
    // Each flow's IR is sent once per batch at most (and not at all once the driver stored it;
    // the statement's IR insert is not gated by its claim or guard, so a later run of the batch
    // finds it).
    const refs = new Map<string, ReturnType<typeof irRef>>();
    const irOf = (ir: object) => {
      const ref = irRef(ir, driver);
      if (refs.has(ref.key)) return { ...ref, text: null };
      refs.set(ref.key, ref);
      return ref;
    };
    try {
      const out = await driver.transaction(
        async (tx) => {
          try {
            const lock = behind
              ? tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [ledgerLockKey(workspaceId)])
              : null;
            const irs = inputs.map((input) => irOf(input.newRun.ir));
            // Up to JOIN_MAX runs per statement, each statement built on the head the one
            // before leaves.
            const sent: Array<Promise<Array<Recorded | undefined>>> = [];
            let head: Parts["head"] | undefined;
            let built = 0;
            while (built < inputs.length) {
              const end = Math.min(built + JOIN_MAX, inputs.length);
              const joined = recordJoined(
                tx,
                workspaceId,
                inputs.slice(built, end),
                irs.slice(built, end),
                head,
              );
              if (!joined) break;
              head = joined.tail;
              built += joined.count;
              joined.done.catch(() => undefined); // awaited below (a failure fails the transaction)
              sent.push(joined.done);
            }
            const early = built === inputs.length && tx.commit !== undefined;
            if (early) tx.commit!();
            await lock;
            const results: Array<Recorded | undefined> = [];
            outcomes: for (const one of sent)
              for (const r of await one) {
                if (!r) break outcomes;
                results.push(r);
              }
            if (results.length < inputs.length) await Promise.allSettled(sent);
            for (let i = results.length; i < inputs.length; i++)
              results.push(
                early
                  ? undefined
                  : ((await record(tx, inputs[i]!, irs[i])) ??
                      (await recordSlow(tx, inputs[i]!, irs[i]))),
              );
            return results;
          } finally {
            executed();
          }
        },
        { pipelined: true },
      );
      for (const ref of refs.values()) irWritten(driver, ref);
      return out;
    } catch {
      // Heads remembered inside the rolled-back transaction are wrong now.
      ledger.forget(workspaceId);
      return null;
    } finally {
      // Also when the transaction could not even begin.
      executed();
    }
  }

  type Waiting = { input: InlineInput; settle(r: Promise<Recorded>): void };
  const waiting = new Map<string, Waiting[]>();
  const writing = new Set<string>();

  /**
   * Settles `batch`'s callers from a batch's outcome, recording alone (in order) each run the
   * batch did not record: all of them when it failed.
   */
  async function settle(
    batch: Waiting[],
    together: Promise<Array<Recorded | undefined> | null>,
  ): Promise<void> {
    const out = await together;
    for (const [i, w] of batch.entries()) {
      const done = out?.[i];
      if (done) {
        w.settle(Promise.resolve(done));
        continue;
      }
      // The batch failed (nothing of it written), or this run's statement did not take.
      const one = recordAlone(w.input);
      w.settle(one);
      await one.catch(() => undefined);
    }
  }

  /**
   * Writes a workspace's waiting runs, batch after batch, while any wait. The next one starts
   * once the previous one's statements answered; if that one may still be committing (its WAL
   * flush), the new one's statements wait for that commit on the ledger's lock.
   */
  async function drain(workspaceId: string): Promise<void> {
    writing.add(workspaceId);
    let committing: Promise<void> | null = null;
    try {
      for (;;) {
        const queue = waiting.get(workspaceId);
        if (!queue?.length) {
          // Runs may arrive while the last batch commits: they form the next one.
          if (committing) {
            await committing;
            committing = null;
            continue;
          }
          waiting.delete(workspaceId);
          return;
        }
        const batch = queue.splice(0, INLINE_BATCH_MAX);
        if (batch.length === 1 && !committing) {
          await settle(batch, Promise.resolve(null));
          continue;
        }
        let executed!: () => void;
        const ran = new Promise<void>((r) => (executed = r));
        const together = recordTogether(
          workspaceId,
          batch.map((w) => w.input),
          committing !== null,
          executed,
        );
        const before: Promise<void> | null = committing;
        const settled = settle(batch, together);
        await ran;
        // The batch before has committed once this one's statements ran (they waited for it).
        committing = Promise.all([before, settled]).then(() => undefined);
      }
    } finally {
      await committing;
      writing.delete(workspaceId);
      if (waiting.get(workspaceId)?.length) void drain(workspaceId);
    }
  }

  return {
    async recordInline(input): Promise<CommitResult> {
      const workspaceId = input.newRun.workspaceId;
      const recorded = await new Promise<Recorded>((resolve, reject) => {
        const queue = waiting.get(workspaceId) ?? [];
        queue.push({ input, settle: (r) => r.then(resolve, reject) });
        waiting.set(workspaceId, queue);
        if (!writing.has(workspaceId)) void drain(workspaceId);
      });
      if ("refused" in recorded) throw new ClaimRefused();
      return recorded.ok;
    },
  };
}

const audited = (cp: { audit?: unknown[] }) => (cp.audit?.length ?? 0) > 0;

/** The webhook lookups: one indexed query each. */
export function sqlWebhookLookups(sql: SqlQuery): WebhookLookups {
  return {
    async secretOf(slug, flow): Promise<SealedWebhookSecret | null> {
      const [row] = await sql.query<SealedWebhookSecret>(
        `SELECT s."workspaceId"::text AS "workspaceId", s."workflowId"::text AS "workflowId",
           s."ciphertext", s."iv", s."tag", s."keyId"
         FROM "WebhookSecret" s JOIN "Workspace" w ON w."id" = s."workspaceId"
         WHERE w."slug" = $1 AND s."flowName" = $2`,
        [slug, flow],
      );
      return row ?? null;
    },
    async currentText(workflowId): Promise<CurrentWorkflowText | null> {
      const [r] = await sql.query<{
        vid: string | null;
        version: string | null;
        dsl: string | null;
        draft: string;
        updated: number;
      }>(
        `SELECT v."id"::text AS vid, v."version", v."dsl", w."draft",
           (extract(epoch from w."updatedAt") * 1000)::float8 AS updated
         FROM "Workflow" w LEFT JOIN LATERAL (
           SELECT "id", "version", "dsl" FROM "WorkflowVersion" WHERE "workflowId" = w."id"
           ORDER BY "createdAt" DESC LIMIT 1) v ON TRUE
         WHERE w."id" = $1::uuid AND w."deletedAt" IS NULL`,
        [workflowId],
      );
      if (!r) return null;
      return {
        versionId: r.vid,
        version: r.version,
        dsl: r.dsl,
        draft: r.draft,
        updatedAt: Number(r.updated),
      };
    },
  };
}
