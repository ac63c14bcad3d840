/**
 * A TEST DOUBLE for chaos tests: the `crm.contact.update` block (a write) replaced by a runtime
 * that records each call, with its idempotency key, into the `ChaosSideEffect` table instead of
 * calling a CRM. Re-executions after a crash show up as extra rows with the same key; a real
 * remote system would deduplicate them by that key.
 */
import type { RuntimeRegistry } from "@/server/engine/ports";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import type { SqlQuery } from "../../store/sql-run-store";

/** The write block the double stands in for. */
export const RECORDED_BLOCK = "crm.contact.update";

/** Creates the side-effect table (tests only; not a migration). */
export async function createSideEffectTable(sql: SqlQuery): Promise<void> {
  await sql.query(`CREATE TABLE IF NOT EXISTS "ChaosSideEffect" (
    "id" BIGSERIAL PRIMARY KEY, "runId" UUID NOT NULL, "stepId" TEXT NOT NULL, "attempt" INT NOT NULL,
    "idempotencyKey" TEXT NOT NULL, "workerId" TEXT NOT NULL, "at" TIMESTAMPTZ NOT NULL DEFAULT now())`);
}

/** Built-in runtimes plus the recording double for {@link RECORDED_BLOCK}. */
export function recordingWriteRuntimes(
  sql: SqlQuery,
  workerId: string,
  delayMs: () => number,
): RuntimeRegistry {
  const builtin = builtinRuntimes();
  const recorder = {
    async execute(req: Parameters<NonNullable<ReturnType<RuntimeRegistry["get"]>>["execute"]>[0]) {
      await sql.query(
        `INSERT INTO "ChaosSideEffect" ("runId", "stepId", "attempt", "idempotencyKey", "workerId")
         VALUES ($1::uuid, $2, $3, $4, $5)`,
        [req.run.id, req.step.id, req.attempt, req.idempotencyKey, workerId],
      );
      // Time after the effect and before the durable finish: a kill here forces a re-execution.
      const d = delayMs();
      if (d > 0) await new Promise((r) => setTimeout(r, d));
      return { id: String(req.inputs.id), updatedAt: new Date().toISOString() };
    },
  };
  return { get: (blockId) => (blockId === RECORDED_BLOCK ? recorder : builtin.get(blockId)) };
}
