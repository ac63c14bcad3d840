import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyFlow } from "@/server/adapters/llm/testing/flows";
import type { Database } from "@/server/adapters/prisma";
import { ensureDemoConnectors } from "@/server/domain/connector/connectors";
import type { Engine } from "@/server/engine/engine";
import { engineFor, tickToEnd } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let viewer: Awaited<ReturnType<typeof makeUser>>;
let outsider: Awaited<ReturnType<typeof makeUser>>;

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const viewerApi = () => callerFor(db.prisma, viewer.user, owner.workspace.id);
const outsiderApi = () => callerFor(db.prisma, outsider.user, outsider.workspace.id);

const AGENT_FLOW = classifyFlow({ flow: "scripted", labels: ["billing", "technical", "sales"] });

/** The run `runId` ticked to its end by this file's engine. */
const untilEnd = (runId: string) => tickToEnd(engine, runId);

async function runIn(sessionId: string | undefined, workflowId: string, text: string) {
  const started = await api().run.start({
    workflowId,
    draft: true,
    inputs: { text },
    ...(sessionId ? { sandboxSessionId: sessionId } : {}),
  });
  const run = await untilEnd(started.id);
  const attempts = await engine.deps.store.listAttempts(run.id);
  return { run, triage: attempts.find((a) => a.stepId === "triage")! };
}

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "scripter");
  viewer = await makeUser(db.prisma, "script-viewer");
  outsider = await makeUser(db.prisma, "script-outsider");
  await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");
  await ensureDemoConnectors(db.prisma, owner.workspace.id);
  engine = engineFor(db);
});
afterAll(() => db?.close());

describe("scripted models", () => {
  it("create, list, get, update and delete, each in the ledger; viewers read only", async () => {
    const created = await api().scriptedModel.create({
      name: "Refunds",
      rules: [{ kind: "contains", value: "refund", answer: '{"label":"billing"}' }],
    });
    expect(created).toMatchObject({
      name: "Refunds",
      model: `scripted/${created.id}`,
      fallback: "demo",
      rules: [{ kind: "contains", value: "refund" }],
      recorded: [],
    });
    expect(await viewerApi().scriptedModel.list()).toEqual([
      expect.objectContaining({ id: created.id, rules: 1, recorded: 0 }),
    ]);
    await expect(viewerApi().scriptedModel.create({ name: "no" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      viewerApi().scriptedModel.update({ id: created.id, fallback: "error" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    const updated = await api().scriptedModel.update({
      id: created.id,
      fallback: "error",
      rules: [{ kind: "pattern", value: "ref(u|o)nd", answer: '{"label":"sales"}' }],
    });
    expect(updated).toMatchObject({ fallback: "error", rules: [{ kind: "pattern" }] });
    // Another workspace sees nothing.
    await expect(outsiderApi().scriptedModel.get({ id: created.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await outsiderApi().scriptedModel.list()).toEqual([]);
    await api().scriptedModel.delete({ id: created.id });
    await expect(api().scriptedModel.get({ id: created.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const ledger = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: created.id },
      orderBy: { seq: "asc" },
      select: { action: true, subjectType: true },
    });
    expect(ledger).toEqual([
      { action: "scripted_model.create", subjectType: "scripted_model" },
      { action: "scripted_model.update", subjectType: "scripted_model" },
      { action: "scripted_model.delete", subjectType: "scripted_model" },
    ]);
  });

  it("refuses bad input with a clear message and changes nothing", async () => {
    const before = await db.prisma.scriptedModel.count();
    await expect(
      api().scriptedModel.create({
        name: "bad",
        rules: [{ kind: "pattern", value: "(a)\\1", answer: "{}" }],
      }),
    ).rejects.toThrow(/Not an RE2 pattern/);
    await expect(api().scriptedModel.create({ name: " " })).rejects.toThrow(/Name the scripted/);
    await expect(
      api().scriptedModel.create({
        name: "too many",
        rules: Array.from({ length: 101 }, () => ({
          kind: "contains" as const,
          value: "x",
          answer: "",
        })),
      }),
    ).rejects.toThrow(/at most 100 rules/);
    await expect(
      api().scriptedModel.create({
        name: "too big",
        rules: Array.from({ length: 20 }, () => ({
          kind: "contains" as const,
          value: "x",
          answer: "y".repeat(256 * 1024),
        })),
      }),
    ).rejects.toThrow(/at most 4 MB/);
    expect(await db.prisma.scriptedModel.count()).toBe(before);
  });

  it("answers a session's agent steps once attached: rule, fallback, detach", async () => {
    const wf = await api().workflow.create({ name: "scripted-agent", dsl: AGENT_FLOW });
    const script = await api().scriptedModel.create({
      name: "Always technical",
      rules: [
        {
          kind: "pattern",
          value: "print(er|ing)",
          answer: JSON.stringify({ label: "technical", confidence: 0.99 }),
        },
      ],
      fallback: "error",
    });
    const session = await api().sandbox.create({ name: "scripted" });
    // Before attaching: the demo model answers.
    const demo = await runIn(session.id, wf.id, "The printer is on fire");
    expect(demo.run.status).toBe("succeeded");
    await expect(
      viewerApi().scriptedModel.attach({ sessionId: session.id, scriptedModelId: script.id }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await api().scriptedModel.attach({ sessionId: session.id, scriptedModelId: script.id });
    const scripted = await runIn(session.id, wf.id, "The printer is on fire");
    expect(scripted.run.status).toBe("succeeded");
    expect(scripted.triage.output).toMatchObject({ label: "technical", confidence: 0.99 });
    // Its recorded answer shows the scripted model answered.
    const recorded = await db.prisma.recordedAnswer.findFirst({
      where: { runId: scripted.run.id, stepId: "triage" },
    });
    expect(recorded?.answer).toMatchObject({
      ok: true,
      calls: [{ model: `scripted/${script.id}` }],
    });
    // No rule matches and the fallback is error: the step fails with the script's message.
    const unmatched = await runIn(session.id, wf.id, "Please send a quote");
    expect(unmatched.run.status).toBe("failed");
    expect(unmatched.triage.error?.message).toMatch(/no answer for this prompt/);
    // Outside the session the workspace's model answers as before.
    const outside = await runIn(undefined, wf.id, "Please send a quote");
    expect(outside.run.status).toBe("succeeded");
    // Detached: the demo model again.
    await api().scriptedModel.attach({ sessionId: session.id, scriptedModelId: null });
    expect((await runIn(session.id, wf.id, "Please send a quote")).run.status).toBe("succeeded");
    // Another workspace's script cannot be attached; a closed session cannot take one.
    const foreign = await outsiderApi().scriptedModel.create({ name: "foreign" });
    await expect(
      api().scriptedModel.attach({ sessionId: session.id, scriptedModelId: foreign.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await api().sandbox.close({ id: session.id });
    await expect(
      api().scriptedModel.attach({ sessionId: session.id, scriptedModelId: script.id }),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
  });

  it("records a run's model answers into a script (prompt hash, model, repetition)", async () => {
    const wf = await api().workflow.create({ name: "record-me", dsl: AGENT_FLOW });
    const original = await runIn(undefined, wf.id, "My invoice was charged twice");
    const script = await api().scriptedModel.create({ name: "Recorded", fallback: "error" });
    const {
      added,
      skipped,
      script: after,
    } = await api().scriptedModel.recordFromRun({
      id: script.id,
      runId: original.run.id,
    });
    expect({ added, skipped }).toEqual({ added: 1, skipped: 0 });
    expect(after.recorded[0]).toMatchObject({
      promptHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      model: "trustflow-demo",
      repetition: 1,
      source: `run:${original.run.id}/triage#1`,
    });
    // Recording the same run again replaces, never duplicates.
    await api().scriptedModel.recordFromRun({ id: script.id, runId: original.run.id });
    expect((await api().scriptedModel.get({ id: script.id })).recorded).toHaveLength(1);
    // A session with it answers the same prompt with the recorded answer (fallback: error).
    const session = await api().sandbox.create({ name: "recorded" });
    await api().scriptedModel.attach({ sessionId: session.id, scriptedModelId: script.id });
    const replay = await runIn(session.id, wf.id, "My invoice was charged twice");
    expect(replay.run.status).toBe("succeeded");
    expect(replay.triage.output).toEqual(original.triage.output);
    // A run without agent steps has nothing to record.
    const plain = await api().workflow.create({
      name: "no-agent",
      dsl: `flow: no-agent\nversion: 1.0.0\ntrigger:\n  manual: {}\nsteps:\n  - id: t\n    uses: data.transform@1\n    with:\n      fields: { x: "1" }\n`,
    });
    const started = await api().run.start({ workflowId: plain.id, draft: true });
    await untilEnd(started.id);
    await expect(
      api().scriptedModel.recordFromRun({ id: script.id, runId: started.id }),
    ).rejects.toThrow(/no recorded model answers/);
  });
});
