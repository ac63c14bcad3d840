/**
 * Earned trust end to end on PGlite: real runs (rows and the pure-step log) are reconciled,
 * folded by the consumer into decayed counts once each, read back as scores with interval and
 * n (tRPC and REST, read scope), and the server's compile shows a warning for a flow whose
 * block failed a lot, while its errors (and saving) stay on baseline scores.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { page, ZTrustEntry } from "@/server/rest/schemas";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine } from "@/server/engine/engine";
import { NonRetryableError } from "@/server/engine/errors";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { engineFor, type FlowIr } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { restClient, tokenOf } from "@/server/testing/rest";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { isTerminalRun } from "@/server/engine/types";
import { foldFinishedRuns } from "./consumer";
import { clearTrustProviders } from "./list-trust";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let workflowId: string;

const FLOW = `flow: trust-look
version: 1.0.0
trust: { min: 0.8, below: approval }
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

function ir(text: string): FlowIr {
  const r = compileFlow(text);
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.ir;
}

let failNext = true;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "trust");
  const runtimes = builtinRuntimes();
  runtimes.register("crm.contact.get", {
    execute() {
      if (failNext) throw new NonRetryableError("the CRM is down");
      return { id: "CON-1", email: "a@b.co" };
    },
  });
  // Runs here feed the scores; the gates on them (runs of this flow would wait for an approval
  // once its score is low) are checked in server/domain/run/trust-gate.int.test.ts.
  engine = engineFor(db, { runtimes, earnedTrust: undefined });
  const api = callerFor(db.prisma, owner.user, owner.workspace.id);
  const wf = await api.workflow.create({ name: "Trust Look", dsl: FLOW });
  await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: FLOW });
  workflowId = wf.id;
});
afterAll(() => db?.close());

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);

/** Runs `count` runs of the flow as version 1.0.0, all ticked to their end. */
async function runMany(count: number) {
  const flow = ir(FLOW);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await engine.createRun({
      workspaceId: owner.workspace.id,
      workflowId,
      version: "1.0.0",
      ir: flow,
      inputs: {},
      startedBy: "tester@example.com",
    });
    ids.push(r.id);
  }
  for (let i = 0; i < 200; i++) {
    await engine.tick({ limit: 50 });
    const runs = await Promise.all(ids.map((id) => engine.deps.store.getRun(id)));
    if (runs.every((r) => r && isTerminalRun(r.status))) return runs;
  }
  throw new Error("runs did not finish");
}

async function reconcileAll() {
  const deps = servicesFor(db).reconciliation;
  for (let i = 0; i < 20; i++) {
    const r = await reconcileEndedRuns(deps, { limit: 500 });
    if (!r.more) return;
  }
}

async function diagnosticsOfDraft() {
  clearTrustProviders();
  return api().workflow.saveDraft({ id: workflowId, dsl: `${FLOW}\n# edited\n` });
}

describe("earned trust", () => {
  it("shows no earned warning before history exists", async () => {
    const r = await diagnosticsOfDraft();
    expect(r.ok).toBe(true);
    expect(r.diagnostics.filter((d) => d.code === "TF3041")).toEqual([]);
    expect(await api().trust.list({ kind: "block" })).toEqual({ items: [], nextCursor: null });
  });

  it("folds reconciled runs once into scores with interval and n; the editor warns", async () => {
    const runs = await runMany(24);
    expect(runs.every((r) => r!.status === "failed")).toBe(true);
    // Not reconciled yet: nothing to fold.
    expect((await foldFinishedRuns(db.prisma, { now: Date.now() })).runs).toBe(0);
    await reconcileAll();
    const folded = await foldFinishedRuns(db.prisma, { now: Date.now() });
    expect(folded).toMatchObject({ runs: 24, more: false });
    // The pure step (recorded in the step log), the connector step and the flow's trust gate
    // (`below: approval`: passed at once, history was empty; a human step is not scored).
    expect(folded.attempts).toBe(72);
    // Folding again changes nothing: each run is folded once.
    expect((await foldFinishedRuns(db.prisma, { now: Date.now() })).runs).toBe(0);

    const blocks = await api().trust.list({ kind: "block" });
    const look = blocks.items.find((e) => e.key.startsWith("crm.contact.get@"))!;
    expect(look).toMatchObject({ enoughData: true, baseline: 0.99, observations: 24 });
    expect(look.n).toBeCloseTo(24, 1);
    expect(look.inputs.failures).toBeCloseTo(24, 1);
    expect(look.inputs.successes).toBe(0);
    expect(look.score).toBeLessThan(0.5);
    expect(look.interval.low).toBeLessThan(look.score);
    expect(look.interval.high).toBeGreaterThan(look.score);
    expect(look.why).toMatch(/posterior mean of Beta/);
    // Lowest first; the pure step has succeeded every time.
    expect(blocks.items[0]!.key).toBe(look.key);
    const shape = blocks.items.find((e) => e.key.startsWith("data.transform@"))!;
    expect(shape.inputs.successes).toBeCloseTo(24, 1);
    expect(shape.score).toBeGreaterThan(0.9);

    const endpoints = await api().trust.list({ kind: "endpoint" });
    expect(endpoints.items.map((e) => e.key)).toEqual(["crm:crm.contact.get"]);
    const flows = await api().trust.list({ kind: "flow" });
    expect(flows.items).toHaveLength(1);
    expect(flows.items[0]).toMatchObject({
      key: `${workflowId}@1.0.0`,
      label: "trust-look@1.0.0",
      score: look.score,
      lowest: { key: look.key, score: look.score, enoughData: true },
    });
    expect(flows.items[0]!.runs!.n).toBeCloseTo(24, 1);

    // The earned score is under the flow's minimum: a warning, never an error.
    const r = await diagnosticsOfDraft();
    expect(r.ok).toBe(true);
    const warn = r.diagnostics.filter((d) => d.code === "TF3041");
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ severity: "warning", stepId: "look" });
    expect(warn[0]!.message).toMatch(/earned trust/);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("moves the score up with successes and reads few observations as not enough data", async () => {
    const before = (await api().trust.list({ kind: "block" })).items.find((e) =>
      e.key.startsWith("crm.contact.get@"),
    )!;
    failNext = false;
    await runMany(10);
    await reconcileAll();
    expect((await foldFinishedRuns(db.prisma, { now: Date.now() })).runs).toBe(10);
    const after = (await api().trust.list({ kind: "block" })).items.find(
      (e) => e.key === before.key,
    )!;
    expect(after.observations).toBe(34);
    expect(after.score).toBeGreaterThan(before.score);
    // A model-free check of not-enough-data: a workspace with no history.
    const other = await makeUser(db.prisma, "trust-other");
    const list = await callerFor(db.prisma, other.user, other.workspace.id).trust.list({
      kind: "flow",
    });
    expect(list.items).toEqual([]);
  });

  it("folds a run whose reconciliation committed behind the cursor once, in a late sweep", async () => {
    const [late] = await runMany(1);
    await reconcileAll();
    // As if its reconciliation's timestamp were older than the cursor when it committed.
    await db.driver.query(
      `UPDATE "Run" SET "reconciledAt" = (SELECT "at" FROM "TrustCursor") - interval '5 seconds'
        WHERE id = $1::uuid`,
      [late!.id],
    );
    expect((await foldFinishedRuns(db.prisma, { now: Date.now() })).runs).toBe(0);
    expect((await foldFinishedRuns(db.prisma, { now: Date.now(), late: true })).runs).toBe(1);
    expect((await foldFinishedRuns(db.prisma, { now: Date.now(), late: true })).runs).toBe(0);
    const look = (await api().trust.list({ kind: "block" })).items.find((e) =>
      e.key.startsWith("crm.contact.get@"),
    )!;
    expect(look.observations).toBe(35);
  });

  it("answers GET /api/v1/trust with a read-scoped token, in pages", async () => {
    const rest = restClient(db);
    const token = await tokenOf(db, owner.user, owner.workspace.id, "admin", ["read"]);
    const res = await rest("GET", "/trust?kind=block&limit=1", { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const first = page(ZTrustEntry).parse(res.body);
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toBe(first.items[0]!.key);
    const next = page(ZTrustEntry).parse(
      (
        await rest(
          "GET",
          `/trust?kind=block&limit=10&cursor=${encodeURIComponent(first.nextCursor!)}`,
          {
            token,
          },
        )
      ).body,
    );
    expect(next.items.map((e) => e.key)).not.toContain(first.items[0]!.key);
    expect(next.items.length).toBeGreaterThanOrEqual(1);
    const bad = await rest("GET", "/trust?kind=planet", { token });
    expect(bad.status).toBe(400);
    const staleCursor = await rest("GET", "/trust?kind=block&cursor=nope@1", { token });
    expect(staleCursor.status).toBe(400);
    const noToken = await rest("GET", "/trust?kind=flow", {});
    expect(noToken.status).toBe(401);
  });
});
