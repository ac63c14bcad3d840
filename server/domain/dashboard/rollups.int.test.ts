/**
 * The dashboards' rollups on PGlite, against a direct computation: a small real history (a pure
 * step, a connector step that fails one run in three, agent usage on some attempts) is
 * reconciled and folded once; every rollup total (per grain, per entity) equals what the runs'
 * own attempts, dead letters and usage say; the Operations page and a Trust entity's trend and
 * drill-down read them back through tRPC.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { foldFinishedRuns } from "@/server/domain/trust/consumer";
import type { Engine } from "@/server/engine/engine";
import { NonRetryableError } from "@/server/engine/errors";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { isTerminalRun, type RunRecord } from "@/server/engine/types";
import { engineFor } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { foldRollupBatch } from "./rollup-consumer";
import { latencyBin } from "./latency";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let workflowId: string;
let runs: RunRecord[] = [];

const FLOW = `flow: rollup-look
version: 1.0.0
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields: { id: "'CON-1'" }
  - id: look
    uses: crm.contact.get@1
    needs: [shape]
    retry: { max: 0 }
    with: { id: CON-1 }
`;

let calls = 0;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "rollups");
  const runtimes = builtinRuntimes();
  runtimes.register("crm.contact.get", {
    execute() {
      calls += 1;
      if (calls % 3 === 0) throw new NonRetryableError("the CRM is down");
      return { id: "CON-1" };
    },
  });
  engine = engineFor(db, { runtimes });
  const api = callerFor(db.prisma, owner.user, owner.workspace.id);
  const wf = await api.workflow.create({ name: "Rollup Look", dsl: FLOW });
  await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: FLOW });
  workflowId = wf.id;

  const ir = compileFlow(FLOW).ir!;
  const ids: string[] = [];
  for (let i = 0; i < 15; i++) {
    const r = await engine.createRun({
      workspaceId: owner.workspace.id,
      workflowId,
      version: "1.0.0",
      ir,
      inputs: {},
      startedBy: "tester@example.com",
    });
    ids.push(r.id);
  }
  for (let i = 0; i < 200 && runs.length < ids.length; i++) {
    await engine.tick({ limit: 50 });
    const all = await Promise.all(ids.map((id) => engine.deps.store.getRun(id)));
    if (all.every((r) => r && isTerminalRun(r.status))) runs = all as RunRecord[];
  }
  // Agent usage on the connector step of the first five runs (as an agent step would record it).
  for (const r of runs.slice(0, 5))
    await db.prisma.agentUsage.create({
      data: {
        workspaceId: owner.workspace.id,
        runId: r.id,
        stepId: "look",
        attempt: 1,
        flowName: "rollup-look",
        model: "demo-model",
        tokensIn: 100,
        tokensOut: 20,
        costUsd: "0.0015",
      },
    });
  const deps = servicesFor(db).reconciliation;
  for (let i = 0; i < 20; i++) if (!(await reconcileEndedRuns(deps, { limit: 500 })).more) break;
});
afterAll(() => db?.close());

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);

/** Sums of the rollup rows of one grain, per kind and key. */
async function totals(grain: string) {
  return db.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
    `SELECT "kind", "key", sum("runs")::int AS runs, sum("runsSucceeded")::int AS ok,
            sum("runsFailed")::int AS failed, sum("attempts")::int AS attempts,
            sum("successes")::int AS successes, sum("failures")::int AS failures,
            sum("deadLetters")::int AS "deadLetters", sum("agentCalls")::int AS "agentCalls",
            sum("tokensIn")::int AS "tokensIn", sum("costUsd")::float8 AS cost
       FROM "Rollup" WHERE "grain" = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
    grain,
  );
}

describe("dashboard rollups", () => {
  it("fold every reconciled run once, and agree with a direct computation", async () => {
    expect(runs).toHaveLength(15);
    const first = await foldRollupBatch(db.prisma, { batch: 10 });
    const second = await foldRollupBatch(db.prisma, { batch: 10 });
    expect(first).toMatchObject({ runs: 10, more: true });
    expect(second).toMatchObject({ runs: 5, more: false });
    expect((await foldRollupBatch(db.prisma)).runs).toBe(0);
    expect((await foldRollupBatch(db.prisma, { late: true })).runs).toBe(0);

    // Directly from the runs: statuses, every final attempt (the store expands the step log).
    const attempts = (await Promise.all(runs.map((r) => engine.deps.store.listAttempts(r.id))))
      .flat()
      .filter((a) => a.status === "succeeded" || a.status === "failed");
    const byBlock = (id: string) => attempts.filter((a) => a.blockId === id);
    const ok = runs.filter((r) => r.status === "succeeded").length;
    const failed = runs.filter((r) => r.status === "failed").length;
    expect(ok + failed).toBe(15);
    expect(failed).toBeGreaterThan(0);
    const deadLetters = await db.prisma.deadLetter.count();
    const look = byBlock("crm.contact.get");
    const shape = byBlock("data.transform");
    expect(look).toHaveLength(15);

    for (const grain of ["h", "d"]) {
      const t = await totals(grain);
      const row = (kind: string, prefix: string) =>
        t.find((x) => x.kind === kind && String(x.key).startsWith(prefix));
      expect(row("flow", workflowId), grain).toMatchObject({
        runs: 15,
        ok,
        failed,
        attempts: look.length + shape.length,
        deadLetters,
        agentCalls: 5,
        tokensIn: 500,
      });
      expect(row("block", "crm.contact.get@"), grain).toMatchObject({
        runs: 0,
        attempts: 15,
        successes: look.filter((a) => a.status === "succeeded").length,
        failures: look.filter((a) => a.status === "failed").length,
        deadLetters,
      });
      expect(row("block", "data.transform@"), grain).toMatchObject({
        attempts: shape.length,
        failures: 0,
      });
      expect(row("endpoint", "crm:crm.contact.get"), grain).toMatchObject({ attempts: 15 });
      expect(row("model", "demo-model"), grain).toMatchObject({ agentCalls: 5, tokensIn: 500 });
      expect(Number(row("model", "demo-model")!.cost)).toBeCloseTo(0.0075, 6);
    }
    // Minutes: flows only.
    const minutes = await totals("m");
    expect(minutes.map((x) => x.kind)).toEqual(["flow"]);
    expect(minutes.find((x) => x.kind === "flow")).toMatchObject({ runs: 15, ok, failed });

    // The connector's latency histogram holds each attempt in its bin.
    const hist = await db.prisma.$queryRawUnsafe<Array<{ latency: number[] }>>(
      `SELECT "latency" FROM "Rollup" WHERE "grain" = 'd' AND "kind" = 'block' AND "key" LIKE 'crm.contact.get@%'`,
    );
    const expected: number[] = [];
    for (const a of look) {
      const bin = latencyBin(a.durationMs ?? 0);
      expected[bin] = (expected[bin] ?? 0) + 1;
    }
    const got = hist[0]!.latency.map(Number);
    expected.forEach((v, i) => expect(got[i], `bin ${i}`).toBe(v ?? 0));
  });

  it("answer the Operations page from the rollups", async () => {
    const view = await api().dashboard.operations({ range: "1h" });
    expect(view.throughput).toHaveLength(60);
    expect(view.throughput.reduce((s, p) => s + p.runs, 0)).toBe(15);
    const flow = view.flows.find((f) => f.workflowId === workflowId)!;
    const ok = runs.filter((r) => r.status === "succeeded").length;
    expect(flow).toMatchObject({ name: "rollup-look", runs: 15, succeeded: ok });
    expect(flow.successRate).toBeCloseTo(ok / 15, 3);
    expect(flow.p95Ms).not.toBeNull();
    expect(view.tiers.reduce((s, t) => s + t.attempts, 0)).toBe(
      (await totals("m")).find((x) => x.kind === "flow")!.attempts,
    );
    expect(view.models).toEqual([expect.objectContaining({ model: "demo-model", calls: 5 })]);
    expect(view.breakers.map((b) => b.endpoint)).toContain("crm:crm.contact.get");
    expect(view.empty).toBe(false);
    for (const range of ["24h", "7d", "30d"] as const) {
      const v = await api().dashboard.operations({ range });
      expect(
        v.throughput.reduce((s, p) => s + p.runs, 0),
        range,
      ).toBe(15);
    }
    // Another workspace sees nothing of it.
    const other = await makeUser(db.prisma, "rollups-other");
    const none = await callerFor(db.prisma, other.user, other.workspace.id).dashboard.operations({
      range: "24h",
    });
    expect(none).toMatchObject({ empty: true, flows: [], models: [] });
    await expect(api().dashboard.operations({ range: "2y" as "1h" })).rejects.toThrow(/1h, 24h/);
  });

  it("trace a score's trend from the daily rollups, and the flows behind it", async () => {
    await foldFinishedRuns(db.prisma, { now: Date.now() });
    const scores = await api().trust.list({ kind: "block" });
    const live = scores.items.find((e) => e.key.startsWith("crm.contact.get@"))!;
    const view = await api().dashboard.trustEntity({ kind: "block", key: live.key, range: "7d" });
    expect(view.trend).toHaveLength(30);
    const today = view.trend.at(-1)!;
    // The trend's last point is the live score (all of the history is within the window).
    expect(today.n).toBeCloseTo(live.n, 1);
    expect(today.score).toBeCloseTo(live.score, 2);
    expect(today.low).toBeLessThanOrEqual(today.score);
    expect(view.trend[0]).toMatchObject({ n: 0, enoughData: false });
    expect(view.flows).toEqual([
      {
        workflowId,
        name: "Rollup Look",
        attempts: 15,
        failures: runs.filter((r) => r.status === "failed").length,
      },
    ]);
    const flowKey = `${workflowId}@1.0.0`;
    const flow = await api().dashboard.trustEntity({ kind: "flow", key: flowKey, range: "30d" });
    expect(flow.trend.at(-1)!.score).toBeLessThanOrEqual(today.score);
    expect(flow.flows).toHaveLength(1);
  });
});
