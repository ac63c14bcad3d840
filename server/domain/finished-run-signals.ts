/**
 * What the consumers of finished runs (`./finished-runs.ts`: trust, anomaly, rollups, guardian)
 * read of a batch's runs besides their attempts: the dead letters they left, the reconciliation's
 * findings, and the agents' usage. One read function for all of them, each table read once per
 * batch (a statement a table asked for, in parallel), with the columns every consumer needs and
 * numbers as numbers (Postgres' `numeric` and PGlite's `bigint` arrive otherwise as strings).
 */
import type { Db } from "./types";

/** A dead letter a run left (one per step at most). */
export interface RunDeadLetter {
  id: string;
  runId: string;
  stepId: string;
  attempts: number;
}

/** A reconciliation finding of a run (`stepId` null: the run as a whole). */
export interface RunFindingRef {
  runId: string;
  stepId: string | null;
}

/** An agent step attempt's model usage. */
export interface RunUsage {
  runId: string;
  stepId: string;
  attempt: number;
  model: string;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** A batch's signals; a table not asked for reads as empty. */
export interface RunSignals {
  deadLetters: RunDeadLetter[];
  findings: RunFindingRef[];
  usage: RunUsage[];
}

/** Which tables to read. */
export interface RunSignalsWanted {
  deadLetters?: boolean;
  findings?: boolean;
  usage?: boolean;
}

const DEAD_LETTERS_SQL = `SELECT id::text AS id, "runId"::text AS "runId", "stepId", "attempts"
  FROM "DeadLetter" WHERE "runId" = ANY($1::uuid[])`;
const FINDINGS_SQL = `SELECT "runId"::text AS "runId", "stepId"
  FROM "RunFinding" WHERE "runId" = ANY($1::uuid[])`;
const USAGE_SQL = `SELECT "runId", "stepId", "attempt", "model", "tokensIn", "tokensOut",
       "costUsd"::float8 AS "costUsd"
  FROM "AgentUsage" WHERE "runId" = ANY($1::text[])`;

/**
 * The dead letters, findings and agent usage of the runs `ids` (the tables `want` names).
 *
 * @example
 * const { deadLetters, usage } = await readRunSignals(db, ids, { deadLetters: true, usage: true });
 */
export async function readRunSignals(
  db: Pick<Db, "$queryRawUnsafe">,
  ids: readonly string[],
  want: RunSignalsWanted,
): Promise<RunSignals> {
  const read = <T>(on: boolean | undefined, sql: string): Promise<T[]> =>
    on && ids.length ? db.$queryRawUnsafe<T[]>(sql, ids) : Promise.resolve([]);
  const [deadLetters, findings, usage] = await Promise.all([
    read<RunDeadLetter>(want.deadLetters, DEAD_LETTERS_SQL),
    read<RunFindingRef>(want.findings, FINDINGS_SQL),
    read<RunUsage>(want.usage, USAGE_SQL),
  ]);
  return {
    deadLetters: deadLetters.map((d) => ({ ...d, attempts: Number(d.attempts) })),
    findings,
    usage: usage.map((u) => ({
      ...u,
      attempt: Number(u.attempt),
      tokensIn: Number(u.tokensIn),
      tokensOut: Number(u.tokensOut),
      costUsd: Number(u.costUsd),
    })),
  };
}
