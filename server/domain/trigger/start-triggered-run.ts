/**
 * Starting a run from a trigger (webhook delivery, schedule fire): the trigger's own record
 * (delivery, fire), the run and its `run.start` ledger entry commit in ONE transaction, so a
 * delivery is never accepted without its run, nor a run started without its record.
 */
import type { FlowIR } from "@/dsl/ir";
import type { SqlDriver } from "@/server/adapters/prisma/sql-driver";
import { appendAuditSql } from "@/server/adapters/store/sql-audit";
import { sqlFromPrisma, SqlRunStore, type SqlQuery } from "@/server/adapters/store/sql-run-store";
import { notifyRunDue } from "@/server/engine/notify";
import type { RunRecord } from "@/server/engine/types";
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
export async function startTriggeredRun(
  db: Db,
  t: TriggeredRun,
  claim: (q: SqlQuery) => Promise<boolean>,
  driver?: Pick<SqlDriver, "transaction">,
): Promise<RunRecord | null> {
  const body = async (
    q: SqlQuery,
    audit: (record: Parameters<typeof appendAuditSql>[2]) => Promise<unknown>,
  ) => {
    if (!(await claim(q))) return null;
    const { run } = await new SqlRunStore(q).createRun({
      id: t.runId,
      workspaceId: t.workspaceId,
      workflowId: t.workflowId,
      version: t.version,
      ir: t.ir,
      inputs: t.inputs,
      startedBy: t.startedBy,
      idempotencyKey: t.idempotencyKey ?? null,
      now: Date.now(),
    });
    await audit({
      action: "run.start",
      subjectType: "run",
      subjectId: run.id,
      payload: {
        workflowId: t.workflowId,
        flow: t.ir.name,
        version: t.version,
        irHash: t.ir.hash,
        draft: t.version === null,
        trigger: t.trigger,
      },
    });
    return run;
  };
  const actor = { workspaceId: t.workspaceId, label: t.startedBy, userId: null };
  const run = driver
    ? await driver.transaction((tx) => body(tx, (r) => appendAuditSql(tx, actor, r)))
    : await db.$transaction((tx: Tx) => body(sqlFromPrisma(tx), (r) => appendAudit(tx, actor, r)));
  if (run) notifyRunDue(run.id);
  return run;
}
