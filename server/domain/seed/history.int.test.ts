/**
 * The demo history on a fresh database (PGlite, a small history): written as the run store
 * writes runs (its reads give back exactly what the engine recorded), deterministic for a seed,
 * clean for the reconciler, entered in the ledger (whose chain verifies) marked as demo history,
 * folded by the trust consumer through its normal path, generated once (a second start adds
 * nothing; an interrupted one continues where it stopped).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { sqlHistoryWriter } from "@/server/adapters/store/sql-demo-history";
import { openTestDatabase } from "@/server/testing/test-database";
import { servicesFor } from "@/server/testing/services";
import { verifyAudit } from "../audit/ledger";
import { reconcileEndedRuns } from "../run/reconcile-runs";
import { foldFinishedRuns } from "../trust/consumer";
import { irHashOf } from "../workflow/ir-hash";
import { historyProgress, seedDemoHistory, type HistoryWriter } from "./history";
import { simulatedEvents } from "./history-reconcile";
import { historyBatches, historyDayZero, historyStart } from "./history-generate";
import { HISTORY_FLOWS } from "./history-flows";
import { DAY_MS } from "./history-plan";
import { seededUuid } from "./history-random";
import { compileFlow } from "../workflow/compile-flow";
import { seedDemo } from "./seed-demo";

const RUNS = 240;
const SEED = 9;
const NOW = new Date("2026-12-01T12:00:00.000Z");
let db: Database;
let workspaceId: string;

const count = async (sql: string) =>
  Number((await db.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(sql, workspaceId))[0]!.n);
const seededRuns = () => count(`SELECT count(*) AS n FROM "Run" WHERE "workspaceId" = $1::uuid`);
const ledgerSize = () =>
  count(`SELECT count(*) AS n FROM "AuditEntry" WHERE "workspaceId" = $1::uuid`);

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDemo(db.prisma, { irHashOf });
  workspaceId = (await db.prisma.workspace.findUniqueOrThrow({ where: { slug: "demo" } })).id;
});
afterAll(async () => {
  await db?.close();
});

describe("the demo history", () => {
  it("stops after a failed batch and continues from it at the next start", async () => {
    const writer = sqlHistoryWriter(db.driver);
    let writes = 0;
    const failing: HistoryWriter = {
      async writeBatch(ws, batch, marker) {
        if (++writes === 2) throw new Error("the machine went down");
        await writer.writeBatch(ws, batch, marker);
      },
    };
    const opts = { runs: RUNS, seed: SEED, now: NOW, batchSize: 100 };
    await expect(seedDemoHistory(db.prisma, failing, opts)).rejects.toThrow(/went down/);
    expect(await seededRuns()).toBe(100);
    expect((await historyProgress(db.prisma, workspaceId))?.done).toBe(1);
    // The next start resumes with the plan the first one recorded (a different size is ignored).
    const again = await seedDemoHistory(db.prisma, writer, { ...opts, runs: 5 });
    expect(again).toEqual({ created: true, runs: RUNS, batches: 3 });
    expect(await seededRuns()).toBe(RUNS);
  }, 120_000);

  it("is generated once: a second start adds nothing", async () => {
    const before = { runs: await seededRuns(), ledger: await ledgerSize() };
    const again = await seedDemoHistory(db.prisma, sqlHistoryWriter(db.driver), {
      runs: RUNS,
      seed: SEED,
      now: new Date(),
    });
    expect(again.created).toBe(false);
    expect({ runs: await seededRuns(), ledger: await ledgerSize() }).toEqual(before);
    const workflows = await db.prisma.workflow.findMany({
      where: {
        workspaceId,
        id: { in: HISTORY_FLOWS.map((f) => seededUuid(SEED, `workflow:${f.name}`)) },
      },
      include: { versions: true },
    });
    expect(workflows.map((w) => w.versions.length).sort()).toEqual([1, 1, 1, 2, 2]);
  });

  it("reads back from the run store exactly as the engine recorded it, for its seed", async () => {
    const start = historyStart(NOW.getTime());
    const flows = HISTORY_FLOWS.map((f) => ({
      name: f.name,
      workflowId: seededUuid(SEED, `workflow:${f.name}`),
      versions: f.versions.map((v) => ({
        version: v.version,
        fromMs: Math.max(start, historyDayZero(NOW.getTime()) + v.fromDay * DAY_MS),
        ir: compileFlow(v.text).ir!,
      })),
    }));
    const params = { seed: SEED, runs: RUNS, endMs: NOW.getTime(), workspaceId, writtenAt: NOW };
    const expected = [];
    for await (const b of historyBatches(params, flows, 100)) expected.push(...b.runs);
    const again = [];
    for await (const b of historyBatches(params, flows, 100)) again.push(...b.runs);
    expect(again).toEqual(expected);

    const store = servicesFor(db).runs;
    const order = (a: { finishSeq: number | null }, b: { finishSeq: number | null }) =>
      (a.finishSeq ?? Infinity) - (b.finishSeq ?? Infinity);
    const strip = <T extends { finishSeq: number | null }>(list: T[]) =>
      [...list].sort(order).map((a) => ({ ...a, finishSeq: a.finishSeq === null }));
    for (const sim of expected.filter((_, i) => i % 7 === 0 || _.run.status !== "succeeded")) {
      const run = await store.getRun(sim.run.id);
      expect(run).toMatchObject({
        status: sim.run.status,
        version: sim.run.version,
        inputs: sim.run.inputs,
        createdAt: sim.run.createdAt,
        startedAt: sim.run.startedAt,
        finishedAt: sim.run.finishedAt,
        startedBy: sim.run.startedBy,
      });
      const simAttempts = [...sim.rows, ...sim.logs.flatMap((l) => l.attempts)];
      expect(strip(await store.listAttempts(sim.run.id))).toEqual(strip(simAttempts));
      const events = await store.listEvents(sim.run.id, 0, 1000);
      expect(events).toEqual(simulatedEvents(sim));
      expect(await store.listDeadLetters({ runId: sim.run.id })).toEqual(sim.deadLetters);
    }
    // Some runs failed, some retried, and agents used tokens: the history is not all sunshine.
    expect(expected.some((r) => r.run.status === "failed")).toBe(true);
    expect(expected.some((r) => r.tasks.some((t) => t.kind === "retry"))).toBe(true);
    expect(
      await count(`SELECT count(*) AS n FROM "AgentUsage" WHERE "workspaceId" = $1::uuid`),
    ).toBe(expected.reduce((n, r) => n + r.usage.length, 0));
  }, 120_000);

  it("enters the ledger like live runs, marked as demo history, and the chain verifies", async () => {
    const verified = await verifyAudit(db.prisma, workspaceId);
    expect(verified.ok).toBe(true);
    const entries = await db.prisma.auditEntry.findMany({
      where: { workspaceId, subjectType: "run" },
      select: { action: true, actorLabel: true, payload: true },
    });
    expect(entries).toHaveLength(2 * RUNS);
    expect(entries.filter((e) => e.action === "run.start")).toHaveLength(RUNS);
    for (const e of entries) {
      expect(e.payload).toMatchObject({ demoHistory: true });
      expect(e.actorLabel).toMatch(e.action === "run.start" ? /^webhook:/ : /^engine$/);
    }
  });

  it("is written reconciled and clean, as the reconciler finds it, and folded by the trust consumer", async () => {
    // Reconciled by the generator with the reconciler's own check: nothing is left to reconcile.
    expect(
      await count(
        `SELECT count(*) AS n FROM "Run" WHERE "workspaceId" = $1::uuid AND "reconciledAt" IS NULL`,
      ),
    ).toBe(0);
    expect(await db.prisma.runFinding.findMany({ where: { workspaceId } })).toEqual([]);
    // The background reconciler, made to check the stored runs again, agrees: no finding.
    await db.prisma.$executeRawUnsafe(
      `UPDATE "Run" SET "reconciledAt" = NULL WHERE "workspaceId" = $1::uuid`,
      workspaceId,
    );
    const deps = servicesFor(db).reconciliation;
    for (let more = true; more;) more = (await reconcileEndedRuns(deps, { limit: 200 })).more;
    expect(await db.prisma.runFinding.findMany({ where: { workspaceId } })).toEqual([]);

    for (let more = true; more;)
      more = (await foldFinishedRuns(db.prisma, { now: Date.now() })).more;
    const counts = await db.prisma.trustCount.findMany({ where: { workspaceId } });
    const byKey = new Map(counts.map((c) => [`${c.kind}:${c.key}`, c]));
    const charge = [...byKey.values()].find((c) => c.key.startsWith("billing.charge.create@"));
    expect(charge?.attempts).toBeGreaterThan(0);
    expect(counts.some((c) => c.kind === "flow")).toBe(true);
    expect(counts.some((c) => c.kind === "model")).toBe(true);
  }, 120_000);
});
