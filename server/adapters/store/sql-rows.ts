/**
 * The run store's SQL vocabulary: how times and JSON cross the driver, the column lists that
 * read runs, attempts and tasks back driver-independently (JSON as text, times as epoch
 * milliseconds), and the mapping of those rows to the engine's records.
 */
import { createHash } from "node:crypto";
import { redactUrlCredentials } from "@/server/engine/redact";
import type {
  AttemptRecord,
  DeadLetterRecord,
  RunRecord,
  RunStatus,
  TaskRecord,
} from "@/server/engine/types";

/** A row as the driver returns it. */
export type Row = Record<string, unknown>;

/** A timestamp column read as epoch milliseconds. */
export const ms = (col: string) => `round(extract(epoch from ${col}) * 1000)::float8`;
/** An epoch-milliseconds parameter written as a timestamp. */
export const ts = (param: string) => `to_timestamp((${param})::float8 / 1000.0)`;
export const iso = (v: number | null | undefined) => (v === null || v === undefined ? null : v);
export const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
/** Step inputs as stored: credentials inside URLs never reach the run's record (redact.ts). */
export const storedInputs = (v: unknown) => (v === undefined ? null : redactUrlCredentials(v));
export const parse = (v: unknown): unknown =>
  v === null || v === undefined ? null : typeof v === "string" ? JSON.parse(v) : v;
export const num = (v: unknown): number | null =>
  v === null || v === undefined ? null : Number(v);

const irTexts = new WeakMap<object, { text: string; key: string }>();
/**
 * A run's IR as stored: its JSON text and its key (SHA-256 hex of that text, spans included),
 * made once per IR object: a compiled flow is an immutable snapshot shared by every run started
 * from it (a webhook's flow comes from the compiled-flow cache), and a 100-step flow's IR is
 * about 58 KB of JSON.
 */
function storedIr(ir: object): { text: string; key: string } {
  let stored = irTexts.get(ir);
  if (stored === undefined) {
    const text = JSON.stringify(ir);
    stored = { text, key: createHash("sha256").update(text).digest("hex") };
    irTexts.set(ir, stored);
  }
  return stored;
}

/**
 * A new run's IR reference: the key its row stores (`Run.irKey`), and the IR's text for the
 * `FlowIr` row, or null when the connection `via` already wrote or found that row (the
 * statement then writes only the key). Runs store their IR once per distinct IR, not per run.
 */
export interface IrRef {
  key: string;
  text: string | null;
}

/**
 * The IR keys known to be stored, per query object of the store: a pool's (autocommit: a
 * successful statement is committed) for the process's life, a transaction's for its own.
 */
const storedIrKeys = new WeakMap<object, Set<string>>();

export function irRef(ir: object, via?: object): IrRef {
  const { text, key } = storedIr(ir);
  return { key, text: via && storedIrKeys.get(via)?.has(key) ? null : text };
}

/** Records that the statement that wrote `ref` through `via` succeeded. */
export function irWritten(via: object, ref: IrRef): void {
  if (ref.text === null) return;
  let keys = storedIrKeys.get(via);
  if (!keys) storedIrKeys.set(via, (keys = new Set()));
  keys.add(ref.key);
}

/**
 * The CTE that stores `ref`'s IR unless it is stored already (no row written, nothing
 * compressed or logged then); `add` binds a parameter. Null when `ref` carries no text.
 */
export function insertIrCte(ref: IrRef, add: (v: unknown) => string): string | null {
  if (ref.text === null) return null;
  const key = add(ref.key);
  return `ins_ir AS (INSERT INTO "FlowIr" ("key", "ir")
       SELECT ${key}::text, ${add(ref.text)}::text
       WHERE NOT EXISTS (SELECT 1 FROM "FlowIr" WHERE "key" = ${key}::text)
       ON CONFLICT ("key") DO NOTHING)`;
}

export const ACTIVE = `('queued', 'running', 'waiting')`;
export const TERMINAL = `('succeeded', 'failed', 'cancelled', 'compensated')`;

/** Collects positional parameters while a statement is built. */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** A run's IR as text: its own snapshot (runs recorded before `FlowIr`) or the one it references. */
const irCol = (a: string) =>
  `coalesce(${a}"ir"::text, (SELECT f."ir" FROM "FlowIr" f WHERE f."key" = ${a}"irKey"))`;

/** The run columns, read driver-independently; `a` is a table alias prefix (e.g. `r.`). */
export function runCols(a = "", dueAt = `${a}"dueAt"`, withIr = true): string {
  return `${a}"id"::text AS id, ${a}"workspaceId"::text AS "workspaceId", ${a}"workflowId"::text AS "workflowId",
  ${a}"version" AS version, ${a}"irHash" AS "irHash", ${withIr ? irCol(a) : "NULL::text"} AS ir, ${a}"status"::text AS status,
  ${a}"inputs"::text AS inputs, ${a}"output"::text AS output, ${a}"error"::text AS error,
  ${a}"parentRunId"::text AS "parentRunId", ${a}"parentStepId" AS "parentStepId", ${a}"idempotencyKey" AS "idempotencyKey",
  ${a}"startedBy" AS "startedBy", ${a}"startedByUserId"::text AS "startedByUserId", ${a}"leaseOwner" AS "leaseOwner", ${ms(`${a}"leaseExpiresAt"`)} AS "leaseExpiresAt",
  ${ms(dueAt)} AS "dueAt", ${ms(`${a}"createdAt"`)} AS "createdAt", ${ms(`${a}"startedAt"`)} AS "startedAt",
  ${ms(`${a}"finishedAt"`)} AS "finishedAt", ${ms(`${a}"updatedAt"`)} AS "updatedAt",
  ${a}"replayOfRunId"::text AS "replayOfRunId", ${a}"replayPlanHash" AS "replayPlanHash", ${a}"replayKeys"::text AS "replayKeys",
  ${a}"sandboxSessionId"::text AS "sandboxSessionId"`;
}
export const RUN_COLS = runCols();

export const ATTEMPT_COLS = `"runId"::text AS "runId", "stepId", "attempt", "status", "blockId", "inputs"::text AS inputs,
  "output"::text AS output, "error"::text AS error, "classification"::text AS classification, "idempotencyKey",
  "consentId", ${ms('"startedAt"')} AS "startedAt", ${ms('"finishedAt"')} AS "finishedAt", "durationMs",
  ${ms('"retryAt"')} AS "retryAt", "finishSeq"::float8 AS "finishSeq", "workerId"`;

export const TASK_COLS = `"id"::text AS id, "runId"::text AS "runId", "stepId", "kind", ${ms('"dueAt"')} AS "dueAt",
  "payload"::text AS payload, ${ms('"createdAt"')} AS "createdAt", ${ms('"doneAt"')} AS "doneAt"`;

export function toRun(r: Row): RunRecord {
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
    startedByUserId: (r.startedByUserId as string | null) ?? null,
    sandboxSessionId: (r.sandboxSessionId as string | null) ?? null,
    // A replay run's link (issue 15); null for every other run.
    replay: r.replayOfRunId
      ? {
          ofRunId: r.replayOfRunId as string,
          planHash: (r.replayPlanHash as string | null) ?? "",
          keys: (parse(r.replayKeys) ?? {}) as Record<string, string>,
        }
      : null,
    leaseOwner: (r.leaseOwner as string | null) ?? null,
    leaseExpiresAt: num(r.leaseExpiresAt),
    dueAt: num(r.dueAt),
    createdAt: num(r.createdAt)!,
    startedAt: num(r.startedAt),
    finishedAt: num(r.finishedAt),
    updatedAt: num(r.updatedAt)!,
  };
}

export function toAttempt(r: Row): AttemptRecord {
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

export function toTask(r: Row): TaskRecord {
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

/** The dead letter columns, read as {@link toDeadLetter} maps them. */
export const DEAD_LETTER_COLS = `"id"::text AS id, "runId"::text AS "runId", "workspaceId"::text AS "workspaceId", "stepId", "blockId",
  "error"::text AS error, "inputs"::text AS inputs, "attempts", "classification"::text AS classification,
  ${ms('"createdAt"')} AS "createdAt"`;

export function toDeadLetter(r: Row): DeadLetterRecord {
  return {
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
  };
}
