/**
 * The engine's {@link RunStore} on PostgreSQL and PGlite, in raw SQL. Every commit is ONE
 * statement (data-modifying CTEs), so a side-effect checkpoint costs one round trip and is
 * atomic without an explicit transaction. Claiming uses `FOR UPDATE SKIP LOCKED`.
 *
 * Rows are read back driver-independently: JSON as text (parsed here), times as epoch
 * milliseconds, so the pg pool, PGlite and Prisma's raw queries all yield the same records.
 */
import type {
  Checkpoint,
  ClaimOptions,
  CommitResult,
  RunFilter,
  RunState,
  RunStore,
} from "@/server/engine/ports";
import type {
  AttemptRecord,
  DeadLetterRecord,
  NewRun,
  NewTask,
  RunEventRecord,
  RunRecord,
  TaskRecord,
} from "@/server/engine/types";
import type { NewLeasedRun } from "./checkpoint-parts";
import { checkpointStatement, type WriteOptions, type WriteResult } from "./checkpoint-statement";
import { attemptsOfRun, EVENTS_OF_RUN } from "./sql-step-log";
import {
  ACTIVE,
  insertIrCte,
  irRef,
  irWritten,
  json,
  num,
  Params,
  parse,
  RUN_COLS,
  DEAD_LETTER_COLS,
  toDeadLetter,
  runCols,
  TASK_COLS,
  TERMINAL,
  toAttempt,
  toRun,
  toTask,
  ts,
  type Row,
} from "./sql-rows";
import type { PrismaClient } from "../prisma";
import type { SqlDriver } from "../prisma/sql-driver";

/** The one thing the store needs: parameterised queries returning rows. */
export interface SqlQuery {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** A {@link SqlQuery} over the raw driver (pg pool or PGlite): the fastest path. */
export function sqlFromDriver(driver: Pick<SqlDriver, "query">): SqlQuery {
  return { query: (sql, params) => driver.query(sql, params) };
}

/** A {@link SqlQuery} over a Prisma client or transaction (`$queryRawUnsafe`). */
export function sqlFromPrisma(db: Pick<PrismaClient, "$queryRawUnsafe">): SqlQuery {
  return {
    query: <T>(sql: string, params: unknown[] = []) => db.$queryRawUnsafe<T[]>(sql, ...params),
  };
}

export type { StatementParts, WriteOptions } from "./checkpoint-statement";

/** The SQL run store. */
export class SqlRunStore implements RunStore {
  constructor(private readonly sql: SqlQuery) {}

  async createRun(n: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    // The IR by reference (`Run.irKey`), stored once per distinct IR (`FlowIr`, in this
    // statement while this connection has not written or found it yet).
    const ir = irRef(n.ir, this.sql);
    const p = new Params();
    const values = [
      n.id,
      n.workspaceId,
      n.workflowId,
      n.version,
      n.ir.hash,
      ir.key,
      JSON.stringify(n.inputs),
      n.parentRunId ?? null,
      n.parentStepId ?? null,
      n.idempotencyKey ?? null,
      n.startedBy ?? null,
      n.now,
      n.lease?.owner ?? null,
      n.lease?.expiresAt ?? null,
      n.startedByUserId ?? null,
      n.replay?.ofRunId ?? null,
      n.replay?.planHash ?? null,
      n.replay ? JSON.stringify(n.replay.keys) : null,
      n.sandboxSessionId ?? null,
    ];
    for (const v of values) p.add(v);
    const storeIr = insertIrCte(ir, (v) => p.add(v));
    const rows = await this.sql.query<Row>(
      `${storeIr ? `WITH ${storeIr}\n       ` : ""}INSERT INTO "Run" ("id", "workspaceId", "workflowId", "version", "irHash", "irKey", "status", "inputs",
         "parentRunId", "parentStepId", "idempotencyKey", "startedBy", "dueAt", "createdAt", "updatedAt",
         "leaseOwner", "leaseExpiresAt", "startedByUserId", "replayOfRunId", "replayPlanHash", "replayKeys", "sandboxSessionId")
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::text,
         (CASE WHEN $13::text IS NULL THEN 'queued' ELSE 'running' END)::"RunStatus", $7::jsonb, $8::uuid, $9, $10, $11,
         CASE WHEN $13::text IS NULL THEN ${ts("$12")} END, ${ts("$12")}, ${ts("$12")}, $13, ${ts("$14")}, $15::uuid,
         $16::uuid, $17, $18::jsonb, $19::uuid)
       ON CONFLICT ("workspaceId", "idempotencyKey") DO NOTHING
       RETURNING ${runCols("", '"dueAt"', false)}`,
      p.values,
    );
    irWritten(this.sql, ir);
    // The new row's IR is the one given (the statement's FlowIr row is not visible to its own
    // RETURNING); an existing run (same idempotency key) is read back whole.
    if (rows[0]) return { run: { ...toRun(rows[0]), ir: n.ir }, created: true };
    const existing = await this.sql.query<Row>(
      `SELECT ${RUN_COLS} FROM "Run" WHERE "workspaceId" = $1::uuid AND "idempotencyKey" = $2`,
      [n.workspaceId, n.idempotencyKey],
    );
    return { run: toRun(existing[0]!), created: false };
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const rows = await this.sql.query<Row>(`SELECT ${RUN_COLS} FROM "Run" WHERE "id" = $1::uuid`, [
      id,
    ]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async listRuns(f: RunFilter): Promise<{ runs: RunRecord[]; nextCursor: string | null }> {
    const p = new Params();
    const where = [`"workspaceId" = ${p.add(f.workspaceId)}::uuid`];
    if (f.status?.length) where.push(`"status"::text = ANY(${p.add(f.status)}::text[])`);
    if (f.workflowId) where.push(`"workflowId" = ${p.add(f.workflowId)}::uuid`);
    if (f.version) where.push(`"version" = ${p.add(f.version)}`);
    if (f.parentRunId) where.push(`"parentRunId" = ${p.add(f.parentRunId)}::uuid`);
    if (f.from !== undefined) where.push(`"createdAt" >= ${ts(p.add(f.from))}`);
    if (f.to !== undefined) where.push(`"createdAt" < ${ts(p.add(f.to))}`);
    if (f.cursor) {
      const c = p.add(f.cursor);
      where.push(
        `("createdAt", "id") < (SELECT "createdAt", "id" FROM "Run" WHERE "id" = ${c}::uuid)`,
      );
    }
    const rows = await this.sql.query<Row>(
      `SELECT ${RUN_COLS} FROM "Run" WHERE ${where.join(" AND ")} ORDER BY "createdAt" DESC, "id" DESC LIMIT ${p.add(f.limit + 1)}::int`,
      p.values,
    );
    const runs = rows.slice(0, f.limit).map(toRun);
    return { runs, nextCursor: rows.length > f.limit ? runs.at(-1)!.id : null };
  }

  async claimRuns(o: ClaimOptions): Promise<RunRecord[]> {
    const p = new Params();
    const now = p.add(o.now);
    const limit = p.add(o.limit);
    const wsLimit = p.add(o.perWorkspaceLimit ?? 2_147_483_647);
    const rows = await this.sql.query<Row>(
      `WITH active AS (
         SELECT "workspaceId", count(*)::int AS n FROM "Run"
         WHERE "leaseExpiresAt" > ${ts(now)} AND "status" IN ${ACTIVE} GROUP BY 1
       ), cand AS (
         SELECT "id", "workspaceId", "dueAt", "createdAt" FROM "Run"
         WHERE "status" IN ${ACTIVE}
           AND (("dueAt" <= ${ts(now)}) OR ("dueAt" IS NULL AND "leaseOwner" IS NOT NULL))
           AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= ${ts(now)})
         ORDER BY "dueAt" NULLS FIRST, "createdAt"
         LIMIT (${limit}::int * 4)
         FOR UPDATE SKIP LOCKED
       ), ranked AS (
         SELECT c."id", c."dueAt", c."createdAt",
           row_number() OVER (PARTITION BY c."workspaceId" ORDER BY c."dueAt" NULLS FIRST, c."createdAt") + coalesce(a.n, 0) AS pos
         FROM cand c LEFT JOIN active a ON a."workspaceId" = c."workspaceId"
       ), pick AS (
         SELECT "id", "dueAt" AS "oldDue" FROM ranked WHERE pos <= ${wsLimit}::int
         ORDER BY "dueAt" NULLS FIRST, "createdAt" LIMIT ${limit}::int
       )
       UPDATE "Run" r SET "leaseOwner" = ${p.add(o.owner)}, "leaseExpiresAt" = ${ts(p.add(o.now + o.leaseMs))},
         "status" = 'running', "dueAt" = NULL, "updatedAt" = ${ts(now)}
       FROM pick WHERE r."id" = pick."id"
       RETURNING ${runCols("r.", 'pick."oldDue"')}`,
      p.values,
    );
    return rows.map(toRun);
  }

  async renewLease(runId: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE "Run" SET "leaseExpiresAt" = ${ts("$3")}
       WHERE "id" = $1::uuid AND "leaseOwner" = $2 AND "status" IN ${ACTIVE} RETURNING 1 AS ok`,
      [runId, owner, now + leaseMs],
    );
    return rows.length > 0;
  }

  async loadState(runId: string): Promise<RunState> {
    const [attempts, tasks] = await Promise.all([
      this.sql.query<Row>(attemptsOfRun(), [runId]),
      this.sql.query<Row>(
        `SELECT ${TASK_COLS} FROM "RunTask" WHERE "runId" = $1::uuid AND "doneAt" IS NULL`,
        [runId],
      ),
    ]);
    return { attempts: attempts.map(toAttempt), tasks: tasks.map(toTask) };
  }

  async commit(runId: string, owner: string | null, cp: Checkpoint): Promise<CommitResult> {
    return this.write(runId, owner, cp);
  }

  /**
   * Creates `create` (leased to `owner`) and applies its first checkpoint in ONE statement: an
   * inline run recorded at its first durable point. With `advisoryLock`, the statement also
   * takes that transaction-level lock (the caller's next statement sees what the lock's
   * previous holder committed). Call inside a transaction when more statements follow.
   */
  createWithCheckpoint(
    create: NewLeasedRun,
    cp: Checkpoint,
    opts: WriteOptions = {},
  ): Promise<WriteResult> {
    return this.write(create.id, create.lease.owner, cp, create, opts);
  }

  /** One checkpoint, one statement (`checkpoint-statement.ts`). */
  private async write(
    runId: string,
    owner: string | null,
    cp: Checkpoint,
    create?: NewLeasedRun,
    opts: WriteOptions = {},
  ): Promise<WriteResult> {
    // A caller that knows where the IR was stored passes its reference (and records it).
    const ir = create && !opts.ir ? irRef(create.ir, this.sql) : undefined;
    const st = checkpointStatement(runId, owner, cp, create, ir ? { ...opts, ir } : opts);
    const rows = await this.sql.query<Row>(st.text, st.values);
    if (ir) irWritten(this.sql, ir);
    return st.read(rows[0]!);
  }

  async signal(runId: string, task: NewTask): Promise<boolean> {
    const rows = await this.sql.query(
      `WITH r AS (
         UPDATE "Run" SET "status" = CASE WHEN "status" = 'waiting' THEN 'running'::"RunStatus" ELSE "status" END,
           "dueAt" = LEAST(coalesce("dueAt", ${ts("$5")}), ${ts("$5")}), "updatedAt" = now()
         WHERE "id" = $2::uuid AND "status" NOT IN ${TERMINAL} RETURNING "id"
       )
       INSERT INTO "RunTask" ("id", "runId", "stepId", "kind", "dueAt", "payload", "createdAt")
       SELECT $1::uuid, r."id", $3, $4, ${ts("$5")}, $6::jsonb, ${ts("$7")} FROM r
       RETURNING 1 AS ok`,
      [
        task.id,
        runId,
        task.stepId,
        task.kind,
        task.dueAt,
        json(task.payload ?? null),
        task.createdAt,
      ],
    );
    return rows.length > 0;
  }

  async cancelRun(runId: string, now: number, reason: string): Promise<RunRecord | null> {
    const error = {
      name: "Cancelled",
      message: reason,
      retryable: false,
      classification: { severity: "low", category: "system" },
    };
    await this.sql.query(
      `WITH c AS (
         UPDATE "Run" SET "status" = 'cancelled', "finishedAt" = ${ts("$2")}, "updatedAt" = ${ts("$2")}, "dueAt" = NULL,
           "error" = $3::jsonb, "eventSeq" = "eventSeq" + 1
         WHERE "id" = $1::uuid AND "status" NOT IN ${TERMINAL} RETURNING "id", "eventSeq"
       )
       INSERT INTO "RunEvent" ("runId", "seq", "type", "stepId", "data", "key", "at")
       SELECT c."id", c."eventSeq", 'run.cancelled', NULL, $4::jsonb, 'run.cancelled', ${ts("$2")} FROM c`,
      [runId, now, JSON.stringify(error), JSON.stringify({ reason })],
    );
    return this.getRun(runId);
  }

  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    const rows = await this.sql.query<Row>(
      `SELECT * FROM (${attemptsOfRun()}) a ORDER BY "startedAt", "stepId", "attempt"`,
      [runId],
    );
    return rows.map(toAttempt);
  }

  async listEvents(runId: string, afterSeq = 0, limit = 1000): Promise<RunEventRecord[]> {
    const rows = await this.sql.query<Row>(EVENTS_OF_RUN, [runId, afterSeq, limit]);
    return rows.map((r) => ({
      runId: r.runId as string,
      seq: Number(r.seq),
      type: r.type as string,
      stepId: (r.stepId as string | null) ?? null,
      data: parse(r.data),
      at: num(r.at)!,
    }));
  }

  async listTasks(runId: string): Promise<TaskRecord[]> {
    const rows = await this.sql.query<Row>(
      `SELECT ${TASK_COLS} FROM "RunTask" WHERE "runId" = $1::uuid ORDER BY "dueAt"`,
      [runId],
    );
    return rows.map(toTask);
  }

  async listDeadLetters(f: {
    workspaceId?: string;
    runId?: string;
    limit?: number;
  }): Promise<DeadLetterRecord[]> {
    const p = new Params();
    const where = ["TRUE"];
    if (f.workspaceId) where.push(`"workspaceId" = ${p.add(f.workspaceId)}::uuid`);
    if (f.runId) where.push(`"runId" = ${p.add(f.runId)}::uuid`);
    const rows = await this.sql.query<Row>(
      `SELECT ${DEAD_LETTER_COLS} FROM "DeadLetter" WHERE ${where.join(" AND ")} ORDER BY "createdAt" DESC LIMIT ${p.add(f.limit ?? 100)}::int`,
      p.values,
    );
    return rows.map(toDeadLetter);
  }

  async countDeadLetters(workspaceId?: string): Promise<number> {
    const rows = await this.sql.query<{ n: number }>(
      workspaceId
        ? `SELECT count(*)::int AS n FROM "DeadLetter" WHERE "workspaceId" = $1::uuid`
        : `SELECT count(*)::int AS n FROM "DeadLetter"`,
      workspaceId ? [workspaceId] : [],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async runDepth(runId: string, max: number): Promise<number> {
    // Follows parentRunId at most `max` levels up (a cycle or a long chain costs no more).
    const rows = await this.sql.query<{ depth: number | null }>(
      `WITH RECURSIVE up("parentRunId", depth) AS (
         SELECT "parentRunId", 0 FROM "Run" WHERE "id" = $1::uuid
         UNION ALL
         SELECT r."parentRunId", up.depth + 1 FROM up JOIN "Run" r ON r."id" = up."parentRunId"
         WHERE up.depth < $2::int)
       SELECT max(depth + CASE WHEN "parentRunId" IS NULL OR depth >= $2::int THEN 0 ELSE 1 END)::int AS depth FROM up`,
      [runId, max],
    );
    return Math.min(max, Number(rows[0]?.depth ?? 0));
  }

  async countActiveRuns(workspaceId: string, cap: number): Promise<number> {
    // Counted on the partial index of active runs, and never past `cap`.
    const rows = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM "Run"
         WHERE "workspaceId" = $1::uuid AND "status" IN ('queued', 'running', 'waiting')
         LIMIT $2::int) active`,
      [workspaceId, cap],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
