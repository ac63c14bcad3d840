/**
 * The reconciler's records on the app database (raw SQL on the driver): `RunFinding` rows and
 * `Run.reconciledAt`, the domain's {@link FindingStore}. Recording is ONE statement that claims
 * the run (`reconciledAt` set only while null) and inserts its findings only when the claim
 * succeeded, so any number of processes may reconcile: each run's findings are written once.
 */
import { randomUUID } from "node:crypto";
import type { FindingStore } from "@/server/domain/run/ports";
import type { SqlQuery } from "./sql-run-store";
import { ts } from "./sql-rows";

/** The {@link FindingStore} on `sql`. */
export function sqlFindingStore(sql: SqlQuery): FindingStore {
  return {
    async unreconciled(limit) {
      // The partial index `Run_unreconciled_idx` holds exactly these rows, by finishedAt.
      const rows = await sql.query<{ id: string }>(
        `SELECT id FROM "Run"
          WHERE "reconciledAt" IS NULL
            AND status IN ('succeeded', 'failed', 'cancelled', 'compensated')
          ORDER BY "finishedAt"
          LIMIT $1`,
        [limit],
      );
      return rows.map((r) => r.id);
    },
    async record(run, findings, at) {
      const rows = findings.map((f) => ({
        id: randomUUID(),
        kind: f.kind,
        stepId: f.stepId,
        detail: f.detail,
      }));
      const [r] = await sql.query<{ claimed: number | string }>(
        `WITH claimed AS (
           UPDATE "Run" SET "reconciledAt" = ${ts("$2")}
            WHERE id = $1 AND "reconciledAt" IS NULL
            RETURNING id, "workspaceId"
         ), inserted AS (
           INSERT INTO "RunFinding" (id, "runId", "workspaceId", kind, "stepId", detail, "createdAt")
           SELECT f.id, c.id, c."workspaceId", f.kind, f."stepId", f.detail, ${ts("$2")}
             FROM claimed c
            CROSS JOIN jsonb_to_recordset($3::jsonb) AS f(id uuid, kind text, "stepId" text, detail jsonb)
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM claimed)::int AS claimed, (SELECT count(*) FROM inserted)::int AS inserted`,
        [run.id, at, JSON.stringify(rows)],
      );
      return Number(r?.claimed ?? 0) > 0;
    },
  };
}
