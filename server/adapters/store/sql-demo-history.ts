/**
 * The demo history's writer (`server/domain/seed/history.ts`): a batch of finished runs stored
 * as the SQL run store stores runs (`checkpoint-parts.ts`: the IR once per distinct IR, the run
 * row, a `StepAttempt` row per side-effect attempt, ONE `RunStepLog` row per run with its
 * checkpoints' events and logged attempts (`oneLog`), tasks, dead letters; completion order from
 * the same sequence), each run's reconciliation findings (`RunFinding`, `Run.reconciledAt`),
 * agent usage as the model router records it, and the ledger entries through the ledger's own
 * append (`SqlLedger`: lock, chain, hashes). One transaction per batch, one statement per table.
 */
import { randomUUID } from "node:crypto";
import type { AuditBatchEntry } from "@/server/domain/audit/chain";
import type { HistoryBatch, HistoryWriter, StepLogRecord } from "@/server/domain/seed/ports";
import type { SqlDriver, SqlExecutor } from "../prisma/sql-driver";
import { SqlLedger } from "./sql-audit";
import { irRef, storedInputs, ts } from "./sql-rows";

type Rec = Record<string, unknown>;

/** Inserts `rows` into `table` from one JSON parameter (`jsonb_to_recordset`). */
async function insertRows(
  tx: SqlExecutor,
  table: string,
  cols: Array<[name: string, type: string, expr?: string]>,
  rows: Rec[],
): Promise<void> {
  if (rows.length === 0) return;
  const names = cols.map(([n]) => `"${n}"`).join(", ");
  const exprs = cols.map(([n, , e]) => e ?? `x."${n}"`).join(", ");
  const types = cols.map(([n, t]) => `"${n}" ${t === "timestamp" ? "float8" : t}`).join(", ");
  await tx.query(
    `INSERT INTO "${table}" (${names}) SELECT ${exprs} FROM jsonb_to_recordset($1::jsonb) AS x(${types})`,
    [JSON.stringify(rows)],
  );
}

/**
 * A run's checkpoints as ONE log record (the run store writes one per checkpoint; a run's
 * events are numbered without gaps, so one record with the first sequence number reads back
 * the same: `sql-step-log.ts` numbers events from `firstSeq` and keeps the first logged attempt
 * of a step). Null when the run logged nothing.
 */
export function oneLog(logs: StepLogRecord[]): StepLogRecord | null {
  if (logs.length === 0) return null;
  let next = logs[0]!.firstSeq;
  for (const l of logs) {
    if (l.firstSeq !== next) throw new Error("demo history: a run's events are not contiguous");
    next += l.events.length;
  }
  return {
    firstSeq: logs[0]!.firstSeq,
    attempts: logs.flatMap((l) => l.attempts),
    events: logs.flatMap((l) => l.events),
  };
}

const time = (col: string): [string, string, string] => [col, "timestamp", ts(`x."${col}"`)];

/** The writer on the raw driver. */
export function sqlHistoryWriter(driver: Pick<SqlDriver, "transaction">): HistoryWriter {
  const ledger = new SqlLedger();
  return {
    async writeBatch(workspaceId: string, batch: HistoryBatch, marker: AuditBatchEntry) {
      await driver.transaction(async (tx) => {
        const irs = new Map<string, string>();
        const keys = batch.runs.map((r) => {
          const ref = irRef(r.ir);
          if (ref.text !== null) irs.set(ref.key, ref.text);
          return ref.key;
        });
        await tx.query(
          `INSERT INTO "FlowIr" ("key", "ir") SELECT * FROM unnest($1::text[], $2::text[])
           ON CONFLICT ("key") DO NOTHING`,
          [[...irs.keys()], [...irs.values()]],
        );
        // Completion order: one value of the attempts' sequence per finished attempt.
        const finished = batch.runs.reduce(
          (n, r) =>
            n +
            r.rows.filter((a) => a.finishSeq !== null).length +
            r.logs.reduce((m, l) => m + l.attempts.length, 0),
          0,
        );
        const seqRows = finished
          ? await tx.query<{ v: string }>(
              `SELECT nextval('"StepAttempt_finishSeq_seq"')::text AS v FROM generate_series(1, $1::int)`,
              [finished],
            )
          : [];
        const seqs = seqRows.map((r) => BigInt(r.v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        let next = 0;
        const runs: Rec[] = [];
        const attempts: Rec[] = [];
        const logs: Rec[] = [];
        const tasks: Rec[] = [];
        const dead: Rec[] = [];
        const usage: Rec[] = [];
        const findings: Rec[] = [];
        // Reconciled here (`history-reconcile.ts`): one time for the batch; its runs' ids sort
        // in time order, so the finished-runs consumers read them as they happened.
        const now = Date.now();
        for (const [i, r] of batch.runs.entries()) {
          // The run's completion order mapped onto the sequence, in its local order.
          const local = [
            ...r.rows.filter((a) => a.finishSeq !== null).map((a) => a.finishSeq!),
            ...r.logs.flatMap((l) => l.attempts.map((a) => a.finishSeq!)),
          ].sort((a, b) => a - b);
          const global = new Map(local.map((s) => [s, String(seqs[next++])]));
          runs.push({
            ...r.run,
            irKey: keys[i],
            updatedAt: r.run.finishedAt ?? r.run.createdAt,
            reconciledAt: now,
          });
          for (const a of r.rows)
            attempts.push({
              ...a,
              inputs: storedInputs(a.inputs),
              output: a.output ?? null,
              finishSeq: a.finishSeq === null ? null : global.get(a.finishSeq),
            });
          const log = oneLog(r.logs);
          if (log)
            logs.push({
              runId: r.run.id,
              firstSeq: log.firstSeq,
              attempts: log.attempts.length
                ? log.attempts.map((a, j) => ({
                    i: j + 1,
                    stepId: a.stepId,
                    attempt: a.attempt,
                    status: a.status,
                    blockId: a.blockId,
                    inputs: storedInputs(a.inputs),
                    output: a.output ?? null,
                    error: a.error,
                    classification: a.classification,
                    idempotencyKey: a.idempotencyKey,
                    consentId: a.consentId,
                    startedAt: a.startedAt,
                    finishedAt: a.finishedAt,
                    durationMs: a.durationMs,
                    retryAt: a.retryAt,
                    workerId: a.workerId,
                  }))
                : null,
              finishSeqs: log.attempts.length
                ? log.attempts.map((a) => global.get(a.finishSeq!))
                : null,
              events: log.events.length
                ? log.events.map((e, j) => ({
                    i: j + 1,
                    type: e.type,
                    stepId: e.stepId ?? null,
                    data: e.data ?? null,
                    key: e.key ?? null,
                    at: e.at,
                  }))
                : null,
            });
          for (const f of batch.findings[i] ?? [])
            findings.push({ id: randomUUID(), runId: r.run.id, workspaceId, ...f, createdAt: now });
          for (const t of r.tasks) tasks.push({ ...t, payload: t.payload ?? null });
          for (const d of r.deadLetters) dead.push({ ...d, inputs: storedInputs(d.inputs) });
          for (const u of r.usage) usage.push({ ...u, workspaceId });
        }
        await insertRows(
          tx,
          "Run",
          [
            ["id", "uuid"],
            ["workspaceId", "uuid"],
            ["workflowId", "uuid"],
            ["version", "text"],
            ["irHash", "text"],
            ["irKey", "text"],
            ["status", "text", `x."status"::"RunStatus"`],
            ["inputs", "jsonb"],
            ["output", "jsonb"],
            ["error", "jsonb"],
            ["startedBy", "text"],
            ["eventSeq", "int"],
            time("createdAt"),
            time("startedAt"),
            time("finishedAt"),
            time("updatedAt"),
            time("reconciledAt"),
          ],
          runs,
        );
        await insertRows(
          tx,
          "StepAttempt",
          [
            ["runId", "uuid"],
            ["stepId", "text"],
            ["attempt", "int"],
            ["status", "text"],
            ["blockId", "text"],
            ["inputs", "jsonb"],
            ["output", "jsonb"],
            ["error", "jsonb"],
            ["classification", "jsonb"],
            ["idempotencyKey", "text"],
            ["consentId", "text"],
            time("startedAt"),
            time("finishedAt"),
            ["durationMs", "int"],
            time("retryAt"),
            ["finishSeq", "bigint"],
            ["workerId", "text"],
          ],
          attempts,
        );
        await insertRows(
          tx,
          "RunStepLog",
          [
            ["runId", "uuid"],
            ["firstSeq", "int"],
            ["attempts", "jsonb", `x."attempts"::json`],
            [
              "finishSeqs",
              "jsonb",
              `(SELECT array_agg(v::bigint ORDER BY n) FROM jsonb_array_elements_text(x."finishSeqs") WITH ORDINALITY AS e(v, n))`,
            ],
            ["events", "jsonb", `x."events"::json`],
          ],
          logs,
        );
        await insertRows(
          tx,
          "RunTask",
          [
            ["id", "uuid"],
            ["runId", "uuid"],
            ["stepId", "text"],
            ["kind", "text"],
            time("dueAt"),
            ["payload", "jsonb"],
            time("createdAt"),
            time("doneAt"),
          ],
          tasks,
        );
        await insertRows(
          tx,
          "DeadLetter",
          [
            ["id", "uuid"],
            ["runId", "uuid"],
            ["workspaceId", "uuid"],
            ["stepId", "text"],
            ["blockId", "text"],
            ["error", "jsonb"],
            ["inputs", "jsonb"],
            ["attempts", "int"],
            ["classification", "jsonb"],
            time("createdAt"),
          ],
          dead,
        );
        await insertRows(
          tx,
          "AgentUsage",
          [
            ["id", "uuid"],
            ["workspaceId", "uuid"],
            ["runId", "text"],
            ["stepId", "text"],
            ["attempt", "int"],
            ["flowName", "text"],
            ["model", "text"],
            ["tokensIn", "int"],
            ["tokensOut", "int"],
            ["costUsd", "numeric"],
            time("at"),
          ],
          usage,
        );
        await insertRows(
          tx,
          "RunFinding",
          [
            ["id", "uuid"],
            ["runId", "uuid"],
            ["workspaceId", "uuid"],
            ["kind", "text"],
            ["stepId", "text"],
            ["detail", "jsonb"],
            time("createdAt"),
          ],
          findings,
        );
        await ledger.appendBatch(tx, workspaceId, [...batch.ledger, marker]);
      });
    },
  };
}
