import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { engineFor, runToEnd, type FlowIr } from "@/server/testing/engine";
import { callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { demoModelConfig } from "../config";
import { DEMO_MODEL_LABEL, DEMO_MODEL_NAME } from "@/server/domain/agent/constants";

/**
 * A flow's agent steps, end to end on the built-in demo model: the server's engine and runtimes
 * (`createServices(db).newEngine()`), the agent runtime's router, the real `openai` SDK, the demo
 * model's handler reached in-process, usage rows in the database. No TRUSTFLOW_MODELS: as `npm start`
 * runs out of the box.
 */
const FLOW = `flow: demo-agents
version: 1.0.0
trigger:
  manual: {}
inputs:
  message:
    type: string
steps:
  - id: triage
    uses: agent.classify@1
    with:
      text: \${{ inputs.message }}
      labels: [billing, technical, sales]
  - id: route
    uses: agent.route@1
    with:
      text: \${{ inputs.message }}
      routes:
        - name: sales
          description: Buying interest, pricing, demos
        - name: support
          description: Problems with the product, refunds, double charges
      fallbackRoute: support
  - id: facts
    uses: agent.extract@1
    with:
      text: \${{ inputs.message }}
      schema:
        type: object
        properties:
          invoice: { type: string, pattern: "^INV-[0-9]+$" }
          amount: { type: number, minimum: 0 }
        required: [invoice]
  - id: brief
    uses: agent.summarize@1
    with:
      text: \${{ inputs.message }}
      maxWords: 12
  - id: reply
    uses: agent.draft@1
    needs: [triage, facts]
    with:
      prompt: Reply to a \${{ steps.triage.output.label }} request about \${{ steps.facts.output.data.invoice }}.
      output:
        type: object
        required: [subject, body]
        properties:
          subject: { type: string, maxLength: 80 }
          body: { type: string }
outputs:
  label: \${{ steps.triage.output.label }}
  route: \${{ steps.route.output.route }}
  invoice: \${{ steps.facts.output.data.invoice }}
  amount: \${{ steps.facts.output.data.amount }}
  summary: \${{ steps.brief.output.summary }}
  subject: \${{ steps.reply.output.subject }}
`;

const MESSAGE =
  "Billing issue: I was charged twice for invoice INV-2041. Amount: 420. Please refund the double charge.";

let db: Database;
let owner: TestUser;
let ir: FlowIr;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "demo-model");
  const compiled = compileFlow(FLOW);
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  ir = compiled.ir!;
});
afterEach(() => {
  vi.unstubAllEnvs();
});
afterAll(async () => {
  await db?.close();
});

/** No model configured at all, as on a fresh checkout (the repo has no trustflow.models.json). */
function outOfTheBox() {
  vi.stubEnv("TRUSTFLOW_MODELS", "");
  vi.stubEnv("TRUSTFLOW_MODELS_FILE", "");
}

async function runFlow() {
  // A new engine per run: its runtimes read the model configuration of the moment.
  return runToEnd(engineFor(db), {
    workspaceId: owner.workspace.id,
    ir,
    inputs: { message: MESSAGE },
    startedBy: owner.user.email,
    ticks: 40,
  });
}

describe("agent steps on the demo model", () => {
  it("run a flow's five agent steps out of the box, recording usage", async () => {
    outOfTheBox();
    const run = await runFlow();
    expect(run.error).toBeNull();
    expect(run.status).toBe("succeeded");
    expect(run.output).toMatchObject({
      label: "billing",
      route: "support",
      invoice: "INV-2041",
      amount: 420,
    });
    const out = run.output as { summary: string; subject: string };
    expect(out.summary.split(/\s+/).length).toBeLessThanOrEqual(12);
    expect(out.subject).toMatch(/^Reply to a billing request about INV-2041/);

    const usage = await db.prisma.agentUsage.findMany({ where: { runId: run.id } });
    expect(usage.map((u) => u.stepId).sort()).toEqual([
      "brief",
      "facts",
      "reply",
      "route",
      "triage",
    ]);
    for (const u of usage) {
      expect(u.model).toBe(DEMO_MODEL_NAME);
      expect(Number(u.costUsd)).toBe(0);
      expect(u.tokensIn).toBeGreaterThan(0);
      expect(u.tokensOut).toBeGreaterThan(0);
    }
    // Every step succeeded at its first attempt: no answer needed a retry.
    const attempts = await db.prisma.stepAttempt.findMany({ where: { runId: run.id } });
    expect(attempts.every((a) => a.attempt === 1 && a.status === "succeeded")).toBe(true);

    // What the run view shows: the model under its label.
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const summary = await api.model.usageByRun({ runId: run.id });
    expect(summary.byModel).toEqual([
      expect.objectContaining({ model: DEMO_MODEL_NAME, label: DEMO_MODEL_LABEL, attempts: 5 }),
    ]);
    expect(await api.model.list()).toMatchObject({
      source: "demo",
      models: [{ name: DEMO_MODEL_NAME, label: DEMO_MODEL_LABEL, demo: true }],
    });
  });

  it("gives the same outputs to the same run, streamed or not", async () => {
    outOfTheBox();
    const first = await runFlow();
    const second = await runFlow();
    expect(second.output).toEqual(first.output);
    // The demo model named explicitly, streamed (SSE through the SDK): the same answers.
    vi.stubEnv("TRUSTFLOW_MODELS", JSON.stringify([{ ...demoModelConfig(), stream: true }]));
    const streamed = await runFlow();
    expect(streamed.status).toBe("succeeded");
    expect(streamed.output).toEqual(first.output);
  });

  it("is replaced by TRUSTFLOW_MODELS: with an empty list no model runs the agent steps", async () => {
    vi.stubEnv("TRUSTFLOW_MODELS", "[]");
    const run = await runFlow();
    expect(run.status).toBe("failed");
    expect(JSON.stringify(run.error)).toMatch(/No language model is configured/);
    expect(await db.prisma.agentUsage.count({ where: { runId: run.id } })).toBe(0);
  });
});
