/**
 * The parts of a checkpoint's statement, one data-modifying CTE (or two) per part of a
 * {@link Checkpoint}: completed attempts, an attempt's start and finish, new and consumed tasks,
 * dead letters, the run row (lease-fenced) and the events. `checkpoint-statement.ts` puts them
 * together in the order PostgreSQL needs (a CTE reads only those before it).
 */
import { randomUUID } from "node:crypto";
import type { Checkpoint } from "@/server/engine/ports";
import { capAnswer } from "@/server/engine/recorded-answer";
import {
  TERMINAL_RUN_STATUSES,
  type AttemptFinish,
  type AttemptRecord,
  type AttemptStart,
  type DeadLetterRecord,
  type NewEvent,
  type NewRun,
  type NewTask,
  type RunStatus,
  type RunUpdate,
} from "@/server/engine/types";
import {
  ATTEMPT_COLS,
  TERMINAL,
  insertIrCte,
  iso,
  json,
  Params,
  storedInputs,
  ts,
  type IrRef,
} from "./sql-rows";

/** A new run's statement: created leased to its owner. */
export type NewLeasedRun = NewRun & { lease: { owner: string; expiresAt: number } };

/** A statement being built: its parameters, its CTEs and the gate its inserts pass. */
export class Statement {
  private readonly params = new Params();
  readonly ctes: string[] = [];
  /** The run id's placeholder. */
  readonly run: string;
  /** `WHERE <gate>` for the inserts of a gated statement, else empty. */
  where = "";
  private nowP: string | undefined;
  private consumedP: string | undefined;

  constructor(
    runId: string,
    private readonly cp: Checkpoint,
  ) {
    this.run = this.add(runId);
  }

  get values(): unknown[] {
    return this.params.values;
  }

  /** Binds a parameter; returns its placeholder. */
  add(v: unknown): string {
    return this.params.add(v);
  }

  /** The checkpoint's time (parameters PostgreSQL must type are added only where used). */
  now(): string {
    const cp = this.cp;
    return (this.nowP ??= `${this.add(cp.run?.finishedAt ?? cp.finish?.finishedAt ?? cp.events?.[0]?.at ?? 0)}::float8`);
  }

  /** The ids of the tasks the checkpoint consumes, as a jsonb array. */
  consumed(): string {
    return (this.consumedP ??= `${this.add(JSON.stringify(this.cp.consumeTasks ?? []))}::jsonb`);
  }
}

const ATTEMPT_INSERT_COLS = `"runId", "stepId", "attempt", "status", "blockId", "inputs", "output", "error", "classification",
      "idempotencyKey", "consentId", "startedAt", "finishedAt", "durationMs", "retryAt", "finishSeq", "workerId"`;

/** The placeholders of an attempt's (stepId, attempt). */
export type AttemptKey = [string, string];

/**
 * An attempt's start (`ins_start`, and `old_start`: the row as it was). With `finish` of the
 * same attempt (a side-effect step's one durable write) the row is inserted finished; a row
 * already there (a crashed worker's start) is finished by {@link finishAttempt} instead,
 * exactly as two checkpoints in a row would do.
 */
export function startAttempt(
  s: Statement,
  start: AttemptStart,
  finish?: AttemptFinish,
): AttemptKey {
  const step = s.add(start.stepId);
  const attempt = s.add(start.attempt);
  const fStatus = finish ? s.add(finish.status) : undefined;
  const values = finish
    ? `${fStatus}, ${s.add(start.blockId)}, ${s.add(json(storedInputs(start.inputs)))}::jsonb, ${s.add(json(finish.output ?? null))}::jsonb,
          ${s.add(json(finish.error ?? null))}::jsonb, ${s.add(json(finish.error?.classification ?? null))}::jsonb,
          ${s.add(start.idempotencyKey)}, ${s.add(start.consentId)}, ${ts(s.add(start.startedAt))},
          CASE WHEN ${fStatus} = 'waiting' THEN NULL ELSE ${ts(s.add(finish.finishedAt))} END,
          ${s.add(finish.durationMs ?? null)}::int, ${ts(s.add(iso(finish.retryAt)))},
          CASE WHEN ${fStatus} = 'waiting' THEN NULL ELSE nextval('"StepAttempt_finishSeq_seq"') END,
          ${s.add(start.workerId)}`
    : `'running', ${s.add(start.blockId)}, ${s.add(json(storedInputs(start.inputs)))}::jsonb, NULL, NULL, NULL,
          ${s.add(start.idempotencyKey)}, ${s.add(start.consentId)}, ${ts(s.add(start.startedAt))}, NULL, NULL, NULL, NULL, ${s.add(start.workerId)}`;
  s.ctes.push(`ins_start AS (
        INSERT INTO "StepAttempt" (${ATTEMPT_INSERT_COLS})
        SELECT ${s.run}::uuid, ${step}, ${attempt}::int, ${values} ${s.where}
        ON CONFLICT ("runId", "stepId", "attempt") DO NOTHING RETURNING ${ATTEMPT_COLS})`);
  s.ctes.push(`old_start AS (SELECT ${ATTEMPT_COLS} FROM "StepAttempt"
        WHERE "runId" = ${s.run}::uuid AND "stepId" = ${step} AND "attempt" = ${attempt}::int)`);
  return [step, attempt];
}

/**
 * An attempt's finish or park (`upd_finish`): applied to a running row, or to a waiting one
 * by a terminal result; a second terminal result changes nothing. Without a start in the same
 * statement (`merged` unset) `old_finish` reads the row as it was.
 */
export function finishAttempt(s: Statement, f: AttemptFinish, merged?: AttemptKey): void {
  const [step, attempt] = merged ?? [s.add(f.stepId), s.add(f.attempt)];
  const status = s.add(f.status);
  s.ctes.push(`upd_finish AS (
        UPDATE "StepAttempt" SET "status" = ${status}, "output" = ${s.add(json(f.output ?? null))}::jsonb,
          "error" = ${s.add(json(f.error ?? null))}::jsonb, "classification" = ${s.add(json(f.error?.classification ?? null))}::jsonb,
          "finishedAt" = CASE WHEN ${status} = 'waiting' THEN NULL ELSE ${ts(s.add(f.finishedAt))} END,
          "durationMs" = ${s.add(f.durationMs ?? null)}::int, "retryAt" = ${ts(s.add(iso(f.retryAt)))},
          "finishSeq" = CASE WHEN ${status} = 'waiting' THEN NULL ELSE nextval('"StepAttempt_finishSeq_seq"') END
        WHERE "runId" = ${s.run}::uuid AND "stepId" = ${step} AND "attempt" = ${attempt}::int
          AND ("status" = 'running' OR ("status" = 'waiting' AND ${status} <> 'waiting'))
        RETURNING ${ATTEMPT_COLS})`);
  if (!merged)
    s.ctes.push(`old_finish AS (SELECT ${ATTEMPT_COLS} FROM "StepAttempt"
        WHERE "runId" = ${s.run}::uuid AND "stepId" = ${step} AND "attempt" = ${attempt}::int)`);
}

/**
 * The finished attempt's recorded answer (issue 16), capped at 256 KB: inserted with the row
 * this statement finished (`upd_finish`, or `ins_start` when start and finish were merged),
 * nothing when another worker's result won.
 */
export function insertAnswer(s: Statement, f: AttemptFinish, merged: boolean): void {
  if (!f.answer || f.status === "waiting") return;
  const capped = capAnswer(f.answer.body);
  const from = merged
    ? `(SELECT "runId", "stepId", "attempt", "blockId" FROM ins_start
         UNION ALL SELECT "runId", "stepId", "attempt", "blockId" FROM upd_finish)`
    : `(SELECT "runId", "stepId", "attempt", "blockId" FROM upd_finish)`;
  s.ctes.push(`ins_answer AS (
        INSERT INTO "RecordedAnswer" ("runId", "stepId", "attempt", "kind", "blockId", "answer", "bytes", "truncated", "createdAt")
        SELECT f."runId"::uuid, f."stepId", f."attempt", ${s.add(f.answer.kind)}, f."blockId",
          ${s.add(json(capped.answer))}::jsonb, ${s.add(capped.bytes)}::int, ${s.add(capped.truncated)}::boolean,
          ${ts(s.add(f.finishedAt))}
        FROM ${from} f
        ON CONFLICT ("runId", "stepId", "attempt") DO NOTHING)`);
}

/** New tasks (retries, timers); an id already there is ignored. */
export function insertTasks(s: Statement, tasks: NewTask[]): "ins_tasks" {
  s.ctes.push(`ins_tasks AS (
        INSERT INTO "RunTask" ("id", "runId", "stepId", "kind", "dueAt", "payload", "createdAt")
        SELECT x."id"::uuid, ${s.run}::uuid, x."stepId", x."kind", ${ts('x."dueAt"')}, x."payload", ${ts('x."createdAt"')}
        FROM jsonb_to_recordset(${s.add(JSON.stringify(tasks.map((t) => ({ ...t, payload: t.payload ?? null }))))}::jsonb)
          AS x("id" text, "stepId" text, "kind" text, "dueAt" float8, "payload" jsonb, "createdAt" float8)
        ${s.where}
        ON CONFLICT ("id") DO NOTHING RETURNING 1)`);
  return "ins_tasks";
}

/** Tasks the engine applied: marked done at the checkpoint's time. */
export function consumeTasks(s: Statement): "done_tasks" {
  s.ctes.push(`done_tasks AS (
        UPDATE "RunTask" SET "doneAt" = ${ts(s.now())}
        WHERE "runId" = ${s.run}::uuid AND "doneAt" IS NULL
          AND "id"::text IN (SELECT jsonb_array_elements_text(${s.consumed()})) RETURNING 1)`);
  return "done_tasks";
}

/** Dead letters: one per (run, step). */
export function insertDeadLetters(s: Statement, deadLetters: DeadLetterRecord[]): "ins_dead" {
  s.ctes.push(`ins_dead AS (
        INSERT INTO "DeadLetter" ("id", "runId", "workspaceId", "stepId", "blockId", "error", "inputs", "attempts", "classification", "createdAt")
        SELECT x."id"::uuid, ${s.run}::uuid, x."workspaceId"::uuid, x."stepId", x."blockId", x."error", x."inputs", x."attempts",
          x."classification", ${ts('x."createdAt"')}
        FROM jsonb_to_recordset(${s.add(JSON.stringify(deadLetters.map((d) => ({ ...d, inputs: storedInputs(d.inputs) }))))}::jsonb)
          AS x("id" text, "workspaceId" text, "stepId" text, "blockId" text, "error" jsonb, "inputs" jsonb, "attempts" int,
            "classification" jsonb, "createdAt" float8)
        ${s.where}
        ON CONFLICT ("runId", "stepId") DO NOTHING RETURNING 1)`);
  return "ins_dead";
}

/**
 * The findings of a new run reconciled as it is recorded (`WriteOptions.reconciled`), inserted
 * with it when the statement's gate passes and the run ends in it.
 */
export function insertFindings(
  s: Statement,
  workspaceId: string,
  findings: ReadonlyArray<{ kind: string; stepId: string | null; detail: unknown }>,
  at: number,
): "ins_findings" {
  const rows = findings.map((f) => ({
    id: randomUUID(),
    kind: f.kind,
    stepId: f.stepId,
    detail: f.detail,
  }));
  s.ctes.push(`ins_findings AS (
        INSERT INTO "RunFinding" ("id", "runId", "workspaceId", "kind", "stepId", "detail", "createdAt")
        SELECT x."id", ${s.run}::uuid, ${s.add(workspaceId)}::uuid, x."kind", x."stepId", x."detail", ${ts(s.add(at))}
        FROM jsonb_to_recordset(${s.add(JSON.stringify(rows))}::jsonb)
          AS x("id" uuid, "kind" text, "stepId" text, "detail" jsonb)
        WHERE EXISTS (SELECT 1 FROM upd_run u WHERE u."status" IN ${TERMINAL})
        RETURNING 1)`);
  return "ins_findings";
}

/** What {@link writeRun} leaves for the parts after it. */
export interface RunPart {
  /** The placeholder of the number of events (the run's `eventSeq` grows by it). */
  nEvents: string;
}

/**
 * The run row (`o`: locked first, FOR UPDATE reads the latest version, so the lease check and
 * the event sequence are exact even while a signal or a cancel races with this commit; then
 * `upd_run`). Updates apply only while `owner` holds the lease and the run is not finished;
 * the event sequence always advances. A new run (`create`) is inserted with its first
 * checkpoint applied instead ({@link insertRun}).
 */
export function writeRun(
  s: Statement,
  owner: string | null,
  u: RunUpdate,
  nEvents: number,
  newTasks: NewTask[],
  creating?: { run: NewLeasedRun; ir: IrRef; reconciledAt?: number },
): RunPart {
  const nEventsP = s.add(nEvents);
  if (creating) {
    insertRun(s, owner, u, nEventsP, newTasks, creating);
    return { nEvents: nEventsP };
  }
  const ownerP = s.add(owner);
  const has = (v: unknown) => `${s.add(v !== undefined)}::boolean`;
  const statusP = s.add(u.status ?? null);
  const newTaskMin = newTasks.length ? Math.min(...newTasks.map((t) => t.dueAt)) : null;
  const held = `(o."leaseOwner" IS NOT NULL AND o."leaseOwner" = ${ownerP}::text)`;
  const apply = `(${held} AND o."status" NOT IN ${TERMINAL})`;
  const finalStatus = `(CASE WHEN ${apply} THEN coalesce(${statusP}::"RunStatus", o."status") ELSE o."status" END)`;
  const release = s.add(Boolean(u.release));
  // The run's current columns: the stored row.
  const cur = (col: string) => `r."${col}"`;
  const releasing = `(${held} AND (${release}::boolean OR ${finalStatus} IN ${TERMINAL}))`;
  const runSet: Array<[string, string]> = [
    ["eventSeq", `${cur("eventSeq")} + ${nEventsP}::int`],
    ["status", finalStatus],
    [
      "output",
      `CASE WHEN ${apply} AND ${has(u.output)} THEN ${s.add(json(u.output))}::jsonb ELSE ${cur("output")} END`,
    ],
    [
      "error",
      `CASE WHEN ${apply} AND ${has(u.error)} THEN ${s.add(json(u.error))}::jsonb ELSE ${cur("error")} END`,
    ],
    [
      "startedAt",
      `CASE WHEN ${apply} AND ${cur("startedAt")} IS NULL AND ${has(u.startedAt)} THEN ${ts(s.add(u.startedAt ?? null))} ELSE ${cur("startedAt")} END`,
    ],
    [
      "finishedAt",
      `CASE WHEN ${apply} AND ${has(u.finishedAt)} THEN ${ts(s.add(u.finishedAt ?? null))} ELSE ${cur("finishedAt")} END`,
    ],
    [
      "dueAt",
      `CASE
          WHEN ${apply} AND ${finalStatus} IN ${TERMINAL} THEN NULL
          WHEN ${apply} AND ${release}::boolean THEN (SELECT min(d) FROM (
              SELECT min(t."dueAt") AS d FROM "RunTask" t WHERE t."runId" = o."id" AND t."doneAt" IS NULL
                AND t."id"::text NOT IN (SELECT jsonb_array_elements_text(${s.consumed()}))
              UNION ALL SELECT ${ts(s.add(newTaskMin))}
              UNION ALL SELECT o."dueAt") AS due)
          ELSE ${cur("dueAt")} END`,
    ],
    ["leaseOwner", `CASE WHEN ${releasing} THEN NULL ELSE ${cur("leaseOwner")} END`],
    ["leaseExpiresAt", `CASE WHEN ${releasing} THEN NULL ELSE ${cur("leaseExpiresAt")} END`],
    ["updatedAt", `CASE WHEN ${apply} THEN now() ELSE ${cur("updatedAt")} END`],
  ];
  s.ctes.push(
    `o AS (SELECT "id", "leaseOwner", "status", "dueAt" FROM "Run" WHERE "id" = ${s.run}::uuid FOR UPDATE)`,
  );
  s.ctes.push(`upd_run AS (
      UPDATE "Run" r SET ${runSet.map(([k, v]) => `"${k}" = ${v}`).join(",\n        ")}
      FROM o WHERE r."id" = o."id"
      RETURNING r."eventSeq", r."status"::text AS status, ${held} AS held)`);
  return { nEvents: nEventsP };
}

/**
 * A new run inserted with its first checkpoint applied. Its row before the checkpoint is known
 * here (running, leased to `owner`, no output, no tasks of its own yet), so every column is
 * what {@link writeRun}'s update of a stored row would make of it, computed here and bound as a
 * value: a plain insert, gated like the rest of the statement (`o` has a row only when the
 * gate passed).
 */
function insertRun(
  s: Statement,
  owner: string | null,
  u: RunUpdate,
  nEventsP: string,
  newTasks: NewTask[],
  creating: { run: NewLeasedRun; ir: IrRef; reconciledAt?: number },
): void {
  const { run: c, ir } = creating;
  // The update applies while `owner` holds the lease, and a new run is not finished yet.
  const apply = owner !== null;
  const status: RunStatus = apply ? (u.status ?? "running") : "running";
  const ended = TERMINAL_RUN_STATUSES.has(status);
  const releasing = apply && (Boolean(u.release) || ended);
  // Its due time: the earliest of its new tasks when released unfinished (it has no older ones).
  const dueAt =
    apply && !ended && u.release && newTasks.length
      ? Math.min(...newTasks.map((t) => t.dueAt))
      : null;
  const when = (v: number | null | undefined) => ts(s.add(v ?? null));
  s.ctes.push(`o AS (SELECT ${s.run}::uuid AS "id" ${s.where})`);
  const cols: Array<[string, string]> = [
    ["id", `${s.run}::uuid`],
    ["workspaceId", `${s.add(c.workspaceId)}::uuid`],
    ["workflowId", `${s.add(c.workflowId)}::uuid`],
    ["version", `${s.add(c.version)}::text`],
    ["irHash", `${s.add(c.ir.hash)}::text`],
    // The IR by reference: stored once per distinct IR (`FlowIr`), not in every run row.
    ["irKey", `${s.add(ir.key)}::text`],
    ["inputs", `${s.add(JSON.stringify(c.inputs))}::jsonb`],
    ["parentRunId", `${s.add(c.parentRunId ?? null)}::uuid`],
    ["parentStepId", `${s.add(c.parentStepId ?? null)}::text`],
    ["idempotencyKey", `${s.add(c.idempotencyKey ?? null)}::text`],
    ["startedBy", `${s.add(c.startedBy ?? null)}::text`],
    ["createdAt", ts(s.add(c.now))],
    ["eventSeq", `${nEventsP}::int`],
    ["status", `${s.add(status)}::"RunStatus"`],
    ["output", `${s.add(apply && u.output !== undefined ? json(u.output) : null)}::jsonb`],
    ["error", `${s.add(apply && u.error !== undefined ? json(u.error) : null)}::jsonb`],
    ["startedAt", when(apply ? u.startedAt : null)],
    ["finishedAt", when(apply ? u.finishedAt : null)],
    ["dueAt", when(dueAt)],
    ["leaseOwner", `${s.add(releasing ? null : owner)}::text`],
    ["leaseExpiresAt", when(releasing ? null : c.lease.expiresAt)],
    ["updatedAt", "now()"],
  ];
  if (creating.reconciledAt !== undefined)
    // Reconciled as it is recorded (a run whole in its first checkpoint), if the run ends here.
    cols.push(["reconciledAt", when(ended ? creating.reconciledAt : null)]);
  const storeIr = insertIrCte(ir, (v) => s.add(v));
  if (storeIr) s.ctes.push(storeIr);
  s.ctes.push(`upd_run AS (
        INSERT INTO "Run" (${cols.map(([k]) => `"${k}"`).join(", ")})
        SELECT ${cols.map(([, v]) => v).join(",\n          ")} FROM o
        RETURNING "eventSeq", "status"::text AS status, TRUE AS held)`);
}

/**
 * The checkpoint's events and its completed attempts (pure results, skips, failures before a
 * runtime ran) as ONE `RunStepLog` row: pure steps are recomputed after a crash, so they need
 * no row of their own (`sql-step-log.ts` expands it on read). Events are numbered from the
 * run's new `eventSeq` down; each completed attempt takes its completion order (`finishSeq`)
 * from the same sequence as the attempt rows. A duplicate (same event key, same attempt) is
 * dropped on read, the first one recorded wins, as a unique key would have it.
 */
export function insertStepLog(
  s: Statement,
  attempts: AttemptRecord[],
  events: NewEvent[],
  nEvents: string,
): "ins_log" {
  const rows = attempts.map((a, i) => ({
    i: i + 1,
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
  }));
  const evs = events.map((e, i) => ({
    i: i + 1,
    type: e.type,
    stepId: e.stepId ?? null,
    data: e.data ?? null,
    key: e.key ?? null,
    at: e.at,
  }));
  const finishSeqs = attempts.length
    ? `(SELECT array_agg(nextval('"StepAttempt_finishSeq_seq"') ORDER BY g) FROM generate_series(1, ${s.add(attempts.length)}::int) g)`
    : "NULL::bigint[]";
  s.ctes.push(`ins_log AS (
        INSERT INTO "RunStepLog" ("runId", "firstSeq", "attempts", "finishSeqs", "events")
        SELECT ${s.run}::uuid, u."eventSeq" - ${nEvents}::int + 1, ${s.add(rows.length ? JSON.stringify(rows) : null)}::json,
          ${finishSeqs}, ${s.add(evs.length ? JSON.stringify(evs) : null)}::json
        FROM upd_run u
        RETURNING 1)`);
  return "ins_log";
}
