/**
 * Real model routes in a sandbox session (issue 16): an admin opts a session in to two models
 * of the model router, each served by its own OpenAI-compatible server started here (the real
 * protocol, through the `openai` SDK and the egress guard); a suite compares the two routes
 * side by side and its results steer the router. Without the opt-in nothing reaches them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { egressCallCount } from "@/server/adapters/egress/metrics";
import { classifyRouteFlow } from "@/server/adapters/llm/testing/flows";
import type { Database } from "@/server/adapters/prisma";
import {
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from "@/server/adapters/llm/testing/fake-openai-server";
import type { Engine } from "@/server/engine/engine";
import { engineFor, tickToEnd } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { evalRunSettled } from "./evals-runner";
import { clearRoutePreferences, evalRoutePreference, preferredRoute } from "./evals-preference";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let editor: Awaited<ReturnType<typeof makeUser>>;
let a: FakeOpenAiServer;
let b: FakeOpenAiServer;
const savedModels = process.env.TRUSTFLOW_MODELS;
const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const editorApi = () => callerFor(db.prisma, editor.user, owner.workspace.id);

const ROWS = [
  { text: "I was charged twice, write to ann.lee@example.com", expected: "billing" },
  { text: "The integration keeps timing out", expected: "technical" },
  { text: "Refund my last invoice please", expected: "billing" },
];
const TASKS = ["classification", "extraction", "summarization", "drafting", "routing"];
const model = (name: string, server: FakeOpenAiServer, id: string) => ({
  name,
  provider: "openai-compatible",
  baseURL: server.baseURL,
  model: id,
  tier: "small",
  capabilities: { tasks: TASKS, json: "json_object" },
  costPerInputToken: 0.000001,
  costPerOutputToken: 0.000002,
});
const answer = (label: string) => ({
  kind: "json" as const,
  content: JSON.stringify({ label, confidence: 0.9 }),
});

let sessionId = "";
let suiteId = "";

async function settle(evalRunId: string) {
  let done = false;
  const settled = evalRunSettled(evalRunId).then(() => (done = true));
  for (let i = 0; i < 2000 && !done; i++) {
    await engine.tick({ limit: 10 });
    await new Promise((r) => setTimeout(r, 2));
  }
  await settled;
  return api().evalSuite.result({ id: evalRunId });
}

/** A one-step flow whose classify step names `route`, run in `session`. */
async function runRoute(session: string, route: string) {
  const wf = await api().workflow.create({
    name: `route ${route} ${crypto.randomUUID().slice(0, 8)}`,
    dsl: classifyRouteFlow(route),
  });
  const started = await api().run.start({
    workflowId: wf.id,
    draft: true,
    inputs: { text: "Refund my invoice" },
    sandboxSessionId: session,
  });
  return tickToEnd(engine, started.id);
}

beforeAll(async () => {
  a = await startFakeOpenAiServer();
  b = await startFakeOpenAiServer();
  process.env.TRUSTFLOW_MODELS = JSON.stringify([
    model("model-a", a, "a-1"),
    model("model-b", b, "b-1"),
  ]);
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "route-admin");
  editor = await makeUser(db.prisma, "route-editor");
  await addMembership(db.prisma, editor.user.id, owner.workspace.id, "editor");
  engine = engineFor(db);
  // The fake servers listen on 127.0.0.1 over http: an admin allow-lists the host.
  await db.prisma.egressAllow.create({
    data: {
      workspaceId: owner.workspace.id,
      host: "127.0.0.1",
      allowHttp: true,
      allowPrivate: true,
    },
  });
  const ds = await api().dataset.create({ name: "tickets" });
  const up = await api().dataset.upload({
    datasetId: ds.id,
    format: "jsonl",
    text: ROWS.map((r) => JSON.stringify(r)).join("\n"),
  });
  suiteId = (
    await api().evalSuite.create({
      name: "triage routes",
      datasetVersionId: up.version.id,
      target: {
        kind: "block",
        block: "agent.classify",
        with: { labels: ["billing", "technical"] },
      },
      inputMap: { text: "text" },
      assertions: [{ kind: "exact", path: "label", expected: { column: "expected" } }],
      steersRouter: true,
    })
  ).id;
  sessionId = (await api().sandbox.create({ name: "routes", sharedWith: "workspace" })).id;
});
afterAll(async () => {
  if (savedModels === undefined) delete process.env.TRUSTFLOW_MODELS;
  else process.env.TRUSTFLOW_MODELS = savedModels;
  clearRoutePreferences();
  await db?.close();
  await a?.close();
  await b?.close();
});

describe("real model routes in a sandbox session", () => {
  it("are refused until an admin opts the session in; nothing reaches them before", async () => {
    await expect(
      api().evalSuite.run({ suiteId, sessionId, variant: { route: "model-a" } }),
    ).rejects.toThrow(/not opted in to the model route "model-a"/);
    const run = await runRoute(sessionId, "model-a");
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(
      /"model-a" is a real model, and this sandbox session is not opted in/,
    );
    // Task types and the demo model need no opt-in and stay in the process.
    expect((await runRoute(sessionId, "classification")).status).toBe("succeeded");
    expect(a.requests.length + b.requests.length).toBe(0);

    await expect(
      editorApi().sandbox.setModelRoutes({ id: sessionId, routes: ["model-a"] }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      api().sandbox.setModelRoutes({ id: sessionId, routes: ["model-c"] }),
    ).rejects.toThrow(/"model-c" is not a configured model .* Configured: model-a, model-b\./);
    await expect(
      api().sandbox.setModelRoutes({ id: sessionId, routes: ["trustflow-demo"] }),
    ).rejects.toThrow(/demo model needs no opt-in/);
    await expect(
      api().sandbox.setModelRoutes({ id: sessionId, routes: ["model-a", "model-a"] }),
    ).rejects.toThrow(/each model route once/);
    expect(await db.prisma.sandboxModelRoutes.count()).toBe(0);
  });

  it("compares two real routes side by side, through the router, the PII guard and the egress guard", async () => {
    const set = await api().sandbox.setModelRoutes({
      id: sessionId,
      routes: ["model-a", "model-b"],
    });
    expect(set.modelRoutes).toEqual(["model-a", "model-b"]);
    expect((await api().sandbox.get({ id: sessionId })).modelRoutes).toEqual([
      "model-a",
      "model-b",
    ]);
    const entry = await db.prisma.auditEntry.findFirstOrThrow({
      where: { workspaceId: owner.workspace.id, action: "sandbox.models", subjectId: sessionId },
    });
    expect(entry.payload).toMatchObject({ routes: ["model-a", "model-b"], previous: [] });

    // Model A always answers "billing" (rows 0 and 2 pass), model B "technical" (row 1 passes).
    a.enqueueFor("a-1", ...Array.from({ length: 12 }, () => answer("billing")));
    b.enqueueFor("b-1", ...Array.from({ length: 12 }, () => answer("technical")));
    const runA = await api().evalSuite.run({ suiteId, sessionId, variant: { route: "model-a" } });
    await settle(runA.id);
    const runB = await api().evalSuite.run({ suiteId, sessionId, variant: { route: "model-b" } });
    await settle(runB.id);

    const cmp = await api().evalSuite.compare({ a: runA.id, b: runB.id });
    expect(cmp.a.run).toMatchObject({ label: "route model-a", status: "completed" });
    expect(Object.keys(cmp.a.byRoute)).toEqual(["model-a"]);
    expect(Object.keys(cmp.b.byRoute)).toEqual(["model-b"]);
    expect(cmp.a.byRoute["model-a"]).toMatchObject({
      rows: 3,
      passAt1: 0.666667,
      passHatN: 0.666667,
      flakyRate: 0,
    });
    expect(cmp.b.byRoute["model-b"]).toMatchObject({
      rows: 3,
      passAt1: 0.333333,
      passHatN: 0.333333,
      flakyRate: 0,
    });
    // Cost from the configured prices and the servers' usage (20 tokens in, 10 out per call).
    for (const side of [cmp.a.byRoute["model-a"]!, cmp.b.byRoute["model-b"]!]) {
      expect(side.costUsd).toBeCloseTo(9 * (20 * 0.000001 + 10 * 0.000002), 8);
      expect(side.latencyP50Ms).toBeGreaterThanOrEqual(0);
    }
    expect(cmp.rows.filter((r) => r.differs).map((r) => r.rowIndex)).toEqual([0, 1, 2]);

    // Each server got its route's 9 calls over HTTP, the e-mail address redacted by the PII guard.
    expect(a.requests).toHaveLength(9);
    expect(b.requests).toHaveLength(9);
    for (const r of [...a.requests, ...b.requests]) {
      expect(r.path).toBe("/v1/chat/completions");
      expect(JSON.stringify(r.body)).not.toContain("ann.lee@example.com");
    }
    expect(JSON.stringify(a.requests.map((r) => r.body))).toContain("[EMAIL_1]");

    // The suite steers the router: model A's results are the best.
    clearRoutePreferences();
    expect(await preferredRoute(db.prisma, owner.workspace.id, "agent.classify")).toMatchObject({
      model: "model-a",
      evalRunId: runA.id,
      passHatN: 0.666667,
    });
    const port = await evalRoutePreference(db.prisma).preferredModel({
      workspaceId: owner.workspace.id,
      blockId: "agent.classify",
    });
    expect(port?.model).toBe("model-a");
  });

  it("reach real models only through the egress guard: their configured host and port, nothing else", async () => {
    // The workspace allow-lists nothing: the models' own hosts and ports are the operator's
    // entries of the guard (server/adapters/llm/model-egress.ts), counted as model calls.
    await db.prisma.egressAllow.deleteMany({ where: { workspaceId: owner.workspace.id } });
    // Answers earlier tests left queued would answer before this test's own.
    a.clearQueue();
    b.clearQueue();
    const ok = await egressCallCount("model", "ok");
    a.enqueueFor("a-1", answer("billing"));
    const run = await runRoute(sessionId, "model-a");
    expect(run.status).toBe("succeeded");
    expect(await egressCallCount("model", "ok")).toBe(ok + 1);

    // A redirect to another private port is refused (before any socket): the router falls over.
    const refused = await egressCallCount("model", "forbidden_address");
    a.enqueueFor("a-1", { kind: "redirect", location: "https://127.0.0.1:1/v1/chat/completions" });
    const over = await runRoute(sessionId, "model-a");
    expect(over.status).toBe("succeeded");
    expect(await egressCallCount("model", "forbidden_address")).toBe(refused + 1);
    const usage = await db.prisma.agentUsage.findMany({ where: { runId: over.id } });
    // The next capable model answers: the demo model (the cheapest).
    expect(usage.map((u) => u.model)).toEqual(["trustflow-demo"]);
  });

  it("end with the opt-out: the session reaches the demo model only again", async () => {
    await api().sandbox.setModelRoutes({ id: sessionId, routes: [] });
    expect((await api().sandbox.get({ id: sessionId })).modelRoutes).toEqual([]);
    const run = await runRoute(sessionId, "model-b");
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(/not opted in/);
    const entries = await db.prisma.auditEntry.findMany({
      where: { action: "sandbox.models", subjectId: sessionId },
      orderBy: { seq: "asc" },
      select: { payload: true },
    });
    expect(entries.map((e) => e.payload)).toEqual([
      { routes: ["model-a", "model-b"], previous: [] },
      { routes: [], previous: ["model-a", "model-b"] },
    ]);
  });
});
