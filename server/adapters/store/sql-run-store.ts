/**
 * The engine's {@link RunStore} on PostgreSQL and PGlite, in raw SQL. Every commit is ONE
 * statement (data-modifying CTEs), so a side-effect checkpoint costs one round trip and is
 * atomic without an explicit transaction. Claiming uses `FOR UPDATE SKIP LOCKED`.
 *
 * Rows are read back driver-independently: JSON as text (parsed here), times as epoch
 * milliseconds, so the pg pool, PGlite and Prisma's raw queries all yield the same records.
 */
import { redactUrlCredentials } from "@/server/engine/redact";
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
  RunStatus,
  TaskRecord,
} from "@/server/engine/types";
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

const ms = (col: string) => `round(extract(epoch from ${col}) * 1000)::float8`;
const ts = (param: string) => `to_timestamp((${param})::float8 / 1000.0)`;
const iso = (v: number | null | undefined) => (v === null || v === undefined ? null : v);
const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
/** Step inputs as stored: credentials inside URLs never reach the run's record (redact.ts). */
const storedInputs = (v: unknown) => (v === undefined ? null : redactUrlCredentials(v));
const parse = (v: unknown): unknown =>
  v === null || v === undefined ? null : typeof v === "string" ? JSON.parse(v) : v;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The run columns, read driver-independently; `a` is a table alias prefix (e.g. `r.`). */
function runCols(a = "", dueAt = `${a}"dueAt"`): string {
  return `${a}"id"::text AS id, ${a}"workspaceId"::text AS "workspaceId", ${a}"workflowId"::text AS "workflowId",
  ${a}"version" AS version, ${a}"irHash" AS "irHash", ${a}"ir"::text AS ir, ${a}"status"::text AS status,
  ${a}"inputs"::text AS inputs, ${a}"output"::text AS output, ${a}"error"::text AS error,
  ${a}"parentRunId"::text AS "parentRunId", ${a}"parentStepId" AS "parentStepId", ${a}"idempotencyKey" AS "idempotencyKey",
  ${a}"startedBy" AS "startedBy", ${a}"leaseOwner" AS "leaseOwner", ${ms(`${a}"leaseExpiresAt"`)} AS "leaseExpiresAt",
  ${ms(dueAt)} AS "dueAt", ${ms(`${a}"createdAt"`)} AS "createdAt", ${ms(`${a}"startedAt"`)} AS "startedAt",
  ${ms(`${a}"finishedAt"`)} AS "finishedAt", ${ms(`${a}"updatedAt"`)} AS "updatedAt"`;
}
const RUN_COLS = runCols();

const ATTEMPT_COLS = `"runId"::text AS "runId", "stepId", "attempt", "status", "blockId", "inputs"::text AS inputs,
  "output"::text AS output, "error"::text AS error, "classification"::text AS classification, "idempotencyKey",
  "consentId", ${ms('"startedAt"')} AS "startedAt", ${ms('"finishedAt"')} AS "finishedAt", "durationMs",
  ${ms('"retryAt"')} AS "retryAt", "finishSeq"::float8 AS "finishSeq", "workerId"`;

type Row = Record<string, unknown>;

function toRun(r: Row): RunRecord {
  return {
    id: r.id as string,
    workspaceId: r.workspaceId as string,
    workflowId: (r.workflowId as string | null) ?? null,
    version: (r.version as string | null) ?? null,
    irHash: r.irHash as string,
    ir: parse(r.ir) as RunRecord["ir"],
    status: r.status as RunStatus,
    inputs: (parse(r.inputs) ?? {}) as Record<string, unknown>,
    output: parse(r.output),
    error: parse(r.error) as RunRecord["error"],
    parentRunId: (r.parentRunId as string | null) ?? null,
    parentStepId: (r.parentStepId as string | null) ?? null,
    idempotencyKey: (r.idempotencyKey as string | null) ?? null,
    startedBy: (r.startedBy as string | null) ?? null,
    leaseOwner: (r.leaseOwner as string | null) ?? null,
    leaseExpiresAt: num(r.leaseExpiresAt),
    dueAt: num(r.dueAt),
    createdAt: num(r.createdAt)!,
    startedAt: num(r.startedAt),
    finishedAt: num(r.finishedAt),
    updatedAt: num(r.updatedAt)!,
  };
}

function toAttempt(r: Row): AttemptRecord {
  return {
    runId: r.runId as string,
    stepId: r.stepId as string,
    attempt: Number(r.attempt),
    status: r.status as AttemptRecord["status"],
    blockId: r.blockId as string,
    inputs: parse(r.inputs),
    output: parse(r.output),
    error: parse(r.error) as AttemptRecord["error"],
    classification: parse(r.classification) as AttemptRecord["classification"],
    idempotencyKey: r.idempotencyKey as string,
    consentId: (r.consentId as string | null) ?? null,
    startedAt: num(r.startedAt)!,
    finishedAt: num(r.finishedAt),
    durationMs: num(r.durationMs),
    retryAt: num(r.retryAt),
    finishSeq: num(r.finishSeq),
    workerId: (r.workerId as string | null) ?? null,
  };
}

function toTask(r: Row): TaskRecord {
  return {
    id: r.id as string,
    runId: r.runId as string,
    stepId: (r.stepId as string | null) ?? null,
    kind: r.kind as TaskRecord["kind"],
    dueAt: num(r.dueAt)!,
    payload: parse(r.payload),
    createdAt: num(r.createdAt)!,
    doneAt: num(r.doneAt),
  };
}

const TASK_COLS = `"id"::text AS id, "runId"::text AS "runId", "stepId", "kind", ${ms('"dueAt"')} AS "dueAt",
  "payload"::text AS payload, ${ms('"createdAt"')} AS "createdAt", ${ms('"doneAt"')} AS "doneAt"`;

/** Collects positional parameters while a statement is built. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

const ACTIVE = `('queued', 'running', 'waiting')`;
const TERMINAL = `('succeeded', 'failed', 'cancelled', 'compensated')`;

/** Extra parts of a new run's statement (see `SqlRunStore.createWithCheckpoint`). */
export interface StatementParts {
  /** A read-only condition, checked first; false: the statement writes nothing. */
  guard?: string;
  /**
   * The trigger's claim: an `INSERT ... SELECT ... WHERE <gate> ON CONFLICT DO NOTHING
   * RETURNING 1` given the guard's condition; no row: the statement writes nothing else.
   */
  claim?: (gate: string) => string;
  /** More data-modifying CTEs, written when the gate (guard and claim) passed. */
  ctes?: (gate: string) => string[];
}

/** Options of a new run's statement. */
export interface WriteOptions {
  /** A transaction-level advisory lock the statement takes. */
  advisoryLock?: string;
  /** Guard, claim and more CTEs; `add` binds a parameter and returns its placeholder. */
  parts?: (add: (v: unknown) => string) => StatementParts;
}

/** The SQL run store. */
export class SqlRunStore implements RunStore {
  constructor(private readonly sql: SqlQuery) {}

  async createRun(n: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    const rows = await this.sql.query<Row>(
      `INSERT INTO "Run" ("id", "workspaceId", "workflowId", "version", "irHash", "ir", "status", "inputs",
         "parentRunId", "parentStepId", "idempotencyKey", "startedBy", "dueAt", "createdAt", "updatedAt",
         "leaseOwner", "leaseExpiresAt")
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::jsonb,
         (CASE WHEN $13::text IS NULL THEN 'queued' ELSE 'running' END)::"RunStatus", $7::jsonb, $8::uuid, $9, $10, $11,
         CASE WHEN $13::text IS NULL THEN ${ts("$12")} END, ${ts("$12")}, ${ts("$12")}, $13, ${ts("$14")})
       ON CONFLICT ("workspaceId", "idempotencyKey") DO NOTHING
       RETURNING ${RUN_COLS}`,
      [
        n.id,
        n.workspaceId,
        n.workflowId,
        n.version,
        n.ir.hash,
        JSON.stringify(n.ir),
        JSON.stringify(n.inputs),
        n.parentRunId ?? null,
        n.parentStepId ?? null,
        n.idempotencyKey ?? null,
        n.startedBy ?? null,
        n.now,
        n.lease?.owner ?? null,
        n.lease?.expiresAt ?? null,
      ],
    );
    if (rows[0]) return { run: toRun(rows[0]), created: true };
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
      this.sql.query<Row>(`SELECT ${ATTEMPT_COLS} FROM "StepAttempt" WHERE "runId" = $1::uuid`, [
        runId,
      ]),
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
    create: NewRun & { lease: { owner: string; expiresAt: number } },
    cp: Checkpoint,
    opts: WriteOptions = {},
  ): Promise<CommitResult & { guard?: boolean; claimed?: boolean }> {
    return this.write(create.id, create.lease.owner, cp, create, opts);
  }

  private async write(
    runId: string,
    owner: string | null,
    cp: Checkpoint,
    create?: NewRun & { lease: { owner: string; expiresAt: number } },
    opts: WriteOptions = {},
  ): Promise<CommitResult & { guard?: boolean; claimed?: boolean }> {
    const p = new Params();
    const run = p.add(runId);
    const ctes: string[] = [];
    // A new run's statement may be gated: a guard (checked first), then a claim (the trigger's
    // own row); when either fails the statement writes nothing at all.
    const parts = create && opts.parts ? opts.parts((v) => p.add(v)) : undefined;
    if (parts?.guard) ctes.push(`g AS (SELECT coalesce((${parts.guard}), FALSE) AS ok)`);
    const guardOk = parts?.guard ? "(SELECT ok FROM g)" : "TRUE";
    let gate = guardOk;
    if (parts?.claim) {
      ctes.push(`claim AS (${parts.claim(guardOk)})`);
      ctes.push(`go AS (SELECT EXISTS (SELECT 1 FROM claim) AS ok)`);
      gate = "(SELECT ok FROM go)";
    }
    const where = gate === "TRUE" ? "" : `WHERE ${gate}`;
    // Parameters PostgreSQL must type are only added where a statement uses them.
    let nowP: string | undefined;
    const now = () =>
      (nowP ??= `${p.add(cp.run?.finishedAt ?? cp.finish?.finishedAt ?? cp.events?.[0]?.at ?? 0)}::float8`);
    let consumedP: string | undefined;
    const consumed = () => (consumedP ??= `${p.add(JSON.stringify(cp.consumeTasks ?? []))}::jsonb`);
    const attemptCols = `"runId", "stepId", "attempt", "status", "blockId", "inputs", "output", "error", "classification",
      "idempotencyKey", "consentId", "startedAt", "finishedAt", "durationMs", "retryAt", "finishSeq", "workerId"`;
    if (cp.attempts?.length) {
      const rows = cp.attempts.map((a) => ({
        ...a,
        inputs: storedInputs(a.inputs),
        output: a.output ?? null,
      }));
      ctes.push(`ins_attempts AS (
        INSERT INTO "StepAttempt" (${attemptCols})
        SELECT ${run}::uuid, x."stepId", x."attempt", x."status", x."blockId", x."inputs", x."output", x."error",
          x."classification", x."idempotencyKey", x."consentId", ${ts('x."startedAt"')}, ${ts('x."finishedAt"')},
          x."durationMs", ${ts('x."retryAt"')},
          CASE WHEN x."status" IN ('succeeded', 'failed', 'skipped') THEN nextval('"StepAttempt_finishSeq_seq"') END,
          x."workerId"
        FROM jsonb_to_recordset(${p.add(JSON.stringify(rows))}::jsonb) AS x("stepId" text, "attempt" int, "status" text,
          "blockId" text, "inputs" jsonb, "output" jsonb, "error" jsonb, "classification" jsonb, "idempotencyKey" text,
          "consentId" text, "startedAt" float8, "finishedAt" float8, "durationMs" int, "retryAt" float8, "workerId" text)
        ${where}
        ON CONFLICT ("runId", "stepId", "attempt") DO NOTHING RETURNING 1)`);
    }
    let startKey: [string, string] | undefined;
    let finishKey: [string, string] | undefined;
    // A start and a finish of the same attempt in one checkpoint (a side-effect step's one
    // durable write): the row is inserted finished; a row already there (a crashed worker's
    // start) is finished by the UPDATE instead, exactly as two checkpoints in a row would do.
    const merged =
      cp.start !== undefined &&
      cp.finish !== undefined &&
      cp.start.stepId === cp.finish.stepId &&
      cp.start.attempt === cp.finish.attempt;
    if (cp.start) {
      const s = cp.start;
      const step = p.add(s.stepId);
      const attempt = p.add(s.attempt);
      startKey = [step, attempt];
      const f = merged ? cp.finish! : undefined;
      const fStatus = f ? p.add(f.status) : undefined;
      const values = f
        ? `${fStatus}, ${p.add(s.blockId)}, ${p.add(json(storedInputs(s.inputs)))}::jsonb, ${p.add(json(f.output ?? null))}::jsonb,
          ${p.add(json(f.error ?? null))}::jsonb, ${p.add(json(f.error?.classification ?? null))}::jsonb,
          ${p.add(s.idempotencyKey)}, ${p.add(s.consentId)}, ${ts(p.add(s.startedAt))},
          CASE WHEN ${fStatus} = 'waiting' THEN NULL ELSE ${ts(p.add(f.finishedAt))} END,
          ${p.add(f.durationMs ?? null)}::int, ${ts(p.add(iso(f.retryAt)))},
          CASE WHEN ${fStatus} = 'waiting' THEN NULL ELSE nextval('"StepAttempt_finishSeq_seq"') END,
          ${p.add(s.workerId)}`
        : `'running', ${p.add(s.blockId)}, ${p.add(json(storedInputs(s.inputs)))}::jsonb, NULL, NULL, NULL,
          ${p.add(s.idempotencyKey)}, ${p.add(s.consentId)}, ${ts(p.add(s.startedAt))}, NULL, NULL, NULL, NULL, ${p.add(s.workerId)}`;
      ctes.push(`ins_start AS (
        INSERT INTO "StepAttempt" (${attemptCols})
        SELECT ${run}::uuid, ${step}, ${attempt}::int, ${values} ${where}
        ON CONFLICT ("runId", "stepId", "attempt") DO NOTHING RETURNING ${ATTEMPT_COLS})`);
      ctes.push(`old_start AS (SELECT ${ATTEMPT_COLS} FROM "StepAttempt"
        WHERE "runId" = ${run}::uuid AND "stepId" = ${step} AND "attempt" = ${attempt}::int)`);
    }
    if (cp.finish) {
      const f = cp.finish;
      const [step, attempt] = merged ? startKey! : [p.add(f.stepId), p.add(f.attempt)];
      const status = p.add(f.status);
      finishKey = [step, attempt];
      ctes.push(`upd_finish AS (
        UPDATE "StepAttempt" SET "status" = ${status}, "output" = ${p.add(json(f.output ?? null))}::jsonb,
          "error" = ${p.add(json(f.error ?? null))}::jsonb, "classification" = ${p.add(json(f.error?.classification ?? null))}::jsonb,
          "finishedAt" = CASE WHEN ${status} = 'waiting' THEN NULL ELSE ${ts(p.add(f.finishedAt))} END,
          "durationMs" = ${p.add(f.durationMs ?? null)}::int, "retryAt" = ${ts(p.add(iso(f.retryAt)))},
          "finishSeq" = CASE WHEN ${status} = 'waiting' THEN NULL ELSE nextval('"StepAttempt_finishSeq_seq"') END
        WHERE "runId" = ${run}::uuid AND "stepId" = ${step} AND "attempt" = ${attempt}::int
          AND ("status" = 'running' OR ("status" = 'waiting' AND ${status} <> 'waiting'))
        RETURNING ${ATTEMPT_COLS})`);
      if (!merged)
        ctes.push(`old_finish AS (SELECT ${ATTEMPT_COLS} FROM "StepAttempt"
        WHERE "runId" = ${run}::uuid AND "stepId" = ${step} AND "attempt" = ${attempt}::int)`);
    }
    const newTasks = cp.tasks ?? [];
    if (newTasks.length) {
      ctes.push(`ins_tasks AS (
        INSERT INTO "RunTask" ("id", "runId", "stepId", "kind", "dueAt", "payload", "createdAt")
        SELECT x."id"::uuid, ${run}::uuid, x."stepId", x."kind", ${ts('x."dueAt"')}, x."payload", ${ts('x."createdAt"')}
        FROM jsonb_to_recordset(${p.add(JSON.stringify(newTasks.map((t) => ({ ...t, payload: t.payload ?? null }))))}::jsonb)
          AS x("id" text, "stepId" text, "kind" text, "dueAt" float8, "payload" jsonb, "createdAt" float8)
        ${where}
        ON CONFLICT ("id") DO NOTHING RETURNING 1)`);
    }
    if (cp.consumeTasks?.length) {
      ctes.push(`done_tasks AS (
        UPDATE "RunTask" SET "doneAt" = ${ts(now())}
        WHERE "runId" = ${run}::uuid AND "doneAt" IS NULL
          AND "id"::text IN (SELECT jsonb_array_elements_text(${consumed()})) RETURNING 1)`);
    }
    if (cp.deadLetters?.length) {
      ctes.push(`ins_dead AS (
        INSERT INTO "DeadLetter" ("id", "runId", "workspaceId", "stepId", "blockId", "error", "inputs", "attempts", "classification", "createdAt")
        SELECT x."id"::uuid, ${run}::uuid, x."workspaceId"::uuid, x."stepId", x."blockId", x."error", x."inputs", x."attempts",
          x."classification", ${ts('x."createdAt"')}
        FROM jsonb_to_recordset(${p.add(JSON.stringify(cp.deadLetters.map((d) => ({ ...d, inputs: storedInputs(d.inputs) }))))}::jsonb)
          AS x("id" text, "workspaceId" text, "stepId" text, "blockId" text, "error" jsonb, "inputs" jsonb, "attempts" int,
            "classification" jsonb, "createdAt" float8)
        ${where}
        ON CONFLICT ("runId", "stepId") DO NOTHING RETURNING 1)`);
    }
    // The run row: locked first (FOR UPDATE reads the latest version), so the lease check and
    // the event sequence are exact even while a signal or a cancel races with this commit.
    const events = cp.events ?? [];
    const nEvents = p.add(events.length);
    const ownerP = p.add(owner);
    const u = cp.run ?? {};
    const has = (v: unknown) => `${p.add(v !== undefined)}::boolean`;
    const statusP = p.add(u.status ?? null);
    const newTaskMin = newTasks.length ? Math.min(...newTasks.map((t) => t.dueAt)) : null;
    const held = `(o."leaseOwner" IS NOT NULL AND o."leaseOwner" = ${ownerP}::text)`;
    const apply = `(${held} AND o."status" NOT IN ${TERMINAL})`;
    const finalStatus = `(CASE WHEN ${apply} THEN coalesce(${statusP}::"RunStatus", o."status") ELSE o."status" END)`;
    const release = p.add(Boolean(u.release));
    // The run's current columns: the stored row, or a new run's initial values.
    const cur = (col: string, initial: string | (() => string)) =>
      create ? (typeof initial === "string" ? initial : initial()) : `r."${col}"`;
    const releasing = `(${held} AND (${release}::boolean OR ${finalStatus} IN ${TERMINAL}))`;
    const runSet: Array<[string, string]> = [
      ["eventSeq", `${cur("eventSeq", "0")} + ${nEvents}::int`],
      ["status", finalStatus],
      [
        "output",
        `CASE WHEN ${apply} AND ${has(u.output)} THEN ${p.add(json(u.output))}::jsonb ELSE ${cur("output", "NULL")} END`,
      ],
      [
        "error",
        `CASE WHEN ${apply} AND ${has(u.error)} THEN ${p.add(json(u.error))}::jsonb ELSE ${cur("error", "NULL")} END`,
      ],
      [
        "startedAt",
        `CASE WHEN ${apply} AND ${cur("startedAt", "NULL")} IS NULL AND ${has(u.startedAt)} THEN ${ts(p.add(u.startedAt ?? null))} ELSE ${cur("startedAt", "NULL")} END`,
      ],
      [
        "finishedAt",
        `CASE WHEN ${apply} AND ${has(u.finishedAt)} THEN ${ts(p.add(u.finishedAt ?? null))} ELSE ${cur("finishedAt", "NULL")} END`,
      ],
      [
        "dueAt",
        `CASE
          WHEN ${apply} AND ${finalStatus} IN ${TERMINAL} THEN NULL
          WHEN ${apply} AND ${release}::boolean THEN (SELECT min(d) FROM (
              SELECT min(t."dueAt") AS d FROM "RunTask" t WHERE t."runId" = o."id" AND t."doneAt" IS NULL
                AND t."id"::text NOT IN (SELECT jsonb_array_elements_text(${consumed()}))
              UNION ALL SELECT ${ts(p.add(newTaskMin))}
              UNION ALL SELECT o."dueAt") AS due)
          ELSE ${cur("dueAt", "NULL")} END`,
      ],
      [
        "leaseOwner",
        `CASE WHEN ${releasing} THEN NULL ELSE ${cur("leaseOwner", `${ownerP}::text`)} END`,
      ],
      [
        "leaseExpiresAt",
        `CASE WHEN ${releasing} THEN NULL ELSE ${cur("leaseExpiresAt", () => ts(p.add(create!.lease.expiresAt)))} END`,
      ],
      ["updatedAt", `CASE WHEN ${apply} THEN now() ELSE ${cur("updatedAt", "now()")} END`],
    ];
    if (create) {
      const c = create;
      ctes.push(
        `o AS (SELECT ${run}::uuid AS "id", ${ownerP}::text AS "leaseOwner", 'running'::"RunStatus" AS "status",
          NULL::timestamp(3) AS "dueAt" ${where})`,
      );
      const cols: Array<[string, string]> = [
        ["id", `${run}::uuid`],
        ["workspaceId", `${p.add(c.workspaceId)}::uuid`],
        ["workflowId", `${p.add(c.workflowId)}::uuid`],
        ["version", `${p.add(c.version)}::text`],
        ["irHash", `${p.add(c.ir.hash)}::text`],
        ["ir", `${p.add(JSON.stringify(c.ir))}::jsonb`],
        ["inputs", `${p.add(JSON.stringify(c.inputs))}::jsonb`],
        ["parentRunId", `${p.add(c.parentRunId ?? null)}::uuid`],
        ["parentStepId", `${p.add(c.parentStepId ?? null)}::text`],
        ["idempotencyKey", `${p.add(c.idempotencyKey ?? null)}::text`],
        ["startedBy", `${p.add(c.startedBy ?? null)}::text`],
        ["createdAt", ts(p.add(c.now))],
        ...runSet,
      ];
      ctes.push(`upd_run AS (
        INSERT INTO "Run" (${cols.map(([k]) => `"${k}"`).join(", ")})
        SELECT ${cols.map(([, v]) => v).join(",\n          ")} FROM o
        RETURNING "eventSeq", "status"::text AS status, TRUE AS held)`);
    } else {
      ctes.push(
        `o AS (SELECT "id", "leaseOwner", "status", "dueAt" FROM "Run" WHERE "id" = ${run}::uuid FOR UPDATE)`,
      );
      ctes.push(`upd_run AS (
      UPDATE "Run" r SET ${runSet.map(([k, v]) => `"${k}" = ${v}`).join(",\n        ")}
      FROM o WHERE r."id" = o."id"
      RETURNING r."eventSeq", r."status"::text AS status, ${held} AS held)`);
    }
    if (opts.advisoryLock)
      ctes.push(
        `lk AS (SELECT pg_advisory_xact_lock(hashtext(${p.add(opts.advisoryLock)}::text)) AS l)`,
      );
    if (parts?.ctes) ctes.push(...parts.ctes(gate));
    if (events.length) {
      ctes.push(`ins_events AS (
        INSERT INTO "RunEvent" ("runId", "seq", "type", "stepId", "data", "key", "at")
        SELECT ${run}::uuid, u."eventSeq" - ${nEvents}::int + x."i", x."type", x."stepId", x."data", x."key", ${ts('x."at"')}
        FROM upd_run u, jsonb_to_recordset(${p.add(
          JSON.stringify(
            events.map((e, i) => ({
              i: i + 1,
              type: e.type,
              stepId: e.stepId ?? null,
              data: e.data ?? null,
              key: e.key ?? null,
              at: e.at,
            })),
          ),
        )}::jsonb)
          AS x("i" int, "type" text, "stepId" text, "data" jsonb, "key" text, "at" float8)
        ON CONFLICT ("runId", "key") DO NOTHING RETURNING 1)`);
    }
    const selects = [`(SELECT row_to_json(u) FROM upd_run u)::text AS run`];
    if (parts) selects.push(`${guardOk} AS guard_ok`, `${gate} AS claimed`);
    if (startKey) {
      selects.push(`(SELECT row_to_json(s) FROM ins_start s)::text AS fresh_start`);
      selects.push(`(SELECT row_to_json(s) FROM old_start s)::text AS old_start`);
    }
    if (finishKey) {
      selects.push(`(SELECT row_to_json(f) FROM upd_finish f)::text AS fresh_finish`);
      if (!merged) selects.push(`(SELECT row_to_json(f) FROM old_finish f)::text AS old_finish`);
    }
    for (const name of [
      "ins_attempts",
      "ins_tasks",
      "done_tasks",
      "ins_dead",
      "ins_events",
      "lk",
    ]) {
      if (ctes.some((c) => c.startsWith(`${name} AS`)))
        selects.push(`(SELECT count(*) FROM ${name})::int AS ${name}`);
    }
    const rows = await this.sql.query<Row>(
      `WITH ${ctes.join(",\n")} SELECT ${selects.join(", ")}`,
      p.values,
    );
    const r = rows[0]!;
    if (parts && !(r.guard_ok && r.claimed))
      return { leaseHeld: false, runStatus: "queued", guard: Boolean(r.guard_ok), claimed: false };
    const runRow = parse(r.run) as { status: RunStatus; held: boolean } | null;
    if (!runRow) throw new Error(`run ${runId} not found`);
    const result: CommitResult & { guard?: boolean; claimed?: boolean } = {
      leaseHeld: Boolean(runRow.held) && owner !== null,
      runStatus: runRow.status,
    };
    if (parts) Object.assign(result, { guard: true, claimed: true });
    if (startKey) {
      const fresh = parse(r.fresh_start) as Row | null;
      result.startedFresh = fresh !== null;
      result.started = toAttempt((fresh ?? parse(r.old_start)) as Row);
    }
    if (merged) {
      // Inserted finished, or the crashed worker's running row finished now, or (neither)
      // another worker's result, which the engine adopts.
      const fresh = (parse(r.fresh_start) ?? parse(r.fresh_finish)) as Row | null;
      result.finishedFirst = fresh !== null;
      result.finished = toAttempt((fresh ?? parse(r.old_start)) as Row);
    } else if (finishKey) {
      const fresh = parse(r.fresh_finish) as Row | null;
      result.finishedFirst = fresh !== null;
      const old = parse(r.old_finish) as Row | null;
      if (!fresh && !old)
        throw new Error(
          `attempt ${cp.finish!.stepId}#${cp.finish!.attempt} of run ${runId} was never started`,
        );
      result.finished = toAttempt((fresh ?? old) as Row);
    }
    return result;
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
      `SELECT ${ATTEMPT_COLS} FROM "StepAttempt" WHERE "runId" = $1::uuid ORDER BY "startedAt", "stepId", "attempt"`,
      [runId],
    );
    return rows.map(toAttempt);
  }

  async listEvents(runId: string, afterSeq = 0, limit = 1000): Promise<RunEventRecord[]> {
    const rows = await this.sql.query<Row>(
      `SELECT "runId"::text AS "runId", "seq", "type", "stepId", "data"::text AS data, ${ms('"at"')} AS at
       FROM "RunEvent" WHERE "runId" = $1::uuid AND "seq" > $2::int ORDER BY "seq" LIMIT $3::int`,
      [runId, afterSeq, limit],
    );
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
      `SELECT "id"::text AS id, "runId"::text AS "runId", "workspaceId"::text AS "workspaceId", "stepId", "blockId",
         "error"::text AS error, "inputs"::text AS inputs, "attempts", "classification"::text AS classification,
         ${ms('"createdAt"')} AS "createdAt"
       FROM "DeadLetter" WHERE ${where.join(" AND ")} ORDER BY "createdAt" DESC LIMIT ${p.add(f.limit ?? 100)}::int`,
      p.values,
    );
    return rows.map((r) => ({
      id: r.id as string,
      runId: r.runId as string,
      workspaceId: r.workspaceId as string,
      stepId: r.stepId as string,
      blockId: r.blockId as string,
      error: parse(r.error) as DeadLetterRecord["error"],
      inputs: parse(r.inputs),
      attempts: Number(r.attempts),
      classification: parse(r.classification) as DeadLetterRecord["classification"],
      createdAt: num(r.createdAt)!,
    }));
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
