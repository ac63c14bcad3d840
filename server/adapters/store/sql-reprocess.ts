/**
 * The reprocess jobs' {@link ReprocessStore} on the raw SQL driver, inside the transaction the
 * `Transactor` hands out (`TxScope.reprocess`). Rows are read back driver-independently (JSON
 * as text, times as epoch milliseconds), like the run store's. The runner's claim is
 * `FOR UPDATE SKIP LOCKED`: two runners never take the same item.
 */
import type {
  DeadLetterState,
  DeadLetterStatus,
  ReprocessItemPatch,
  ReprocessItemRecord,
  ReprocessItemState,
  ReprocessJobPatch,
  ReprocessJobRecord,
  ReprocessJobState,
  ReprocessStore,
} from "@/server/domain/deadletter/types";
import { ms, num, parse, ts, type Row } from "./sql-rows";
import type { SqlQuery } from "./sql-run-store";

const JOB_COLS = `"id"::text AS id, "workspaceId"::text AS "workspaceId",
  "requesterId"::text AS "requesterId", "requesterLabel", "approvalId"::text AS "approvalId",
  "selection"::text AS selection, "planHash", "canary", "ratePerMinute", "stopOnFailure", "state",
  "stopReason", "total", "succeeded", "failed", "skipped", ${ms('"nextStartAt"')} AS "nextStartAt",
  ${ms('"createdAt"')} AS "createdAt", ${ms('"updatedAt"')} AS "updatedAt",
  ${ms('"finishedAt"')} AS "finishedAt"`;

const ITEM_COLS = `"id"::text AS id, "jobId"::text AS "jobId", "deadLetterId"::text AS "deadLetterId",
  "runId"::text AS "runId", "position", "planHash", "state", "replayRunId"::text AS "replayRunId",
  ${ms('"startedAt"')} AS "startedAt", ${ms('"finishedAt"')} AS "finishedAt", "error"`;

const bool = (v: unknown) => v === true || v === "t";

function toJob(r: Row): ReprocessJobRecord {
  return {
    id: r.id as string,
    workspaceId: r.workspaceId as string,
    requesterId: r.requesterId as string,
    requesterLabel: r.requesterLabel as string,
    approvalId: (r.approvalId as string | null) ?? null,
    selection: (parse(r.selection) ?? {}) as Record<string, unknown>,
    planHash: r.planHash as string,
    canary: Number(r.canary),
    ratePerMinute: Number(r.ratePerMinute),
    stopOnFailure: bool(r.stopOnFailure),
    state: r.state as ReprocessJobState,
    stopReason: (r.stopReason as string | null) ?? null,
    total: Number(r.total),
    succeeded: Number(r.succeeded),
    failed: Number(r.failed),
    skipped: Number(r.skipped),
    nextStartAt: num(r.nextStartAt),
    createdAt: num(r.createdAt)!,
    updatedAt: num(r.updatedAt)!,
    finishedAt: num(r.finishedAt),
  };
}

function toItem(r: Row): ReprocessItemRecord {
  return {
    id: r.id as string,
    jobId: r.jobId as string,
    deadLetterId: r.deadLetterId as string,
    runId: r.runId as string,
    position: Number(r.position),
    planHash: r.planHash as string,
    state: r.state as ReprocessItemState,
    replayRunId: (r.replayRunId as string | null) ?? null,
    startedAt: num(r.startedAt),
    finishedAt: num(r.finishedAt),
    error: (r.error as string | null) ?? null,
  };
}

/** `SET` clauses of a patch: column, SQL type cast (or timestamp), value. */
function setClauses(
  patch: Record<string, unknown>,
  types: Record<string, string>,
  first: number,
): { sql: string[]; values: unknown[] } {
  const sql: string[] = [];
  const values: unknown[] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const type = types[k];
    if (!type) throw new Error(`unknown column ${k}`);
    const p = `$${first + values.length}`;
    sql.push(`"${k}" = ${type === "timestamptz" ? ts(p) : `${p}::${type}`}`);
    values.push(v);
  }
  return { sql, values };
}

const JOB_TYPES: Record<keyof ReprocessJobPatch, string> = {
  state: "text",
  stopReason: "text",
  succeeded: "int",
  failed: "int",
  skipped: "int",
  nextStartAt: "timestamptz",
  finishedAt: "timestamptz",
};
const ITEM_TYPES: Record<keyof ReprocessItemPatch, string> = {
  state: "text",
  replayRunId: "uuid",
  startedAt: "timestamptz",
  finishedAt: "timestamptz",
  error: "text",
};

/** The reprocess store on one transaction. */
export class SqlReprocessStore implements ReprocessStore {
  constructor(private readonly sql: SqlQuery) {}

  async insertJob(
    job: Parameters<ReprocessStore["insertJob"]>[0],
    items: Parameters<ReprocessStore["insertJob"]>[1],
  ): Promise<void> {
    await this.sql.query(
      `INSERT INTO "ReprocessJob" ("id", "workspaceId", "requesterId", "requesterLabel",
         "approvalId", "selection", "planHash", "canary", "ratePerMinute", "stopOnFailure", "state",
         "stopReason", "total", "succeeded", "failed", "skipped", "createdAt", "updatedAt")
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5::uuid, $6::jsonb, $7, $8::int, $9::int,
         $10::boolean, $11, $12, $13::int, $14::int, $15::int, $16::int, ${ts("$17")}, ${ts("$17")})`,
      [
        job.id,
        job.workspaceId,
        job.requesterId,
        job.requesterLabel,
        job.approvalId,
        JSON.stringify(job.selection),
        job.planHash,
        job.canary,
        job.ratePerMinute,
        job.stopOnFailure,
        job.state,
        job.stopReason,
        job.total,
        job.succeeded,
        job.failed,
        job.skipped,
        job.createdAt,
      ],
    );
    if (!items.length) return;
    // One statement for every item (at most the job's bound).
    await this.sql.query(
      `INSERT INTO "ReprocessItem" ("id", "jobId", "deadLetterId", "runId", "position", "planHash")
       SELECT i.id, $1::uuid, i.dl, i.run, i.pos, i.hash
       FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::text[])
         AS i(id, dl, run, pos, hash)`,
      [
        job.id,
        items.map((i) => i.id),
        items.map((i) => i.deadLetterId),
        items.map((i) => i.runId),
        items.map((i) => i.position),
        items.map((i) => i.planHash),
      ],
    );
  }

  async lockJob(id: string, opts: { skipLocked?: boolean } = {}) {
    const rows = await this.sql.query<Row>(
      `SELECT ${JOB_COLS} FROM "ReprocessJob" WHERE "id" = $1::uuid
       FOR UPDATE${opts.skipLocked ? " SKIP LOCKED" : ""}`,
      [id],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async lockJobOfApproval(approvalId: string) {
    const rows = await this.sql.query<Row>(
      `SELECT ${JOB_COLS} FROM "ReprocessJob" WHERE "approvalId" = $1::uuid FOR UPDATE`,
      [approvalId],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async updateJob(id: string, patch: ReprocessJobPatch, now: number): Promise<void> {
    const set = setClauses(patch, JOB_TYPES, 3);
    await this.sql.query(
      `UPDATE "ReprocessJob" SET ${[...set.sql, `"updatedAt" = ${ts("$2")}`].join(", ")}
       WHERE "id" = $1::uuid`,
      [id, now, ...set.values],
    );
  }

  async activeJobIds(limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      `SELECT j."id"::text AS id FROM "ReprocessJob" j
       WHERE j."state" IN ('canary', 'running')
          OR (j."state" IN ('paused', 'stopped') AND EXISTS (SELECT 1 FROM "ReprocessItem" i
                WHERE i."jobId" = j."id" AND i."state" = 'running'))
          OR (j."state" = 'pending-approval' AND EXISTS (SELECT 1 FROM "Approval" a
                WHERE a."id" = j."approvalId" AND a."status" IN ('expired', 'voided')))
       ORDER BY j."updatedAt" LIMIT $1::int`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  async items(jobId: string, state: ReprocessItemState, limit: number) {
    const rows = await this.sql.query<Row>(
      `SELECT ${ITEM_COLS} FROM "ReprocessItem" WHERE "jobId" = $1::uuid AND "state" = $2
       ORDER BY "position" LIMIT $3::int`,
      [jobId, state, limit],
    );
    return rows.map(toItem);
  }

  async itemCounts(
    jobId: string,
    beforePosition: number | null,
  ): Promise<Record<ReprocessItemState, number>> {
    const rows = await this.sql.query<{ state: string; n: number }>(
      `SELECT "state", count(*)::int AS n FROM "ReprocessItem" WHERE "jobId" = $1::uuid
         AND ($2::int IS NULL OR "position" < $2::int)
       GROUP BY "state"`,
      [jobId, beforePosition],
    );
    const counts = { pending: 0, running: 0, succeeded: 0, failed: 0, skipped: 0 };
    for (const r of rows) counts[r.state as ReprocessItemState] = Number(r.n);
    return counts;
  }

  async claimNext(jobId: string, beforePosition: number | null) {
    const rows = await this.sql.query<Row>(
      `SELECT ${ITEM_COLS} FROM "ReprocessItem"
       WHERE "jobId" = $1::uuid AND "state" = 'pending'
         AND ($2::int IS NULL OR "position" < $2::int)
       ORDER BY "position" LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [jobId, beforePosition],
    );
    return rows[0] ? toItem(rows[0]) : null;
  }

  async setItem(id: string, from: ReprocessItemState, patch: ReprocessItemPatch) {
    const set = setClauses(patch, ITEM_TYPES, 3);
    if (!set.sql.length) return true;
    const rows = await this.sql.query(
      `UPDATE "ReprocessItem" SET ${set.sql.join(", ")}
       WHERE "id" = $1::uuid AND "state" = $2 RETURNING 1 AS ok`,
      [id, from, ...set.values],
    );
    return rows.length > 0;
  }

  async lockDeadLetter(id: string): Promise<DeadLetterState | null> {
    const rows = await this.sql.query<Row>(
      `SELECT "id"::text AS id, "workspaceId"::text AS "workspaceId", "runId"::text AS "runId",
         "stepId", "status", "reprocessedRunId"::text AS "reprocessedRunId"
       FROM "DeadLetter" WHERE "id" = $1::uuid FOR UPDATE`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id as string,
      workspaceId: r.workspaceId as string,
      runId: r.runId as string,
      stepId: r.stepId as string,
      status: r.status as DeadLetterStatus,
      reprocessedRunId: (r.reprocessedRunId as string | null) ?? null,
    };
  }

  async setDeadLetter(
    id: string,
    from: readonly DeadLetterStatus[],
    patch: { status: DeadLetterStatus; reprocessedRunId?: string | null },
  ) {
    const rows = await this.sql.query(
      `UPDATE "DeadLetter" SET "status" = $3,
         "reprocessedRunId" = CASE WHEN $4::boolean THEN $5::uuid ELSE "reprocessedRunId" END
       WHERE "id" = $1::uuid AND "status" = ANY($2::text[]) RETURNING 1 AS ok`,
      [
        id,
        [...from],
        patch.status,
        patch.reprocessedRunId !== undefined,
        patch.reprocessedRunId ?? null,
      ],
    );
    return rows.length > 0;
  }

  async discard(
    workspaceId: string,
    ids: readonly string[],
    by: { label: string; reason: string; at: number },
  ): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      `UPDATE "DeadLetter" SET "status" = 'discarded', "discardedAt" = ${ts("$3")},
         "discardedBy" = $4, "discardReason" = $5
       WHERE "workspaceId" = $1::uuid AND "id" = ANY($2::uuid[]) AND "status" = 'open'
       RETURNING "id"::text AS id`,
      [workspaceId, [...ids], by.at, by.label, by.reason],
    );
    return rows.map((r) => r.id);
  }

  async succeededReplayOf(runId: string): Promise<string | null> {
    const rows = await this.sql.query<{ id: string }>(
      `SELECT "id"::text AS id FROM "Run"
       WHERE "replayOfRunId" = $1::uuid AND "status" = 'succeeded'
       ORDER BY "createdAt" LIMIT 1`,
      [runId],
    );
    return rows[0]?.id ?? null;
  }

  async approvalStatus(approvalId: string): Promise<string | null> {
    const rows = await this.sql.query<{ status: string }>(
      `SELECT "status" FROM "Approval" WHERE "id" = $1::uuid`,
      [approvalId],
    );
    return rows[0]?.status ?? null;
  }
}
