/**
 * The {@link WorkflowVersionReader} on the raw SQL driver, inside the transaction that hands it
 * out (`sqlTransactor`): an approved replay re-plans, reading the version it runs, in the
 * transaction that records the approval (PGlite has one connection: a read through another
 * client there would wait for that transaction forever).
 */
import type { StoredVersion, WorkflowVersionReader } from "@/server/domain/run/ports";
import type { SqlQuery } from "./sql-run-store";

/** Versions of live workflows, newest first by creation (`latest`) or by SemVer name. */
export function sqlVersionReader(sql: SqlQuery): WorkflowVersionReader {
  return {
    async find(workspaceId, workflowId, version) {
      const named = version !== "latest";
      const rows = await sql.query<StoredVersion>(
        `SELECT v."id"::text AS id, v."version" AS version, v."dsl" AS dsl
           FROM "WorkflowVersion" v JOIN "Workflow" w ON w."id" = v."workflowId"
          WHERE w."id" = $1::uuid AND w."workspaceId" = $2::uuid AND w."deletedAt" IS NULL
            ${named ? `AND v."version" = $3` : ""}
          ORDER BY v."createdAt" DESC LIMIT 1`,
        named ? [workflowId, workspaceId, version] : [workflowId, workspaceId],
      );
      return rows[0] ?? null;
    },
  };
}
