import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyFlow } from "@/server/adapters/llm/testing/flows";
import type { Database } from "@/server/adapters/prisma";
import type { Engine } from "@/server/engine/engine";
import { engineFor } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { evalRunSettled } from "./evals-runner";
import { clearRoutePreferences, evalRoutePreference, preferredRoute } from "./evals-preference";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let viewer: Awaited<ReturnType<typeof makeUser>>;
const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const viewerApi = () => callerFor(db.prisma, viewer.user, owner.workspace.id);

/**
 * Three tickets: the demo model picks the label the text names, so rows 0 and 1 get the label
 * they expect and row 2 (which names "sales" but expects "billing") never does.
 */
const ROWS = [
  { text: "I was charged twice on my billing statement", expected: "billing" },
  { text: "The technical integration keeps timing out", expected: "technical" },
  { text: "Please send me sales material", expected: "billing" },
];
const LABELS = ["billing", "technical", "sales"];

const FLOW = (version: string, labels: string[]) =>
  classifyFlow({ flow: "eval-triage", version, labels, output: true });

let versionId = "";
let sessionId = "";

/** Ticks the engine until the eval run's runner ends. */
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

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "assessor");
  viewer = await makeUser(db.prisma, "onlooker");
  await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");
  engine = engineFor(db);
  const ds = await api().dataset.create({ name: "tickets" });
  const up = await api().dataset.upload({
    datasetId: ds.id,
    format: "jsonl",
    text: ROWS.map((r) => JSON.stringify(r)).join("\n"),
  });
  versionId = up.version.id;
  sessionId = (await api().sandbox.create({ name: "evals" })).id;
});
afterAll(async () => {
  await db?.close();
});

describe("evaluation suites", () => {
  it("runs 3 rows × 3 repetitions against an agent block in a session and stores the results", async () => {
    const suite = await api().evalSuite.create({
      name: "triage block",
      datasetVersionId: versionId,
      target: { kind: "block", block: "agent.classify", with: { labels: LABELS } },
      inputMap: { text: "text" },
      assertions: [
        { kind: "exact", path: "label", expected: { column: "expected" } },
        { kind: "json_schema", schema: { type: "object", required: ["label", "confidence"] } },
        { kind: "numeric", path: "confidence", expected: { value: 0.5 }, tolerance: 0.5 },
      ],
      repetitions: 3,
      steersRouter: true,
    });
    const version = await db.prisma.datasetVersion.findUniqueOrThrow({ where: { id: versionId } });
    expect(suite.datasetHash).toBe(version.hash);

    const started = await api().evalSuite.run({ suiteId: suite.id, sessionId });
    expect(started).toMatchObject({ status: "running", total: 9, done: 0, label: "default route" });
    const { run, results } = await settle(started.id);

    expect(run).toMatchObject({ status: "completed", total: 9, done: 9, error: null });
    expect(run.datasetHash).toBe(version.hash);
    expect(results).toHaveLength(9);
    expect(results.map((r) => `${r.rowIndex}:${r.repetition}`).sort()).toEqual([
      "0:0",
      "0:1",
      "0:2",
      "1:0",
      "1:1",
      "1:2",
      "2:0",
      "2:1",
      "2:2",
    ]);
    // Every sample ran as its own run inside the session, answered by the demo model.
    const runIds = results.map((r) => r.runId!);
    expect(new Set(runIds).size).toBe(9);
    const runs = await db.prisma.run.findMany({ where: { id: { in: runIds } } });
    expect(runs.every((r) => r.sandboxSessionId === sessionId && r.status === "succeeded")).toBe(
      true,
    );
    expect(results.every((r) => r.route === "trustflow-demo")).toBe(true);
    expect(results.every((r) => r.tokensIn > 0 && r.tokensOut > 0)).toBe(true);
    const usage = await db.prisma.agentUsage.findMany({ where: { runId: { in: runIds } } });
    expect(usage).toHaveLength(9);
    expect(results.reduce((t, r) => t + r.tokensIn, 0)).toBe(
      usage.reduce((t, u) => t + u.tokensIn, 0),
    );

    // Rows 0 and 1 pass every repetition; row 2 fails every one, with the reason.
    for (const r of results) expect(r.passed).toBe(r.rowIndex !== 2);
    const wrong = results.find((r) => r.rowIndex === 2)!;
    expect(wrong.checks[0]).toMatchObject({
      kind: "exact",
      pass: false,
      message: 'expected "billing", got "sales"',
    });
    expect(wrong.checks.slice(1).every((c) => c.pass)).toBe(true);

    const m = run.summary!.overall;
    expect(m).toMatchObject({
      rows: 3,
      samples: 9,
      passAt1: 0.666667,
      passHatN: 0.666667,
      flakyRate: 0,
    });
    expect(run.summary!.byRoute["trustflow-demo"]).toMatchObject({ rows: 3, passHatN: 0.666667 });

    // Viewers read results; they cannot run suites.
    expect((await viewerApi().evalSuite.get({ id: suite.id })).runs[0]!.id).toBe(started.id);
    await expect(viewerApi().evalSuite.run({ suiteId: suite.id, sessionId })).rejects.toThrow();

    // The ledger has the suite's creation and its run.
    const entries = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: suite.id },
      orderBy: { seq: "asc" },
      select: { action: true, subjectType: true },
    });
    expect(entries).toEqual([
      { action: "eval.suite.create", subjectType: "eval_suite" },
      { action: "eval.run", subjectType: "eval_suite" },
    ]);

    // The suite steers the router: its best route for agent.classify is the demo model.
    clearRoutePreferences();
    const pref = await preferredRoute(db.prisma, owner.workspace.id, "agent.classify");
    expect(pref).toMatchObject({
      model: "trustflow-demo",
      evalRunId: started.id,
      passHatN: 0.666667,
    });
    expect(await preferredRoute(db.prisma, owner.workspace.id, "agent.extract")).toBeNull();
    const port = await evalRoutePreference(db.prisma).preferredModel({
      workspaceId: owner.workspace.id,
      blockId: "agent.classify",
    });
    expect(port?.model).toBe("trustflow-demo");
  });

  it("grades a rubric through a grading run of the session's model", async () => {
    const suite = await api().evalSuite.create({
      name: "rubric",
      datasetVersionId: versionId,
      target: { kind: "block", block: "agent.classify", with: { labels: LABELS } },
      inputMap: { text: "text" },
      assertions: [
        {
          kind: "rubric",
          path: "label",
          rubric: "The label must be billing or technical, never sales.",
        },
      ],
    });
    const started = await api().evalSuite.run({ suiteId: suite.id, sessionId });
    const { run, results } = await settle(started.id);
    expect(run.status).toBe("completed");
    expect(results).toHaveLength(9);
    for (const r of results) {
      expect(r.checks).toHaveLength(1);
      expect(r.checks[0]!.kind).toBe("rubric");
      // The demo model's verdict, one of the two labels, graded by the demo model.
      expect(r.checks[0]!.message).toMatch(/^(pass|fail) \(graded by trustflow-demo\)/);
      expect(r.passed).toBe(r.checks[0]!.message.startsWith("pass"));
    }
    // Each grading ran as its own sandbox run of agent.classify (9 targets + 9 gradings).
    const runs = await db.prisma.run.count({
      where: { sandboxSessionId: sessionId, workflowId: null },
    });
    expect(runs).toBeGreaterThanOrEqual(18 + 9);
    // The demo model is deterministic: every repetition of a row gets the same verdict.
    for (const row of [0, 1, 2]) {
      const verdicts = new Set(results.filter((r) => r.rowIndex === row).map((r) => r.passed));
      expect(verdicts.size).toBe(1);
    }
  });

  it("compares two flow versions side by side on the same dataset", async () => {
    const wf = await api().workflow.create({ name: "Eval triage", dsl: FLOW("1.0.0", LABELS) });
    await api().workflow.createVersion({ id: wf.id, dsl: FLOW("1.0.0", LABELS), version: "1.0.0" });
    // 1.1.0 drops the billing label: the rows expecting billing can no longer pass.
    await api().workflow.createVersion({
      id: wf.id,
      dsl: FLOW("1.1.0", ["technical", "sales"]),
      version: "1.1.0",
    });
    const suite = await api().evalSuite.create({
      name: "triage flow",
      datasetVersionId: versionId,
      target: { kind: "flow", workflowId: wf.id },
      assertions: [{ kind: "exact", path: "label", expected: { column: "expected" } }],
      inputMap: { text: "text" },
    });
    const a = await api().evalSuite.run({
      suiteId: suite.id,
      sessionId,
      variant: { version: "1.0.0" },
    });
    await settle(a.id);
    const b = await api().evalSuite.run({
      suiteId: suite.id,
      sessionId,
      variant: { version: "1.1.0" },
    });
    await settle(b.id);
    const cmp = await viewerApi().evalSuite.compare({ a: a.id, b: b.id });
    expect(cmp.a.run.label).toBe("version 1.0.0");
    expect(cmp.b.run.label).toBe("version 1.1.0");
    expect(cmp.a.metrics).toMatchObject({ rows: 3, passAt1: 0.666667, passHatN: 0.666667 });
    expect(cmp.b.metrics).toMatchObject({ rows: 3, passAt1: 0.333333, passHatN: 0.333333 });
    expect(cmp.delta.passHatN).toBeCloseTo(-0.333334, 5);
    expect(cmp.rows.filter((r) => r.differs).map((r) => r.rowIndex)).toEqual([0]);
    expect(cmp.rows[0]).toMatchObject({
      a: { passed: 3, runs: 3, first: true },
      b: { passed: 0, runs: 3, first: false },
    });
    // The flow's runs are the workflow's versions, in the session.
    const runs = await db.prisma.run.findMany({
      where: { workflowId: wf.id },
      select: { version: true, sandboxSessionId: true },
    });
    expect(runs).toHaveLength(18);
    expect(runs.every((r) => r.sandboxSessionId === sessionId)).toBe(true);
    expect(runs.filter((r) => r.version === "1.1.0")).toHaveLength(9);
  });

  it("compares two model routes side by side: the demo model and a scripted one", async () => {
    const suite = await api().evalSuite.create({
      name: "triage routes",
      datasetVersionId: versionId,
      target: { kind: "block", block: "agent.classify", with: { labels: LABELS } },
      inputMap: { text: "text" },
      assertions: [{ kind: "exact", path: "label", expected: { column: "expected" } }],
    });
    // A second session whose model is scripted: the sales-material ticket is answered "billing".
    const script = await api().scriptedModel.create({
      name: "billing for sales material",
      rules: [
        {
          kind: "contains",
          value: "sales material",
          answer: JSON.stringify({ label: "billing", confidence: 0.9 }),
        },
      ],
    });
    const scripted = await api().sandbox.create({ name: "scripted" });
    await api().scriptedModel.attach({ sessionId: scripted.id, scriptedModelId: script.id });

    const a = await api().evalSuite.run({
      suiteId: suite.id,
      sessionId,
      variant: { route: "classification" },
    });
    await settle(a.id);
    const b = await api().evalSuite.run({ suiteId: suite.id, sessionId: scripted.id });
    await settle(b.id);
    const cmp = await api().evalSuite.compare({ a: a.id, b: b.id });
    expect(cmp.a.run).toMatchObject({ label: "route classification", sessionName: "evals" });
    expect(cmp.b.run).toMatchObject({ label: "default route", sessionName: "scripted" });
    expect(cmp.a.metrics).toMatchObject({ rows: 3, passHatN: 0.666667 });
    expect(cmp.b.metrics).toMatchObject({ rows: 3, passHatN: 1, flakyRate: 0 });
    expect(cmp.rows.filter((r) => r.differs).map((r) => r.rowIndex)).toEqual([2]);
    expect(Object.keys(cmp.a.byRoute)).toEqual(["trustflow-demo"]);
  });

  it("refuses bad suites and runs with a clear error, writing nothing", async () => {
    const before = await db.prisma.evalSuite.count();
    await expect(
      api().evalSuite.create({
        name: "x",
        datasetVersionId: versionId,
        target: { kind: "block", block: "agent.classify" },
        assertions: [{ kind: "exact", expected: { column: "missing" } }],
      }),
    ).rejects.toThrow(/no column "missing"/);
    await expect(
      api().evalSuite.create({
        name: "x",
        datasetVersionId: versionId,
        target: { kind: "block", block: "agent.classify" },
        inputMap: { nope: "text" },
        assertions: [{ kind: "exact", expected: { value: 1 } }],
      }),
    ).rejects.toThrow(/has no input "nope"/);
    await expect(
      api().evalSuite.create({
        name: "x",
        datasetVersionId: "7d0e3b4e-3f43-4b8e-9d35-1f0a3d1d7a11",
        target: { kind: "block", block: "agent.classify" },
        assertions: [{ kind: "exact", expected: { value: 1 } }],
      }),
    ).rejects.toThrow(/Dataset version not found/);
    await expect(
      api().evalSuite.create({
        name: "x",
        datasetVersionId: versionId,
        target: { kind: "block", block: "agent.classify" },
        assertions: [{ kind: "json_schema", schema: { type: 12 } }],
      }),
    ).rejects.toThrow(/does not compile/);
    expect(await db.prisma.evalSuite.count()).toBe(before);

    const suite = (await api().evalSuite.list()).find((s) => s.name === "triage block")!;
    const runsBefore = await db.prisma.evalRun.count();
    await expect(
      api().evalSuite.run({ suiteId: suite.id, sessionId, variant: { version: "1.0.0" } }),
    ).rejects.toThrow(/compares model routes/);
    const closed = await api().sandbox.create({ name: "closed" });
    await api().sandbox.close({ id: closed.id });
    await expect(api().evalSuite.run({ suiteId: suite.id, sessionId: closed.id })).rejects.toThrow(
      /closed or expired/,
    );
    expect(await db.prisma.evalRun.count()).toBe(runsBefore);
  });
});
