/**
 * Reading a run's attempts and events back: the rows of `StepAttempt` and `RunEvent` together
 * with the compact records of `RunStepLog` (one per checkpoint: its events and its pure steps'
 * attempts, `insertStepLog` in `checkpoint-parts.ts`), expanded to the same columns. Duplicates
 * are resolved as the unique keys of the row tables resolve them at insert: an attempt row
 * wins over a logged attempt of the same (step, attempt), the first logged one over later ones;
 * of the events with the same key, the first (lowest sequence number) is kept, the others leave
 * a gap in the sequence.
 */
import { ATTEMPT_COLS, ms } from "./sql-rows";

const COMPLETED = `('succeeded', 'failed', 'skipped')`;

/**
 * The attempts of run `$1` (rows and logged ones), in `ATTEMPT_COLS`'s columns; with `many`, of
 * every run in the uuid array `$1`.
 */
export function attemptsOfRun(many = false): string {
  const runs = many ? `= ANY($1::uuid[])` : `= $1::uuid`;
  return `SELECT ${ATTEMPT_COLS} FROM "StepAttempt" WHERE "runId" ${runs}
    UNION ALL
    SELECT * FROM (
      SELECT DISTINCT ON (l."runId", x."stepId", x."attempt") l."runId"::text AS "runId", x."stepId", x."attempt", x."status",
        x."blockId", x."inputs"::text AS inputs, x."output"::text AS output, x."error"::text AS error,
        x."classification"::text AS classification, x."idempotencyKey", x."consentId", x."startedAt",
        x."finishedAt", x."durationMs",
        x."retryAt", (CASE WHEN x."status" IN ${COMPLETED} THEN l."finishSeqs"[x."i"] END)::float8 AS "finishSeq",
        x."workerId"
      FROM "RunStepLog" l, json_to_recordset(l."attempts") AS x("i" int, "stepId" text, "attempt" int,
        "status" text, "blockId" text, "inputs" json, "output" json, "error" json, "classification" json,
        "idempotencyKey" text, "consentId" text, "startedAt" float8, "finishedAt" float8, "durationMs" int,
        "retryAt" float8, "workerId" text)
      WHERE l."runId" ${runs} AND l."attempts" IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM "StepAttempt" a
          WHERE a."runId" = l."runId" AND a."stepId" = x."stepId" AND a."attempt" = x."attempt")
      ORDER BY l."runId", x."stepId", x."attempt", l."id", x."i") logged`;
}

/** The events of run `$1` after sequence number `$2`, at most `$3`, in order. */
export const EVENTS_OF_RUN = `WITH ev AS (
    SELECT "seq", "type", "stepId", "data"::text AS data, "key", ${ms('"at"')} AS at
    FROM "RunEvent" WHERE "runId" = $1::uuid
    UNION ALL
    SELECT l."firstSeq" + x."i" - 1, x."type", x."stepId", x."data"::text, x."key", x."at"
    FROM "RunStepLog" l, json_to_recordset(l."events") AS x("i" int, "type" text, "stepId" text, "data" json,
      "key" text, "at" float8)
    WHERE l."runId" = $1::uuid AND l."events" IS NOT NULL
  ), kept AS (
    SELECT ev.*, CASE WHEN "key" IS NULL THEN 1 ELSE row_number() OVER (PARTITION BY "key" ORDER BY "seq") END AS nth
    FROM ev
  )
  SELECT $1::text AS "runId", "seq", "type", "stepId", data, at FROM kept
  WHERE nth = 1 AND "seq" > $2::int ORDER BY "seq" LIMIT $3::int`;

/**
 * The events of every run in the uuid array `$1`, at most `$2` per run (its first), ordered by
 * run and sequence number: {@link EVENTS_OF_RUN} for a batch (the reconciler's).
 */
export const EVENTS_OF_RUNS = `WITH ev AS (
    SELECT "runId", "seq", "type", "stepId", "data"::text AS data, "key", ${ms('"at"')} AS at
    FROM "RunEvent" WHERE "runId" = ANY($1::uuid[])
    UNION ALL
    SELECT l."runId", l."firstSeq" + x."i" - 1, x."type", x."stepId", x."data"::text, x."key", x."at"
    FROM "RunStepLog" l, json_to_recordset(l."events") AS x("i" int, "type" text, "stepId" text, "data" json,
      "key" text, "at" float8)
    WHERE l."runId" = ANY($1::uuid[]) AND l."events" IS NOT NULL
  ), kept AS (
    SELECT ev.*, CASE WHEN "key" IS NULL THEN 1 ELSE row_number() OVER (PARTITION BY "runId", "key" ORDER BY "seq") END AS nth
    FROM ev
  ), numbered AS (
    SELECT kept.*, row_number() OVER (PARTITION BY "runId" ORDER BY "seq") AS k FROM kept WHERE nth = 1
  )
  SELECT "runId"::text AS "runId", "seq", "type", "stepId", data, at FROM numbered
  WHERE k <= $2::int ORDER BY "runId", "seq"`;
