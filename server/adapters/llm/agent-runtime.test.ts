import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { BlockDefinition } from "@/dsl";
import { EngineError, NonRetryableError, RetryAfterError } from "@/server/engine/errors";
import type { RuntimeRequest } from "@/server/engine/ports";
import {
  AgentOutputError,
  createAgentRuntime,
  createInMemoryUsageSink,
  renderMemory,
  type AgentRuntimeOptions,
} from "./agent-runtime";
import { loadModels, type ModelConfigInput } from "./config";
import type { AgentExecution, AgentMemoryPort, MemoryItem } from "@/server/domain/agent/ports";
import { createModelRouter } from "./router";
import { startFakeOpenAiServer, type FakeOpenAiServer } from "./testing/fake-openai-server";
import { fakeClock, modelTestEgress, testModel } from "./testing/models";

let fake: FakeOpenAiServer;
beforeAll(async () => {
  fake = await startFakeOpenAiServer();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  expect(fake.pending()).toBe(0);
});

const model = (name: string, over: Partial<ModelConfigInput> = {}) =>
  testModel(name, { baseURL: fake.baseURL, ...over });

function exec(
  id: string,
  inputs: Record<string, unknown>,
  over: Partial<AgentExecution> = {},
): AgentExecution {
  return {
    block: { id, version: "1.0.0", major: 1 },
    inputs,
    idempotencyKey: "run-1:step:1",
    attempt: 1,
    signal: new AbortController().signal,
    workspaceId: "ws-1",
    runId: "run-1",
    stepId: "step",
    flow: "support-triage",
    ...over,
  };
}

const classifyInputs = {
  text: "I was charged twice this month",
  labels: ["billing", "technical", "sales"],
};
const answer = (v: unknown) => ({ kind: "json" as const, content: JSON.stringify(v) });

// Real models are called through the egress guard, as in the server.
const egress = modelTestEgress();
function runtime(over: AgentRuntimeOptions = {}) {
  return createAgentRuntime({ models: [model("small")], egress, ...over });
}

describe("the five agent blocks, end to end through the SDK", () => {
  it("agent.classify", async () => {
    fake.enqueue({
      kind: "json",
      content: '{"label":"billing","confidence":0.93,"rationale":"double charge"}',
      usage: { prompt: 120, completion: 15 },
    });
    const r = await runtime().execute(exec("agent.classify", classifyInputs));
    expect(r.output).toEqual({
      label: "billing",
      labels: ["billing"],
      confidence: 0.93,
      rationale: "double charge",
    });
    expect(r.usage).toEqual({
      model: "small",
      tokensIn: 120,
      tokensOut: 15,
      costUsd: 120 * 1e-6 + 15 * 2e-6,
    });
    const body = fake.requests[0]!.body;
    expect(body.model).toBe("small");
    expect(body.response_format).toEqual({ type: "json_object" });
    expect(body.max_tokens).toBe(100);
    expect(body.stream).toBeFalsy();
    expect(JSON.stringify(body.messages)).toContain("technical");
    expect(r.decisions[0]).toMatchObject({ type: "route", task: "classification", model: "small" });
  });

  it("agent.extract with a streamed answer and json_schema mode", async () => {
    fake.enqueue({
      kind: "stream",
      content:
        '{"data":{"company":"ACME GmbH","currency":"EUR"},"missing":["vatId"],"confidence":0.8}',
      chunks: 7,
      usage: { prompt: 200, completion: 30 },
    });
    const rt = runtime({
      models: [
        model("small", {
          stream: true,
          capabilities: { tasks: ["extraction"], json: "json_schema" },
        }),
      ],
    });
    const r = await rt.execute(
      exec("agent.extract", {
        text: "Please bill ACME GmbH in EUR.",
        schema: {
          type: "object",
          required: ["company", "vatId"],
          properties: {
            company: { type: "string" },
            vatId: { type: "string" },
            currency: { type: "string" },
          },
        },
      }),
    );
    expect(r.output).toEqual({
      data: { company: "ACME GmbH", currency: "EUR" },
      missing: ["vatId"],
      confidence: 0.8,
    });
    expect(r.usage).toMatchObject({ tokensIn: 200, tokensOut: 30 });
    const body = fake.requests[0]!.body;
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.response_format).toMatchObject({
      type: "json_schema",
      json_schema: { name: "agent_extract" },
    });
  });

  it("agent.summarize, streamed without usage: tokens are estimated", async () => {
    fake.enqueue({
      kind: "stream",
      content: '{"summary":"Two charges.","keyPoints":["double charge"]}',
      noUsage: true,
    });
    const rt = runtime({ models: [model("small", { stream: true })] });
    const r = await rt.execute(
      exec("agent.summarize", { text: "Long text…", maxWords: 20, style: "bullets" }),
    );
    expect(r.output).toEqual({ summary: "Two charges.", keyPoints: ["double charge"] });
    expect(r.usage.tokensIn).toBeGreaterThan(0);
    expect(r.usage.tokensOut).toBeGreaterThan(0);
    expect(String(fake.requests[0]!.body.messages[0]!.content)).toContain("at most 20 words");
  });

  it("agent.draft validates against the step's output schema", async () => {
    fake.enqueue(answer({ subject: "Welcome, Ada", body: "Hello Ada, welcome aboard." }));
    const r = await runtime().execute(
      exec("agent.draft", {
        prompt: "Write a short welcome email for Ada.",
        output: {
          type: "object",
          required: ["subject", "body"],
          properties: { subject: { type: "string" }, body: { type: "string" } },
        },
        tone: "friendly",
      }),
    );
    expect(r.output).toEqual({ subject: "Welcome, Ada", body: "Hello Ada, welcome aboard." });
    expect(String(fake.requests[0]!.body.messages[0]!.content)).toContain("Tone: friendly");
  });

  it("agent.route", async () => {
    fake.enqueue(answer({ route: "support", confidence: 0.7, rationale: "SSO is technical" }));
    const r = await runtime().execute(
      exec("agent.route", {
        text: "Our SSO login is broken",
        routes: [
          { name: "support", description: "Technical problems" },
          { name: "billing", description: "Invoices and payments" },
        ],
        fallbackRoute: "triage",
      }),
    );
    expect(r.output).toEqual({ route: "support", confidence: 0.7, rationale: "SSO is technical" });
    expect(String(fake.requests[0]!.body.messages[0]!.content)).toContain('answer "triage"');
  });

  it("Azure OpenAI: deployment path and api-version through AzureOpenAI", async () => {
    fake.enqueue(answer({ label: "sales", confidence: 0.6 }));
    const rt = runtime({
      models: [
        model("azure-gpt", {
          provider: "azure",
          baseURL: fake.origin,
          model: "gpt-4o-mini-deploy",
          apiKeyEnv: "AZURE_KEY",
          apiVersion: "2024-10-21",
        }),
      ],
      env: { AZURE_KEY: "az-secret" },
    });
    const r = await rt.execute(exec("agent.classify", classifyInputs));
    expect(r.output.label).toBe("sales");
    const req = fake.requests[0]!;
    expect(req.path).toBe(
      "/openai/deployments/gpt-4o-mini-deploy/chat/completions?api-version=2024-10-21",
    );
    expect(req.headers["api-key"]).toBe("az-secret");
    expect(req.body.max_completion_tokens).toBe(100);
  });

  it("the engine's BlockRuntime adapter returns the output and records usage", async () => {
    fake.enqueue(answer({ label: "billing", confidence: 1 }));
    const usageSink = createInMemoryUsageSink();
    const block = runtime({ usageSink }).blockRuntime();
    const req = {
      step: { id: "classify", block: {}, source: { model: { fallback: [], budgetUsd: 1 } } },
      block: {
        id: "agent.classify",
        version: "1.1.0",
        major: 1,
        kind: "agent",
        sideEffect: "none",
        system: "llm",
      },
      inputs: classifyInputs,
      idempotencyKey: "k",
      attempt: 2,
      signal: new AbortController().signal,
      run: {
        id: "run-9",
        workspaceId: "ws-1",
        workflowId: null,
        version: null,
        flow: "triage",
        inputs: {},
        startedBy: null,
      },
      consentId: null,
      services: {},
    } as unknown as RuntimeRequest;
    expect(await block.execute(req)).toMatchObject({ label: "billing" });
    expect(usageSink.rows).toEqual([
      expect.objectContaining({
        runId: "run-9",
        stepId: "classify",
        attempt: 2,
        flow: "triage",
        model: "small",
      }),
    ]);
  });
});

describe("routing and fallbacks", () => {
  it("falls over to the next model on a 500 and records what it tried", async () => {
    fake.enqueueFor("primary", { kind: "error", status: 500, message: "upstream exploded" });
    fake.enqueueFor("backup", answer({ label: "billing", confidence: 0.9 }));
    const rt = runtime({
      models: [model("primary"), model("backup", { costPerInputToken: 0.01 })],
    });
    const r = await rt.execute(exec("agent.classify", classifyInputs));
    expect(r.usage.model).toBe("backup");
    expect(fake.requests.map((q) => q.body.model)).toEqual(["primary", "backup"]);
    expect(r.decisions[0]).toMatchObject({
      type: "route",
      model: "backup",
      tried: [
        { model: "primary", outcome: expect.stringMatching(/^failed: .*500/) },
        { model: "backup", outcome: "ok" },
      ],
    });
  });

  it("uses model.fallback names in order", async () => {
    fake.enqueueFor("a", { kind: "error", status: 503 });
    fake.enqueueFor("c", answer({ label: "billing", confidence: 0.9 }));
    const rt = runtime({ models: [model("a"), model("b"), model("c")] });
    const r = await rt.execute(
      exec("agent.classify", classifyInputs, { model: { route: "a", fallback: ["c", "b"] } }),
    );
    expect(r.usage.model).toBe("c");
    expect(fake.requests.map((q) => q.body.model)).toEqual(["a", "c"]);
  });

  it("tries first the model an evaluation recommends for the block, unless the step routes", async () => {
    const asked: Array<{ workspaceId: string; blockId: string }> = [];
    const routePreference = {
      preferredModel: async (q: { workspaceId: string; blockId: string }) => {
        asked.push(q);
        return { model: "b", detail: "eval run e: pass^n 1" };
      },
    };
    const rt = runtime({ models: [model("a"), model("b")], routePreference });
    fake.enqueueFor("b", answer({ label: "billing", confidence: 0.9 }));
    const preferred = await rt.execute(exec("agent.classify", classifyInputs));
    expect(preferred.usage.model).toBe("b");
    expect(preferred.decisions).toContainEqual(
      expect.objectContaining({ type: "route", model: "b", evaluated: "eval run e: pass^n 1" }),
    );
    expect(asked).toEqual([{ workspaceId: "ws-1", blockId: "agent.classify" }]);
    // The step's own route wins over the recommendation.
    fake.enqueueFor("a", answer({ label: "billing", confidence: 0.9 }));
    const routed = await rt.execute(
      exec("agent.classify", classifyInputs, { model: { route: "a", fallback: [] } }),
    );
    expect(routed.usage.model).toBe("a");
    // A failing lookup costs only the hint.
    const broken = runtime({
      models: [model("a"), model("b")],
      routePreference: { preferredModel: () => Promise.reject(new Error("db down")) },
    });
    fake.enqueueFor("a", answer({ label: "billing", confidence: 0.9 }));
    expect((await broken.execute(exec("agent.classify", classifyInputs))).usage.model).toBe("a");
  });

  it("a 429 with Retry-After becomes RetryAfterError when no model is left", async () => {
    fake.enqueue({ kind: "error", status: 429, headers: { "retry-after": "7" } });
    const err = await runtime()
      .execute(exec("agent.classify", classifyInputs))
      .catch((e) => e);
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.retryAfterMs).toBe(7000);
  });

  it("maps 401 to a non-retryable auth error naming the key variable", async () => {
    fake.enqueue({ kind: "error", status: 401, message: "bad key" });
    const rt = runtime({
      models: [model("small", { apiKeyEnv: "SMALL_KEY" })],
      env: { SMALL_KEY: "x" },
    });
    const err = await rt.execute(exec("agent.classify", classifyInputs)).catch((e) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.classification).toEqual({ category: "auth", severity: "high" });
    expect(err.message).toContain("SMALL_KEY");
    expect(fake.requests[0]!.headers.authorization).toBe("Bearer x");
  });

  it("maps 400 to a non-retryable validation error without falling over", async () => {
    fake.enqueueFor("a", { kind: "error", status: 400, message: "context length exceeded" });
    const rt = runtime({ models: [model("a"), model("b")] });
    const err = await rt.execute(exec("agent.classify", classifyInputs)).catch((e) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.classification.category).toBe("validation");
    expect(fake.requests).toHaveLength(1);
  });

  it("a 5xx HTML page on the only model is a retryable integration error", async () => {
    fake.enqueue({
      kind: "raw",
      status: 502,
      body: "<html>Bad gateway</html>",
      contentType: "text/html",
    });
    const err = await runtime()
      .execute(exec("agent.classify", classifyInputs))
      .catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err.retryable).toBe(true);
    expect(err.classification.category).toBe("integration");
  });

  it("an unreachable server is a retryable integration error", async () => {
    const rt = runtime({ models: [testModel("down", { baseURL: "http://127.0.0.1:9/v1" })] });
    const err = await rt.execute(exec("agent.classify", classifyInputs)).catch((e) => e);
    expect(err.retryable).toBe(true);
    expect(err.classification.category).toBe("integration");
  });

  it("an abort by the engine rethrows its reason and does not fall over", async () => {
    const controller = new AbortController();
    const reason = new NonRetryableError("run cancelled");
    controller.abort(reason);
    const rt = runtime({ models: [model("a"), model("b")] });
    const err = await rt
      .execute(exec("agent.classify", classifyInputs, { signal: controller.signal }))
      .catch((e) => e);
    expect(err).toBe(reason);
    expect(rt.router.health("a").consecutiveFailures).toBe(0);
  });

  it("cools a failing model down (fake clock) and tries it again afterwards", async () => {
    const clock = fakeClock();
    const models = [model("flaky"), model("steady", { costPerInputToken: 0.001 })];
    const router = createModelRouter({ models, clock, failureThreshold: 2, cooldownMs: 60_000 });
    const rt = runtime({ models, router, clock });
    for (let i = 0; i < 2; i++) {
      fake.enqueueFor("flaky", { kind: "error", status: 500 });
      fake.enqueueFor("steady", answer({ label: "billing", confidence: 0.9 }));
      await rt.execute(exec("agent.classify", classifyInputs, { runId: `r${i}` }));
    }
    fake.requests.length = 0;
    fake.enqueueFor("steady", answer({ label: "billing", confidence: 0.9 }));
    const cooled = await rt.execute(exec("agent.classify", classifyInputs, { runId: "r3" }));
    expect(fake.requests.map((q) => q.body.model)).toEqual(["steady"]);
    expect(cooled.decisions[0]).toMatchObject({
      skipped: [expect.objectContaining({ model: "flaky", reason: "cooldown" })],
    });

    clock.advance(60_000);
    fake.requests.length = 0;
    fake.enqueueFor("flaky", answer({ label: "billing", confidence: 0.9 }));
    const back = await rt.execute(exec("agent.classify", classifyInputs, { runId: "r4" }));
    expect(back.usage.model).toBe("flaky");
  });
});

describe("budgets", () => {
  const cheap = () =>
    model("cheap", { tier: "small", costPerInputToken: 1e-6, costPerOutputToken: 1e-6 });
  const pricey = () =>
    model("pricey", { tier: "large", costPerInputToken: 1e-3, costPerOutputToken: 1e-3 });

  it("a per-run budget forces the cheaper model", async () => {
    fake.enqueue(answer({ label: "billing", confidence: 0.9 }));
    const rt = runtime({ models: [cheap(), pricey()] });
    const r = await rt.execute(
      exec("agent.classify", classifyInputs, {
        model: { fallback: [], budgetUsd: 0.01, preference: "quality" },
      }),
    );
    expect(r.usage.model).toBe("cheap");
    expect(r.decisions[0]).toMatchObject({
      skipped: [expect.objectContaining({ model: "pricey", reason: "budget" })],
    });
  });

  it("fails with a non-retryable error naming the budget when nothing fits", async () => {
    const rt = runtime({ models: [cheap(), pricey()] });
    const err = await rt
      .execute(
        exec("agent.classify", classifyInputs, { model: { fallback: [], budgetUsd: 0.00001 } }),
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.message).toMatch(
      /run budget \(model\.budget_usd of the step\) of \$0\.00001 would be exceeded/,
    );
    expect(fake.requests).toHaveLength(0);
  });

  it("counts what the run already spent, and the workspace's monthly budget", async () => {
    const usageSink = createInMemoryUsageSink();
    await usageSink.record({
      workspaceId: "ws-1",
      runId: "run-1",
      stepId: "earlier",
      attempt: 1,
      flow: "f",
      model: "cheap",
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0.5,
      at: new Date(fakeClock().now()),
    });
    const clock = fakeClock();
    const rt = runtime({ models: [cheap()], usageSink, clock });
    const runErr = await rt
      .execute(exec("agent.classify", classifyInputs, { model: { fallback: [], budgetUsd: 0.5 } }))
      .catch((e) => e);
    expect(runErr.message).toMatch(/run budget/);
    const ws = runtime({ models: [cheap()], usageSink, clock, workspaceBudgetUsd: () => 0.5 });
    const wsErr = await ws
      .execute(exec("agent.classify", classifyInputs, { runId: "other" }))
      .catch((e) => e);
    expect(wsErr.message).toMatch(/workspace monthly budget of \$0\.5 would be exceeded/);
  });
});

describe("structured output", () => {
  it("repairs broken JSON structurally without asking the model again", async () => {
    fake.enqueue({
      kind: "json",
      content: "Here you go:\n```json\n{'label': 'billing', confidence: 0.9,}\n```",
    });
    const r = await runtime().execute(exec("agent.classify", classifyInputs));
    expect(r.output).toMatchObject({ label: "billing", confidence: 0.9 });
    expect(fake.requests).toHaveLength(1);
    expect(r.decisions).toContainEqual(
      expect.objectContaining({ type: "repair", stage: "structural" }),
    );
  });

  it("sends ONE repair request with the validation errors", async () => {
    fake.enqueue(
      answer({ label: "refund", confidence: 2 }),
      answer({ label: "billing", confidence: 0.8 }),
    );
    const r = await runtime().execute(exec("agent.classify", classifyInputs));
    expect(r.output).toMatchObject({ label: "billing", confidence: 0.8 });
    expect(fake.requests).toHaveLength(2);
    const repair = fake.requests[1]!.body.messages.at(-1)!;
    expect(repair.role).toBe("user");
    expect(String(repair.content)).toMatch(/label: must be equal to one of the allowed values/);
    expect(String(repair.content)).toMatch(/confidence: must be <= 1/);
    expect(r.usage.tokensIn).toBe(40);
  });

  it("then fails with a validation error naming the fields", async () => {
    fake.enqueue(answer({ confidence: 0.5 }), { kind: "json", content: "sorry, I cannot" });
    const err = await runtime()
      .execute(
        exec("agent.draft", {
          prompt: "x",
          output: {
            type: "object",
            required: ["subject"],
            properties: { subject: { type: "string" } },
          },
        }),
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(AgentOutputError);
    expect(err.classification.category).toBe("validation");
    expect(err.retryable).toBe(true);
    expect(fake.requests).toHaveLength(2);

    fake.requests.length = 0;
    fake.enqueue(answer({ confidence: 0.5 }), answer({ subject: 3 }));
    const err2 = await runtime()
      .execute(
        exec("agent.draft", {
          prompt: "x",
          output: {
            type: "object",
            required: ["subject", "body"],
            properties: { subject: { type: "string" }, body: { type: "string" } },
          },
        }),
      )
      .catch((e) => e);
    expect([...err2.fields].sort()).toEqual(["body", "subject"]);
    expect(err2.message).toMatch(/subject: must be string/);
    expect(err2.message).toMatch(/body: must have required property 'body'/);
  });

  it("records the usage of a failed attempt", async () => {
    const usageSink = createInMemoryUsageSink();
    fake.enqueue(answer({}), answer({}));
    await runtime({ usageSink })
      .execute(exec("agent.classify", classifyInputs))
      .catch(() => undefined);
    expect(usageSink.rows).toEqual([
      expect.objectContaining({ tokensIn: 40, tokensOut: 20, attempt: 1 }),
    ]);
  });
});

describe("tools", () => {
  const lookup: BlockDefinition = {
    id: "crm.contact.get",
    version: "2.0.0",
    kind: "connector",
    title: "Get contact",
    docs: "Reads a contact",
    inputSchema: {
      type: "object",
      properties: { id: { type: "string" } },
      required: ["id"],
      additionalProperties: false,
    },
    outputSchema: { type: "object" },
    sideEffect: "read",
    baselineTrust: 0.9,
    example: { id: "c1" },
  };

  function executor() {
    const calls: Array<{ id: string; inputs: unknown; key: string }> = [];
    return {
      calls,
      toolsFor: () => [lookup],
      execute: async (call: {
        block: { id: string };
        inputs: Record<string, unknown>;
        idempotencyKey: string;
      }) => {
        calls.push({ id: call.block.id, inputs: call.inputs, key: call.idempotencyKey });
        return { name: "Ada", plan: "enterprise" };
      },
    };
  }

  it("calls registry blocks as typed tools, within the step bound", async () => {
    const tools = executor();
    fake.enqueue(
      { kind: "tool_calls", calls: [{ name: "crm_contact_get_v2", arguments: { id: "c1" } }] },
      {
        kind: "tool_calls",
        calls: [{ name: "crm_contact_get_v2", arguments: { id: "c2" } }],
        stream: false,
      },
      { kind: "tool_calls", calls: [{ name: "crm_contact_get_v2", arguments: { id: "c3" } }] },
      answer({ label: "sales", confidence: 0.7 }),
    );
    const rt = runtime({
      models: [model("small", { capabilities: { tasks: ["classification"], tools: true } })],
      toolExecutor: tools,
      maxToolCallsPerStep: 2,
    });
    const r = await rt.execute(exec("agent.classify", classifyInputs));
    expect(r.output.label).toBe("sales");
    expect(tools.calls).toEqual([
      { id: "crm.contact.get", inputs: { id: "c1" }, key: "run-1:step:1:tool:0" },
      { id: "crm.contact.get", inputs: { id: "c2" }, key: "run-1:step:1:tool:1" },
    ]);
    const first = fake.requests[0]!.body;
    expect(first.tools![0]!.function).toMatchObject({
      name: "crm_contact_get_v2",
      parameters: lookup.inputSchema,
    });
    expect(first.tool_choice).toBe("auto");
    expect(fake.requests[3]!.body.tool_choice).toBe("none");
    expect(String(fake.requests[3]!.body.messages.at(-1)!.content)).toMatch(/limit of 2/);
    expect(r.decisions).toContainEqual({ type: "tools", calls: 2, limit: 2, limitReached: true });
  });

  it("assembles streamed tool calls and rejects invalid arguments without calling the tool", async () => {
    const tools = executor();
    fake.enqueue(
      {
        kind: "tool_calls",
        calls: [{ name: "crm_contact_get_v2", arguments: { nope: 1 } }],
        stream: true,
      },
      { kind: "stream", content: '{"label":"technical","confidence":0.6}' },
    );
    const rt = runtime({
      models: [
        model("small", { stream: true, capabilities: { tasks: ["classification"], tools: true } }),
      ],
      toolExecutor: tools,
    });
    const r = await rt.execute(exec("agent.classify", classifyInputs));
    expect(r.output.label).toBe("technical");
    expect(tools.calls).toEqual([]);
    expect(String(fake.requests[1]!.body.messages.at(-1)!.content)).toMatch(
      /Invalid arguments: id: must have required property 'id'|must have required property 'id'/,
    );
  });

  it("offers no tools to a model without the tools capability", async () => {
    fake.enqueue(answer({ label: "sales", confidence: 0.7 }));
    await runtime({ toolExecutor: executor() }).execute(exec("agent.classify", classifyInputs));
    expect(fake.requests[0]!.body.tools).toBeUndefined();
  });
});

describe("PII guard", () => {
  const pii = {
    text: "Ada (ada@example.com) paid twice with card 4111 1111 1111 1111",
    labels: ["billing", "sales"],
  };

  it("redacts the prompt by default and logs kinds and counts only", async () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    fake.enqueue(answer({ label: "billing", confidence: 0.9 }));
    const r = await runtime({ logger }).execute(exec("agent.classify", pii));
    const sent = JSON.stringify(fake.requests[0]!.body.messages);
    expect(sent).not.toContain("ada@example.com");
    expect(sent).not.toContain("4111");
    expect(sent).toContain("[EMAIL_1]");
    expect(sent).toContain("[CARD_1]");
    expect(r.decisions).toContainEqual({
      type: "pii",
      where: "prompt",
      policy: "redact",
      action: "redacted",
      counts: { email: 1, card: 1 },
    });
    const logged = JSON.stringify(logger.info.mock.calls);
    expect(logged).toContain('"counts":{"email":1,"card":1}');
    expect(logged).not.toContain("ada@example.com");
  });

  it("block fails the step before any call", async () => {
    const err = await runtime({ pii: "block" })
      .execute(exec("agent.classify", pii))
      .catch((e) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.message).toMatch(/personal data \(email: 1, card: 1\).*block/);
    expect(fake.requests).toHaveLength(0);
  });

  it("allow sends the prompt as is, and the flow's policy wins over the default", async () => {
    fake.enqueue(answer({ label: "billing", confidence: 0.9 }));
    const r = await runtime({ pii: "block" }).execute(
      exec("agent.classify", pii, { pii: "allow" }),
    );
    expect(JSON.stringify(fake.requests[0]!.body.messages)).toContain("ada@example.com");
    expect(r.decisions).toContainEqual(
      expect.objectContaining({ where: "prompt", action: "allowed" }),
    );
  });

  it("redacts PII the model puts in its answer", async () => {
    fake.enqueue(answer({ subject: "Hi", body: "Call me at +44 20 7946 0958" }));
    const r = await runtime().execute(
      exec("agent.draft", { prompt: "Write", output: { type: "object" } }),
    );
    expect(r.output).toEqual({ subject: "Hi", body: "Call me at [PHONE_1]" });
    expect(r.decisions).toContainEqual(
      expect.objectContaining({ where: "output", action: "redacted", counts: { phone: 1 } }),
    );
  });
});

describe("memory", () => {
  it("injects the flow chain's memory, nearest flow first, capped, and remembers the answer", async () => {
    const items: MemoryItem[] = [
      { flow: "child", kind: "fact", key: "tone", content: "be brief", createdAt: new Date() },
      { flow: "parent", kind: "fact", key: "tone", content: "be verbose", createdAt: new Date() },
      {
        flow: "parent",
        kind: "fact",
        key: "vip",
        content: "ACME is a VIP customer",
        createdAt: new Date(),
      },
    ];
    const remembered: unknown[] = [];
    const memory: AgentMemoryPort = {
      recall: vi.fn(async () => items),
      remember: async (i) => void remembered.push(i),
    };
    fake.enqueue(answer({ label: "billing", confidence: 0.9 }));
    await runtime({ memory }).execute(
      exec("agent.classify", classifyInputs, { flow: "child", flowChain: ["parent", "child"] }),
    );
    expect(memory.recall).toHaveBeenCalledWith({
      workspaceId: "ws-1",
      flows: ["child", "parent"],
      limit: 50,
    });
    const system = fake.requests[0]!.body.messages.filter((m) => m.role === "system")
      .map((m) => String(m.content))
      .join("\n");
    expect(system).toContain("- fact tone: be brief");
    expect(system).not.toContain("be verbose");
    expect(system).toContain("ACME is a VIP customer");
    expect(remembered).toEqual([
      expect.objectContaining({
        flow: "child",
        kind: "context",
        key: "run-1:step",
        workspaceId: "ws-1",
      }),
    ]);
  });

  it("renderMemory keeps within the size cap", () => {
    const many = Array.from({ length: 100 }, (_, i): MemoryItem => ({
      flow: "f",
      kind: "context",
      key: `k${i}`,
      content: "x".repeat(50),
      createdAt: new Date(),
    }));
    const text = renderMemory(many, 500);
    expect(text.length).toBeLessThanOrEqual(500);
    expect(text.split("\n").length).toBe(8);
  });
});

describe("configuration errors", () => {
  it("with no model at all (TRUSTFLOW_MODELS=[]), names TRUSTFLOW_MODELS", async () => {
    // An unset TRUSTFLOW_MODELS means the built-in demo model (demo-model/agent-blocks.test.ts);
    // an empty list is the one way to have no model, and an agent step then says what to set.
    const models = loadModels({ env: { TRUSTFLOW_MODELS: "[]" } }).models;
    expect(models).toEqual([]);
    const err = await createAgentRuntime({ models })
      .execute(exec("agent.classify", classifyInputs))
      .catch((e) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.message).toMatch(/No language model is configured.*Set TRUSTFLOW_MODELS/);
  });

  it("without the API key, names the apiKeyEnv variable", async () => {
    const rt = runtime({
      models: [model("gpt", { provider: "openai", apiKeyEnv: "OPENAI_API_KEY" })],
      env: {},
    });
    const err = await rt.execute(exec("agent.classify", classifyInputs)).catch((e) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect(err.message).toMatch(/set OPENAI_API_KEY/);
  });

  it("without a model for the task, says which capability to add", async () => {
    const rt = runtime({ models: [model("drafter", { capabilities: { tasks: ["drafting"] } })] });
    const err = await rt.execute(exec("agent.route", { text: "x", routes: [] })).catch((e) => e);
    expect(err.message).toMatch(/No configured model can do routing: add "routing"/);
  });
});
