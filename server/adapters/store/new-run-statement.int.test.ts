import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import type { Checkpoint } from "@/server/engine/ports";
import { emptyWebhookIr } from "@/server/testing/flow-ir";
import { openTestDatabase } from "@/server/testing/test-database";
import { checkpointPieces } from "./checkpoint-statement";
import { joinStatements } from "./joined-statement";
import { SqlRunStore, sqlFromDriver } from "./sql-run-store";

/**
 * A new run recorded with its first checkpoint (`createWithCheckpoint`: the inline path, whose
 * run columns are computed before the statement) stores exactly what the same checkpoint makes
 * of the same run already stored, leased to the same owner (`createRun` + `commit`: the update
 * of a stored row, computed by the statement).
 */
let db: Database;
let store: SqlRunStore;
let workspaceId: string;
beforeAll(async () => {
  db = await openTestDatabase();
  store = new SqlRunStore(sqlFromDriver(db.driver));
  workspaceId = randomUUID();
  await db.driver.query(`INSERT INTO "Workspace" ("id", "slug", "name") VALUES ($1, $2, 'nr')`, [
    workspaceId,
    `nr-${workspaceId}`,
  ]);
});
afterAll(() => db?.close());

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const OWNER = "worker-1";
const ir = emptyWebhookIr("first-checkpoint");

const newRun = () => ({
  id: randomUUID(),
  workspaceId,
  workflowId: null,
  version: "1.0.0",
  ir,
  inputs: { n: 1 },
  startedBy: "webhook:first-checkpoint",
  now: T0,
  lease: { owner: OWNER, expiresAt: T0 + 30_000 },
});

const timer = (runId: string, dueAt: number) => ({
  id: randomUUID(),
  runId,
  stepId: "wait",
  kind: "timer" as const,
  dueAt,
  payload: {},
  createdAt: T0,
});

/** The first checkpoints compared, by what the engine commits first. */
const CHECKPOINTS: Array<[string, (runId: string) => Checkpoint]> = [
  [
    "a run that succeeds",
    () => ({
      events: [{ type: "run.started", at: T0 }],
      run: {
        status: "succeeded",
        output: { ok: true },
        startedAt: T0,
        finishedAt: T0 + 5,
        release: true,
      },
    }),
  ],
  [
    "a run that fails",
    () => ({
      run: {
        status: "failed",
        error: { name: "Boom", message: "it broke" },
        startedAt: T0,
        finishedAt: T0 + 7,
        release: true,
      },
    }),
  ],
  ["a run whose output is null", () => ({ run: { status: "succeeded", output: null } })],
  [
    "a run that waits on timers, released",
    (runId) => ({
      tasks: [timer(runId, T0 + 9_000), timer(runId, T0 + 4_000)],
      run: { status: "waiting", startedAt: T0, release: true },
    }),
  ],
  [
    "a run that waits on timers, kept leased",
    (runId) => ({
      tasks: [timer(runId, T0 + 4_000)],
      run: { status: "waiting", startedAt: T0 },
    }),
  ],
  ["a run still running, released", () => ({ run: { startedAt: T0, release: true } })],
  ["a run still running, leased", () => ({ events: [{ type: "run.started", at: T0 }] })],
];

async function row(runId: string) {
  const [r] = await db.driver.query<Record<string, unknown>>(
    `SELECT "status"::text AS status, "output"::text AS output, "error"::text AS error,
       "eventSeq", "leaseOwner",
       (extract(epoch FROM "startedAt") * 1000)::float8 AS "startedAt",
       (extract(epoch FROM "finishedAt") * 1000)::float8 AS "finishedAt",
       (extract(epoch FROM "dueAt") * 1000)::float8 AS "dueAt",
       (extract(epoch FROM "leaseExpiresAt") * 1000)::float8 AS "leaseExpiresAt",
       (extract(epoch FROM "reconciledAt") * 1000)::float8 AS "reconciledAt",
       "reconciledAt" IS NULL AS unreconciled
     FROM "Run" WHERE "id" = $1::uuid`,
    [runId],
  );
  return r!;
}

describe("a new run's first checkpoint", () => {
  for (const [name, cpOf] of CHECKPOINTS)
    it(`stores what the checkpoint makes of a stored run: ${name}`, async () => {
      const stored = newRun();
      await store.createRun(stored);
      const viaUpdate = await store.commit(stored.id, OWNER, cpOf(stored.id));

      const inline = newRun();
      const viaInsert = await store.createWithCheckpoint(inline, cpOf(inline.id), {
        reconciled: { at: T0 + 100, findings: [] },
      });

      expect(viaInsert).toEqual(viaUpdate);
      const { reconciledAt, unreconciled: _, ...inserted } = await row(inline.id);
      const { reconciledAt: none, unreconciled, ...updated } = await row(stored.id);
      expect(inserted).toEqual(updated);
      expect([none, unreconciled]).toEqual([null, true]);
      // Reconciled as it is recorded only when the checkpoint ends it.
      const ended = ["succeeded", "failed"].includes(String(inserted.status));
      expect(reconciledAt).toBe(ended ? T0 + 100 : null);
    });
});

describe("new runs' first checkpoints joined into one statement", () => {
  it("store and answer what each one's own statement stores and answers", async () => {
    const alone = await Promise.all(
      CHECKPOINTS.map(async ([, cpOf]) => {
        const run = newRun();
        const result = await store.createWithCheckpoint(run, cpOf(run.id), {
          reconciled: { at: T0 + 100, findings: [] },
        });
        return { result, row: await row(run.id) };
      }),
    );

    const runs = CHECKPOINTS.map(() => newRun());
    const joined = joinStatements(
      runs.map((run, i) =>
        checkpointPieces(run.id, OWNER, CHECKPOINTS[i]![1](run.id), run, {
          reconciled: { at: T0 + 100, findings: [] },
        }),
      ),
    );
    const [answer] = await db.driver.query<Record<string, unknown>>(joined.text(), joined.values);
    const results = joined.read(answer!);

    expect(results).toEqual(alone.map((a) => a.result));
    for (const [i, run] of runs.entries()) expect(await row(run.id)).toEqual(alone[i]!.row);
  });
});
