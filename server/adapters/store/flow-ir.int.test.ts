import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowIR } from "@/dsl";
import type { Database } from "@/server/adapters/prisma";
import { emptyWebhookIr } from "@/server/testing/flow-ir";
import { openTestDatabase } from "@/server/testing/test-database";
import { irRef } from "./sql-rows";
import { SqlRunStore, sqlFromDriver } from "./sql-run-store";

/**
 * A run's IR snapshot is stored once per distinct IR (`FlowIr`), the run row holding only its
 * key; runs recorded before keep their own `Run.ir`, and every read returns the run's IR.
 */
let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db?.close());

const T0 = Date.UTC(2026, 11, 5, 18, 0, 0);

const irOf = emptyWebhookIr;

async function workspace(): Promise<string> {
  const id = randomUUID();
  await db.driver.query(`INSERT INTO "Workspace" ("id", "slug", "name") VALUES ($1, $2, 'ir')`, [
    id,
    `ir-${id}`,
  ]);
  return id;
}

const newRun = (workspaceId: string, ir: FlowIR) => ({
  id: randomUUID(),
  workspaceId,
  workflowId: null,
  version: "1.0.0",
  ir,
  inputs: {},
  startedBy: "tester",
  now: T0,
});

async function stored(runId: string) {
  const [row] = await db.driver.query<{ ir: string | null; irKey: string | null }>(
    `SELECT "ir"::text AS ir, "irKey" FROM "Run" WHERE "id" = $1::uuid`,
    [runId],
  );
  return row!;
}

async function flowIrRows(key: string): Promise<number> {
  const [row] = await db.driver.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "FlowIr" WHERE "key" = $1`,
    [key],
  );
  return row!.n;
}

describe("run IR snapshots, once per distinct IR", () => {
  it("stores the IR once for many runs (queued and inline) and reads each run's IR back", async () => {
    const ws = await workspace();
    const ir = irOf(`once-${randomUUID()}`);
    const key = irRef(ir).key;
    const sql = sqlFromDriver(db.driver);
    const store = new SqlRunStore(sql);
    const queued = (await store.createRun(newRun(ws, ir))).run;
    expect(queued.ir).toEqual(ir);
    const inline = newRun(ws, ir);
    const committed = await store.createWithCheckpoint(
      { ...inline, lease: { owner: "w1", expiresAt: T0 + 60_000 } },
      {
        events: [{ type: "run.started", at: T0 }],
        run: { status: "succeeded", output: { ok: true } },
      },
    );
    expect(committed.runStatus).toBe("succeeded");
    // Another connection (a transaction's, another process's) finds the row and adds none.
    const other = new SqlRunStore(sqlFromDriver(db.driver));
    const third = (await other.createRun(newRun(ws, ir))).run;

    expect(await flowIrRows(key)).toBe(1);
    for (const id of [queued.id, inline.id, third.id]) {
      expect(await stored(id)).toEqual({ ir: null, irKey: key });
      expect((await store.getRun(id))?.ir).toEqual(ir);
    }
    // The connection that wrote it sends only the key from now on.
    expect(irRef(ir, sql).text).toBeNull();
    expect(irRef(ir).text).toBe(JSON.stringify(ir));
    // Claimed runs (a worker's restore) read the IR by reference too.
    const claimed = await store.claimRuns({
      owner: "w2",
      now: T0 + 1_000,
      leaseMs: 30_000,
      limit: 10,
    });
    const mine = claimed.filter((r) => r.workspaceId === ws);
    expect(mine.map((r) => r.id).sort()).toEqual([queued.id, third.id].sort());
    for (const r of mine) expect(r.ir).toEqual(ir);
  });

  it("keeps two IRs of one hash apart when their spans differ", async () => {
    const ws = await workspace();
    const name = `spans-${randomUUID()}`;
    const a = irOf(name, 1);
    const b = irOf(name, 7);
    expect(a.hash).toBe(b.hash);
    const store = new SqlRunStore(sqlFromDriver(db.driver));
    const ra = (await store.createRun(newRun(ws, a))).run;
    const rb = (await store.createRun(newRun(ws, b))).run;
    expect(irRef(a).key).not.toBe(irRef(b).key);
    expect((await store.getRun(ra.id))?.ir).toEqual(a);
    expect((await store.getRun(rb.id))?.ir).toEqual(b);
  });

  it("reads a run recorded before FlowIr from its own snapshot", async () => {
    const ws = await workspace();
    const ir = irOf(`legacy-${randomUUID()}`);
    const id = randomUUID();
    await db.driver.query(
      `INSERT INTO "Run" ("id", "workspaceId", "version", "irHash", "ir", "status", "createdAt", "updatedAt")
       VALUES ($1::uuid, $2::uuid, '1.0.0', $3, $4::jsonb, 'succeeded', now(), now())`,
      [id, ws, ir.hash, JSON.stringify(ir)],
    );
    const run = await new SqlRunStore(sqlFromDriver(db.driver)).getRun(id);
    expect(run?.ir).toEqual(ir);
    expect(await stored(id)).toMatchObject({ irKey: null });
  });
});
