/**
 * A checkpoint as ONE SQL statement (data-modifying CTEs): atomic without an explicit
 * transaction, one round trip per side effect. A new run's statement (an inline run recorded at
 * its first durable point) may be gated by a guard and a trigger's claim: when either fails it
 * writes nothing at all. The parts are in `checkpoint-parts.ts`.
 */
import type { RunFinding } from "@/server/domain/run/ports";
import type { Checkpoint, CommitResult } from "@/server/engine/ports";
import type { RunStatus } from "@/server/engine/types";
import {
  consumeTasks,
  finishAttempt,
  insertAnswer,
  insertDeadLetters,
  insertFindings,
  insertStepLog,
  insertTasks,
  startAttempt,
  Statement,
  writeRun,
  type AttemptKey,
  type NewLeasedRun,
} from "./checkpoint-parts";
import type { JoinPart } from "./joined-statement";
import { irRef, parse, toAttempt, type IrRef, type Row } from "./sql-rows";

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
  /** A new run's IR reference (default: the key, with the text for `FlowIr`). */
  ir?: IrRef;
  /**
   * A new run reconciled as it is recorded: marked reconciled at `at` with its findings, when
   * the checkpoint ends it (see `reconcileWholeRun`).
   */
  reconciled?: { at: number; findings: RunFinding[] };
}

/** What a checkpoint's statement did; `guard`/`claimed` for a gated new run. */
export type WriteResult = CommitResult & { guard?: boolean; claimed?: boolean };

/** A built statement and how to read its one result row. */
export interface CheckpointStatement {
  text: string;
  values: unknown[];
  read(row: Row): WriteResult;
}

/**
 * A statement before it is joined: its CTEs (each `name AS (...)`), its result columns
 * (`[expression, alias]`), its parameters (`$1`...) and how to read its result row. Several
 * runs' statements are joined into one by `joinStatements` (`joined-statement.ts`).
 */
export type StatementPieces = JoinPart<WriteResult>;

/** Builds the statement of `cp` for run `runId` (`create`: the run is new, leased to `owner`). */
export function checkpointStatement(
  runId: string,
  owner: string | null,
  cp: Checkpoint,
  create?: NewLeasedRun,
  opts: WriteOptions = {},
): CheckpointStatement {
  const p = checkpointPieces(runId, owner, cp, create, opts);
  return {
    text: `WITH ${p.ctes.join(",\n")} SELECT ${p.selects.map(([e, a]) => `${e} AS ${a}`).join(", ")}`,
    values: p.values,
    read: p.read,
  };
}

/** {@link checkpointStatement}'s pieces, not joined yet. */
export function checkpointPieces(
  runId: string,
  owner: string | null,
  cp: Checkpoint,
  create?: NewLeasedRun,
  opts: WriteOptions = {},
): StatementPieces {
  const s = new Statement(runId, cp);
  // CTEs whose row counts the statement returns (for tests and logs reading the result).
  const counted: string[] = [];
  const parts = create && opts.parts ? opts.parts((v) => s.add(v)) : undefined;
  const { guardOk, gate } = gateCtes(s, parts);
  // A start and a finish of the same attempt in one checkpoint: one row, inserted finished.
  const merged =
    cp.start !== undefined &&
    cp.finish !== undefined &&
    cp.start.stepId === cp.finish.stepId &&
    cp.start.attempt === cp.finish.attempt;
  let startKey: AttemptKey | undefined;
  if (cp.start) startKey = startAttempt(s, cp.start, merged ? cp.finish : undefined);
  if (cp.finish) finishAttempt(s, cp.finish, merged ? startKey : undefined);
  if (cp.finish?.answer) insertAnswer(s, cp.finish, merged);
  const newTasks = cp.tasks ?? [];
  if (newTasks.length) counted.push(insertTasks(s, newTasks));
  if (cp.consumeTasks?.length) counted.push(consumeTasks(s));
  if (cp.deadLetters?.length) counted.push(insertDeadLetters(s, cp.deadLetters));
  const events = cp.events ?? [];
  const run = writeRun(
    s,
    owner,
    cp.run ?? {},
    events.length,
    newTasks,
    create && {
      run: create,
      ir: opts.ir ?? irRef(create.ir),
      ...(opts.reconciled && { reconciledAt: opts.reconciled.at }),
    },
  );
  if (create && opts.reconciled?.findings.length)
    counted.push(
      insertFindings(s, create.workspaceId, opts.reconciled.findings, opts.reconciled.at),
    );
  if (opts.advisoryLock) {
    s.ctes.push(
      `lk AS (SELECT pg_advisory_xact_lock(hashtext(${s.add(opts.advisoryLock)}::text)) AS l)`,
    );
    counted.push("lk");
  }
  if (parts?.ctes) s.ctes.push(...parts.ctes(gate));
  if (events.length || cp.attempts?.length)
    counted.push(insertStepLog(s, cp.attempts ?? [], events, run.nEvents));

  const selects: Array<[string, string]> = [
    [`(SELECT row_to_json(u) FROM upd_run u)::text`, "run"],
  ];
  if (parts) selects.push([guardOk, "guard_ok"], [gate, "claimed"]);
  if (cp.start) {
    selects.push([`(SELECT row_to_json(s) FROM ins_start s)::text`, "fresh_start"]);
    selects.push([`(SELECT row_to_json(s) FROM old_start s)::text`, "old_start"]);
  }
  if (cp.finish) {
    selects.push([`(SELECT row_to_json(f) FROM upd_finish f)::text`, "fresh_finish"]);
    if (!merged) selects.push([`(SELECT row_to_json(f) FROM old_finish f)::text`, "old_finish"]);
  }
  for (const name of counted) selects.push([`(SELECT count(*) FROM ${name})::int`, name]);
  return {
    ctes: s.ctes,
    selects,
    values: s.values,
    read: (row) => readResult(row, runId, owner, cp, Boolean(parts), merged),
  };
}

/**
 * A new run's statement may be gated: a guard (checked first), then a claim (the trigger's own
 * row); when either fails the statement writes nothing at all.
 */
function gateCtes(
  s: Statement,
  parts: StatementParts | undefined,
): { guardOk: string; gate: string } {
  if (parts?.guard) s.ctes.push(`g AS (SELECT coalesce((${parts.guard}), FALSE) AS ok)`);
  const guardOk = parts?.guard ? "(SELECT ok FROM g)" : "TRUE";
  let gate = guardOk;
  if (parts?.claim) {
    s.ctes.push(`claim AS (${parts.claim(guardOk)})`);
    s.ctes.push(`go AS (SELECT EXISTS (SELECT 1 FROM claim) AS ok)`);
    gate = "(SELECT ok FROM go)";
  }
  s.where = gate === "TRUE" ? "" : `WHERE ${gate}`;
  return { guardOk, gate };
}

/** The {@link CommitResult} of the statement's result row. */
function readResult(
  r: Row,
  runId: string,
  owner: string | null,
  cp: Checkpoint,
  gated: boolean,
  merged: boolean,
): WriteResult {
  if (gated && !(r.guard_ok && r.claimed))
    return { leaseHeld: false, runStatus: "queued", guard: Boolean(r.guard_ok), claimed: false };
  const runRow = parse(r.run) as { status: RunStatus; held: boolean } | null;
  if (!runRow) throw new Error(`run ${runId} not found`);
  const result: WriteResult = {
    leaseHeld: Boolean(runRow.held) && owner !== null,
    runStatus: runRow.status,
  };
  if (gated) Object.assign(result, { guard: true, claimed: true });
  if (cp.start) {
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
  } else if (cp.finish) {
    const fresh = parse(r.fresh_finish) as Row | null;
    result.finishedFirst = fresh !== null;
    const old = parse(r.old_finish) as Row | null;
    if (!fresh && !old)
      throw new Error(
        `attempt ${cp.finish.stepId}#${cp.finish.attempt} of run ${runId} was never started`,
      );
    result.finished = toAttempt((fresh ?? old) as Row);
  }
  return result;
}
