import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineRegistry } from "@/server/adapters/metrics/prom-metrics";
import type { Database } from "@/server/adapters/prisma";
import { sqlFindingStore } from "@/server/adapters/store/sql-findings";
import { sqlFromDriver } from "@/server/adapters/store/sql-run-store";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine } from "@/server/engine/engine";
import { NonRetryableError } from "@/server/engine/errors";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { engineFor, runToEnd, type FlowIr } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { startReconciler, type Reconciler } from "./reconciler";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let reconciler: Reconciler | undefined;

function ir(text: string): FlowIr {
  const r = compileFlow(text);
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.ir;
}

const SUCCEEDS = ir(`
flow: recon-ok
version: 1.0.0
inputs:
  email: { type: string }
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields: { lower: "inputs.email" }
  - id: create
    uses: crm.contact.create@1
    needs: [shape]
    with:
      email: \${{ inputs.email }}
  - id: never
    uses: crm.contact.update@1
    if: \${{ false }}
    with: { id: CON-1, lifecycle: customer }
`);

const FAILS = ir(`
flow: recon-fail
version: 1.0.0
steps:
  - id: look
    uses: crm.contact.get@1
    retry: { max: 0 }
    with: { id: CON-1 }
  - id: after
    uses: crm.contact.update@1
    needs: [look]
    with: { id: CON-1, lifecycle: customer }
`);

const COMPENSATES = ir(`
flow: recon-saga
version: 1.0.0
steps:
  - id: create
    uses: crm.contact.create@1
    compensate: crm.contact.delete@1
    with: { email: ada@example.com }
  - id: look
    uses: crm.contact.get@1
    needs: [create]
    on_error: compensate
    retry: { max: 0 }
    with: { id: CON-1 }
`);

const WAITS = ir(`
flow: recon-cancel
version: 1.0.0
steps:
  - id: ask
    uses: human.approval@1
    with: { message: "Go?", approvers: { role: approver } }
  - id: after
    uses: crm.contact.update@1
    needs: [ask]
    with: { id: CON-1, lifecycle: customer }
`);

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "reconciler");
  const runtimes = builtinRuntimes();
  runtimes.register("crm.contact.create", { execute: () => ({ id: "CON-1", created: true }) });
  runtimes.register("crm.contact.delete", { execute: () => ({ id: "CON-1", deleted: true }) });
  runtimes.register("crm.contact.update", {
    execute: () => ({ id: "CON-1", updatedAt: "2026-12-05T20:00:00Z" }),
  });
  runtimes.register("crm.contact.get", {
    execute() {
      throw new NonRetryableError("the CRM is down");
    },
  });
  engine = engineFor(db, { runtimes });
});
afterAll(async () => {
  await reconciler?.stop();
  await db?.close();
});

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);

function start() {
  // Fast enough for a test; the service's defaults pace batches 500 ms apart.
  reconciler = startReconciler(servicesFor(db).reconciliation, servicesFor(db).notifier, {
    gapMs: 10,
    idleMs: 60_000,
  });
  return reconciler;
}

async function reconciled(runId: string) {
  for (let i = 0; i < 500; i++) {
    const run = await api().run.get({ id: runId });
    if (run.reconciliation.status !== "pending") return run;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`run ${runId} was not reconciled`);
}

async function findingsCount(kind: string): Promise<number> {
  const metric = await engineRegistry
    .getSingleMetric("trustflow_reconciliation_findings_total")
    ?.get();
  return metric?.values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

describe("reconciliation of finished runs (background reconciler, SQL store)", () => {
  it("succeeded, failed, compensated and cancelled runs come out clean", async () => {
    start();
    const ws = owner.workspace.id;
    // A cancel is no engine run end: the next end's batch (or the idle timer) picks it up.
    const waiting = await engine.createRun({
      workspaceId: ws,
      workflowId: null,
      version: null,
      ir: WAITS,
      inputs: {},
      startedBy: "tester@example.com",
    });
    await engine.tick({ limit: 10 });
    await api().run.cancel({ id: waiting.id });
    const ok = await runToEnd(engine, {
      workspaceId: ws,
      ir: SUCCEEDS,
      inputs: { email: "a@b.co" },
    });
    const failed = await runToEnd(engine, { workspaceId: ws, ir: FAILS });
    const saga = await runToEnd(engine, { workspaceId: ws, ir: COMPENSATES });
    expect([ok.status, failed.status, saga.status]).toEqual(["succeeded", "failed", "compensated"]);

    for (const [id, steps] of [
      [ok.id, 3],
      [failed.id, 2],
      [saga.id, 2],
      [waiting.id, 2],
    ] as const) {
      const run = await reconciled(id);
      expect(run.reconciliation).toMatchObject({ status: "clean", steps, findings: [] });
      expect(run.reconciliation.checkedAt).not.toBeNull();
    }
    const cancelled = await api().run.get({ id: waiting.id });
    expect(cancelled.status).toBe("cancelled");
    // What was checked: the skip, the compensation, the failure are all in the records.
    const saga_ = await api().run.get({ id: saga.id });
    expect(saga_.attempts.map((a) => [a.stepId, a.status])).toContainEqual([
      "create~compensate",
      "succeeded",
    ]);
  });

  it("a tampered record is a finding, counted in metrics; a restart reconciles runs ended while down", async () => {
    await reconciler!.stop();
    const ws = owner.workspace.id;
    // Two runs end while no reconciler runs.
    const tampered = await runToEnd(engine, {
      workspaceId: ws,
      ir: SUCCEEDS,
      inputs: { email: "t@b.co" },
    });
    const untouched = await runToEnd(engine, { workspaceId: ws, ir: FAILS });
    expect((await api().run.get({ id: tampered.id })).reconciliation.status).toBe("pending");

    // The create step's output leaves its contract, and a second effect under another key.
    await db.driver.query(
      `UPDATE "StepAttempt" SET output = '{"id": 42, "created": true}'::jsonb
        WHERE "runId" = $1::uuid AND "stepId" = 'create'`,
      [tampered.id],
    );
    await db.driver.query(
      `INSERT INTO "StepAttempt" ("runId", "stepId", attempt, status, "blockId", inputs, output,
         "idempotencyKey", "startedAt", "finishedAt")
       VALUES ($1::uuid, 'create', 2, 'succeeded', 'crm.contact.create', '{}'::jsonb,
         '{"id": "CON-2", "created": true}'::jsonb, 'forged-key', now(), now())`,
      [tampered.id],
    );
    const before = {
      output: await findingsCount("output_invalid"),
      duplicate: await findingsCount("duplicate_effect"),
    };

    start(); // the restart: its first batch catches up
    const checked = await reconciled(tampered.id);
    expect(checked.reconciliation.status).toBe("findings");
    expect(checked.reconciliation.findings.map((f) => [f.kind, f.stepId]).sort()).toEqual([
      ["duplicate_effect", "create"],
      ["output_invalid", "create"],
    ]);
    const invalid = checked.reconciliation.findings.find((f) => f.kind === "output_invalid")!;
    expect(invalid.detail).toMatchObject({ attempt: 1, errors: [{ path: "/id" }] });
    expect((await reconciled(untouched.id)).reconciliation.status).toBe("clean");

    expect(await findingsCount("output_invalid")).toBe(before.output + 1);
    expect(await findingsCount("duplicate_effect")).toBe(before.duplicate + 1);
    const rows = await db.prisma.runFinding.findMany({ where: { runId: tampered.id } });
    expect(rows.map((r) => r.workspaceId)).toEqual([ws, ws]);
  });

  it("records a run once, whichever process gets there first", async () => {
    await reconciler!.stop();
    const store = sqlFindingStore(sqlFromDriver(db.driver));
    const run = await runToEnd(engine, { workspaceId: owner.workspace.id, ir: FAILS });
    expect(await store.unreconciled(100)).toContain(run.id);
    const finding = { kind: "check_failed" as const, stepId: null, detail: { message: "x" } };
    expect(await store.record(run, [finding], Date.now())).toBe(true);
    // A second process's claim of the same run writes nothing.
    expect(await store.record(run, [finding, finding], Date.now())).toBe(false);
    expect(await db.prisma.runFinding.count({ where: { runId: run.id } })).toBe(1);
    expect(await store.unreconciled(100)).not.toContain(run.id);
  });

  it("reads a batch of runs set-based exactly as each run reads on its own", async () => {
    await reconciler!.stop();
    const sql = sqlFromDriver(db.driver);
    const store = sqlFindingStore(sql);
    const runs = [
      await runToEnd(engine, {
        workspaceId: owner.workspace.id,
        ir: SUCCEEDS,
        inputs: { email: "A@x.io" },
      }),
      await runToEnd(engine, { workspaceId: owner.workspace.id, ir: FAILS }),
      await runToEnd(engine, {
        workspaceId: owner.workspace.id,
        ir: SUCCEEDS,
        inputs: { email: "b@x.io" },
      }),
    ];
    const ids = runs.map((r) => r.id);
    const batch = await store.load([...ids, "00000000-0000-4000-8000-000000000000"], 10_000);
    expect(batch.map((b) => b.run.id).sort()).toEqual([...ids].sort());
    const runStore = servicesFor(db).runs;
    for (const b of batch) {
      expect(b.run).toEqual(await runStore.getRun(b.run.id));
      const sortKey = (a: { stepId: string; attempt: number }) => `${a.stepId}#${a.attempt}`;
      const own = await runStore.listAttempts(b.run.id);
      expect(b.attempts.length).toBeGreaterThan(0);
      expect([...b.attempts].sort((x, y) => sortKey(x).localeCompare(sortKey(y)))).toEqual(
        [...own].sort((x, y) => sortKey(x).localeCompare(sortKey(y))),
      );
      expect(b.events).toEqual(await runStore.listEvents(b.run.id, 0, 10_000));
      expect(b.deadLetters).toEqual(await runStore.listDeadLetters({ runId: b.run.id }));
    }
    // The failed run's dead letter is read with its batch; the first two events per run, at most.
    expect(batch.find((b) => b.run.id === runs[1]!.id)!.deadLetters).toHaveLength(1);
    for (const b of await store.load(ids, 2)) {
      expect(b.events).toEqual(await runStore.listEvents(b.run.id, 0, 2));
    }
    // Recording the batch claims each run once; a second claim of the same runs claims none.
    const claimed = await store.recordMany(
      batch.map((b) => ({ run: b.run, findings: [] })),
      Date.now(),
    );
    expect([...claimed].sort()).toEqual([...ids].sort());
    expect(
      (
        await store.recordMany(
          batch.map((b) => ({ run: b.run, findings: [] })),
          Date.now(),
        )
      ).size,
    ).toBe(0);
  });
});
