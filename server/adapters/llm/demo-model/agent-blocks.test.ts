import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { createAgentRuntime, createInMemoryUsageSink } from "../agent-runtime";
import { loadModels, type ModelConfig } from "../config";
import type { AgentExecution } from "@/server/domain/agent/ports";
import { agentBlock } from "../tasks";
import { DEMO_MODEL_NAME } from "@/server/domain/agent/constants";

/** The five agent blocks with the inputs a demo flow gives them. */
const STEPS: Array<[string, Record<string, unknown>]> = [
  [
    "agent.classify",
    {
      text: "A billing problem: I was charged twice on invoice INV-2041",
      labels: ["billing", "technical", "sales"],
    },
  ],
  [
    "agent.extract",
    {
      text: "Please bill ACME GmbH. Currency: EUR. Amount: 1200.",
      schema: {
        type: "object",
        properties: {
          company: { type: "string" },
          currency: { type: "string", enum: ["EUR", "USD"] },
          amount: { type: "number" },
        },
        required: ["company", "currency"],
      },
    },
  ],
  [
    "agent.summarize",
    {
      text: "Q3 revenue grew 12%. Churn fell to 2%. The team will launch the portal.",
      maxWords: 10,
    },
  ],
  [
    "agent.draft",
    {
      prompt: "Write a short welcome email for ACME GmbH.",
      output: {
        type: "object",
        required: ["subject", "body"],
        properties: { subject: { type: "string" }, body: { type: "string" } },
      },
    },
  ],
  [
    "agent.route",
    {
      text: "Can we get pricing for 40 seats?",
      routes: [
        { name: "sales", description: "Buying interest, pricing, demos" },
        { name: "support", description: "Problems with the product" },
      ],
    },
  ],
];

function exec(id: string, inputs: Record<string, unknown>): AgentExecution {
  return {
    block: { id, version: "1.0.0", major: 1 },
    inputs,
    idempotencyKey: `run-1:${id}:1`,
    attempt: 1,
    signal: new AbortController().signal,
    workspaceId: "ws-1",
    runId: "run-1",
    stepId: id,
    flow: "demo",
  };
}

/** What `npm start` configures with no TRUSTFLOW_MODELS and no trustflow.models.json. */
function outOfTheBox(): ModelConfig[] {
  const { models, source } = loadModels({
    env: {},
    cwd: mkdtempSync(path.join(tmpdir(), "tf-demo-")),
  });
  expect(source).toBe("demo");
  return models;
}

describe("agent steps on the demo model, through the real SDK and router", () => {
  it("run every agent block out of the box, with outputs valid against the block", async () => {
    const usageSink = createInMemoryUsageSink();
    const rt = createAgentRuntime({ models: outOfTheBox(), usageSink });
    const ajv = new Ajv2020({ strict: false });
    for (const [id, inputs] of STEPS) {
      const r = await rt.execute(exec(id, inputs));
      const valid = ajv.compile(agentBlock(id)!.outputSchema);
      expect(valid(r.output), `${id}: ${JSON.stringify(valid.errors)}`).toBe(true);
      expect(r.usage.model).toBe(DEMO_MODEL_NAME);
      expect(r.usage.costUsd).toBe(0);
      expect(r.usage.tokensIn).toBeGreaterThan(0);
      expect(r.usage.tokensOut).toBeGreaterThan(0);
      expect(r.decisions[0]).toMatchObject({ type: "route", model: DEMO_MODEL_NAME });
      // The answer validated as it came: no repair was needed.
      expect(r.decisions.some((d) => d.type === "repair")).toBe(false);
    }
    expect(usageSink.rows).toHaveLength(STEPS.length);
    expect(usageSink.rows.every((row) => row.model === DEMO_MODEL_NAME)).toBe(true);
  });

  it("answers from the prompt: the label named, the route described, the fields written", async () => {
    const rt = createAgentRuntime({ models: outOfTheBox() });
    const out = async (id: string) =>
      (await rt.execute(exec(id, STEPS.find(([s]) => s === id)![1]))).output;
    expect(await out("agent.classify")).toMatchObject({ label: "billing", labels: ["billing"] });
    expect(await out("agent.route")).toMatchObject({ route: "sales" });
    expect(await out("agent.extract")).toMatchObject({
      data: { company: "ACME GmbH", currency: "EUR", amount: 1200 },
      missing: [],
    });
    const summary = (await out("agent.summarize")) as { summary: string };
    expect(summary.summary.split(/\s+/).length).toBeLessThanOrEqual(10);
  });

  it("gives the same outputs on every run, streamed or not", async () => {
    const models = outOfTheBox();
    const streamed = models.map((m) => ({ ...m, stream: true }));
    const a = createAgentRuntime({ models });
    const b = createAgentRuntime({ models: streamed });
    for (const [id, inputs] of STEPS) {
      const [x, y, z] = await Promise.all([
        a.execute(exec(id, inputs)),
        a.execute(exec(id, inputs)),
        b.execute(exec(id, inputs)),
      ]);
      expect(y.output, id).toEqual(x.output);
      expect(z.output, id).toEqual(x.output);
      expect(z.usage, id).toEqual(x.usage);
    }
  });
});
