/**
 * The reconciler's records on the app database (raw SQL on the driver), the domain's
 * {@link FindingStore}. A batch of ended runs is read with four statements whatever its size
 * (runs, attempts, events, dead letters: `= ANY($1)`), and recorded with ONE statement that
 * claims each run (`reconciledAt` set only while null) and inserts the findings of the runs it
 * claimed, so any number of processes may reconcile: each run's findings are written once.
 */
import { randomUUID } from "node:crypto";
import type { FindingStore, ReconcileSubject } from "@/server/domain/run/ports";
import type { SqlQuery } from "./sql-run-store";
import {
  DEAD_LETTER_COLS,
  num,
  parse,
  RUN_COLS,
  TERMINAL,
  toAttempt,
  toDeadLetter,
  toRun,
  ts,
  type Row,
} from "./sql-rows";
import { attemptsOfRun, EVENTS_OF_RUNS } from "./sql-step-log";

/** Groups rows by their `runId` column. */
function byRun<T>(rows: Row[], map: (r: Row) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const id = r.runId as string;
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push(map(r));
  }
  return out;
}

/** The {@link FindingStore} on `sql`. */
export function sqlFindingStore(sql: SqlQuery): FindingStore {
  const store: FindingStore = {
    async unreconciled(limit) {
      // The partial index `Run_unreconciled_idx` holds exactly these rows, by finishedAt.
      const rows = await sql.query<{ id: string }>(
        `SELECT id FROM "Run"
          WHERE "reconciledAt" IS NULL
            AND status IN ${TERMINAL}
          ORDER BY "finishedAt"
          LIMIT $1`,
        [limit],
      );
      return rows.map((r) => r.id);
    },
    async load(ids, eventLimit) {
      if (!ids.length) return [];
      // Sequential: PGlite (the tests' database) has a single connection.
      const runs = await sql.query<Row>(
        `SELECT ${RUN_COLS} FROM "Run" WHERE "id" = ANY($1::uuid[]) AND status IN ${TERMINAL}`,
        [ids],
      );
      if (!runs.length) return [];
      const found = runs.map((r) => r.id as string);
      const attempts = byRun(
        await sql.query<Row>(
          `SELECT * FROM (${attemptsOfRun(true)}) a ORDER BY "runId", "startedAt", "stepId", "attempt"`,
          [found],
        ),
        toAttempt,
      );
      const events = byRun(await sql.query<Row>(EVENTS_OF_RUNS, [found, eventLimit]), (r) => ({
        runId: r.runId as string,
        seq: Number(r.seq),
        type: r.type as string,
        stepId: (r.stepId as string | null) ?? null,
        data: parse(r.data),
        at: num(r.at)!,
      }));
      const deadLetters = byRun(
        await sql.query<Row>(
          `SELECT ${DEAD_LETTER_COLS} FROM "DeadLetter" WHERE "runId" = ANY($1::uuid[]) ORDER BY "createdAt" DESC`,
          [found],
        ),
        toDeadLetter,
      );
      return runs.map((r): ReconcileSubject => {
        const run = toRun(r);
        return {
          run,
          attempts: attempts.get(run.id) ?? [],
          events: events.get(run.id) ?? [],
          deadLetters: deadLetters.get(run.id) ?? [],
        };
      });
    },
    async recordMany(items, at) {
      if (!items.length) return new Set();
      const findings = items.flatMap(({ run, findings }) =>
        findings.map((f) => ({
          id: randomUUID(),
          runId: run.id,
          kind: f.kind,
          stepId: f.stepId,
          detail: f.detail,
        })),
      );
      const rows = await sql.query<{ id: string }>(
        `WITH claimed AS (
           UPDATE "Run" SET "reconciledAt" = ${ts("$2")}
            WHERE id = ANY($1::uuid[]) AND "reconciledAt" IS NULL
            RETURNING id, "workspaceId"
         ), inserted AS (
           INSERT INTO "RunFinding" (id, "runId", "workspaceId", kind, "stepId", detail, "createdAt")
           SELECT f.id, c.id, c."workspaceId", f.kind, f."stepId", f.detail, ${ts("$2")}
             FROM jsonb_to_recordset($3::jsonb) AS f(id uuid, "runId" uuid, kind text, "stepId" text, detail jsonb)
             JOIN claimed c ON c.id = f."runId"
           RETURNING 1
         )
         SELECT id::text AS id FROM claimed`,
        [items.map((i) => i.run.id), at, JSON.stringify(findings)],
      );
      return new Set(rows.map((r) => r.id));
    },
    async record(run, findings, at) {
      return (await store.recordMany([{ run, findings }], at)).has(run.id);
    },
  };
  return store;
}
