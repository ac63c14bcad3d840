/**
 * Interrupted eval runs after a restart (issue 16): an eval run left `running` by a server that
 * stopped continues from the samples not yet recorded, or is marked failed with the reason when
 * it cannot continue. The stopped server is played by rows written as it left them (a stale
 * heartbeat, one sample recorded) with no runner in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import type { Engine } from "@/server/engine/engine";
import { engineFor } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { loadDatasetVersion } from "./datasets";
import type { EvalDeps } from "./evals-ports";
import { evalRunSettled } from "./evals-runner";
import { resumeInterruptedEvalRuns, STALE_MS } from "./evals-sweep";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const deps = (): EvalDeps => ({ ...servicesFor(db), datasets: loadDatasetVersion });

const ROWS = [
  { text: "I was charged twice on my billing statement", expected: "billing" },
  { text: "The technical integration keeps timing out", expected: "technical" },
  { text: "Please send me sales material", expected: "billing" },
];
let suiteId = "";
let datasetHash = "";
let sessionId = "";

/** An eval run as a stopped server left it: running, a stale heartbeat, one sample recorded. */
async function orphan(session: string, heartbeatAgoMs = STALE_MS + 5_000) {
  const run = await db.prisma.evalRun.create({
    data: {
      id: crypto.randomUUID(),
      suiteId,
      workspaceId: owner.workspace.id,
      sessionId: session,
      variant: {},
      label: "default route",
      datasetHash,
      status: "running",
      total: 9,
      done: 1,
      startedBy: owner.user.id,
      heartbeatAt: new Date(Date.now() - heartbeatAgoMs),
    },
  });
  const recorded = await db.prisma.evalResult.create({
    data: {
      id: crypto.randomUUID(),
      evalRunId: run.id,
      rowIndex: 0,
      repetition: 0,
      runStatus: "succeeded",
      passed: true,
      checks: [],
      route: "trustflow-demo",
      costUsd: 0,
      latencyMs: 12,
    },
  });
  return { run, recorded };
}

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
  owner = await makeUser(db.prisma, "resumer");
  engine = engineFor(db);
  const ds = await api().dataset.create({ name: "tickets" });
  const up = await api().dataset.upload({
    datasetId: ds.id,
    format: "jsonl",
    text: ROWS.map((r) => JSON.stringify(r)).join("\n"),
  });
  const suite = await api().evalSuite.create({
    name: "triage",
    datasetVersionId: up.version.id,
    target: { kind: "block", block: "agent.classify", with: { labels: ["billing", "technical"] } },
    inputMap: { text: "text" },
    assertions: [{ kind: "exact", path: "label", expected: { column: "expected" } }],
  });
  suiteId = suite.id;
  datasetHash = suite.datasetHash;
  sessionId = (await api().sandbox.create({ name: "evals" })).id;
});
afterAll(async () => {
  await db?.close();
});

describe("interrupted eval runs", () => {
  it("continue after a restart from the samples not yet recorded, keeping the recorded one", async () => {
    const fresh = await orphan(sessionId, 1_000);
    const { run, recorded } = await orphan(sessionId);

    const outcomes = await resumeInterruptedEvalRuns(deps());
    // A fresh heartbeat belongs to a live runner elsewhere: left alone.
    expect(outcomes).toEqual([{ id: run.id, outcome: "resumed" }]);
    // Claimed: a second sweep (another process) does not take it again.
    expect(await resumeInterruptedEvalRuns(deps())).toEqual([]);

    const { run: ended, results } = await settle(run.id);
    expect(ended).toMatchObject({ status: "completed", done: 9, total: 9, error: null });
    expect(results.map((r) => `${r.rowIndex}:${r.repetition}`)).toEqual([
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
    // The sample recorded before the stop is kept as it was; the 8 others ran as new runs.
    const kept = await db.prisma.evalResult.findFirstOrThrow({
      where: { evalRunId: run.id, rowIndex: 0, repetition: 0 },
    });
    expect(kept).toMatchObject({ id: recorded.id, runId: null, latencyMs: 12 });
    const ran = results.filter((r) => r.runId).map((r) => r.runId!);
    expect(new Set(ran).size).toBe(8);
    const runs = await db.prisma.run.findMany({ where: { id: { in: ran } } });
    expect(runs.every((r) => r.sandboxSessionId === sessionId && r.status === "succeeded")).toBe(
      true,
    );
    expect(ended.summary!.overall).toMatchObject({ rows: 3, samples: 9 });
    // Rows 0 and 1 get their expected label from the demo model; row 2 ("sales") never does.
    expect(results.filter((r) => r.passed).length).toBe(6);

    const untouched = await db.prisma.evalRun.findUniqueOrThrow({ where: { id: fresh.run.id } });
    expect(untouched).toMatchObject({ status: "running", done: 1 });
    await db.prisma.evalRun.update({
      where: { id: fresh.run.id },
      data: { status: "failed", error: "test cleanup" },
    });
  });

  it("fail with the reason when they cannot continue (the session was closed), keeping results", async () => {
    const closed = await api().sandbox.create({ name: "gone" });
    const { run } = await orphan(closed.id);
    await api().sandbox.close({ id: closed.id });

    const outcomes = await resumeInterruptedEvalRuns(deps());
    expect(outcomes).toEqual([
      { id: run.id, outcome: "failed", reason: expect.stringMatching(/closed or expired/) },
    ]);
    const { run: ended, results } = await api().evalSuite.result({ id: run.id });
    expect(ended.status).toBe("failed");
    expect(ended.error).toMatch(
      /^Could not continue after the server running this suite stopped .*its sandbox session: This sandbox session is closed or expired.* 1 of 9 samples were recorded and are kept/,
    );
    expect(ended.summary!.overall).toMatchObject({ rows: 1, samples: 1, passAt1: 1 });
    expect(results).toHaveLength(1);
    // Nothing ran for it.
    expect(await db.prisma.run.count({ where: { sandboxSessionId: closed.id } })).toBe(0);
  });

  it("fail when the suite was archived", async () => {
    const { run } = await orphan(sessionId);
    await api().evalSuite.archive({ id: suiteId });
    const outcomes = await resumeInterruptedEvalRuns(deps());
    expect(outcomes).toEqual([{ id: run.id, outcome: "failed", reason: "its suite was archived" }]);
    const ended = await db.prisma.evalRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(ended.status).toBe("failed");
    expect(ended.finishedAt).not.toBeNull();
  });
});
