import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAgentRuntime } from "@/server/adapters/llm/agent-runtime";
import {
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from "@/server/adapters/llm/testing/fake-openai-server";
import { modelTestEgress, testModel } from "@/server/adapters/llm/testing/models";
import type { Database } from "@/server/adapters/prisma";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createCallerFactory, createContextInner, router } from "@/server/trpc/init";
import { modelRouter } from "@/server/trpc/routers/model";
import {
  createPrismaAgentMemory,
  recallMemory,
  remember,
  rememberFact,
  searchMemory,
} from "@/server/adapters/llm/prisma-memory";
import {
  createPrismaUsageSink,
  recordAgentUsage,
  sumUsageByFlow,
  sumUsageByRun,
} from "@/server/adapters/llm/prisma-usage";
import type { AgentExecution } from "./ports";

let db: Database;
let fake: FakeOpenAiServer;
let ws: string;
let owner: Awaited<ReturnType<typeof makeUser>>;
let otherWs: string;
beforeAll(async () => {
  db = await openTestDatabase();
  fake = await startFakeOpenAiServer();
  owner = await makeUser(db.prisma, "agent");
  ws = owner.workspace.id;
  otherWs = (await makeUser(db.prisma, "agent-other")).workspace.id;
});
afterAll(async () => {
  await fake?.close();
  await db?.close();
});

/** Remembers a fact of `flowName` (in the owner's workspace unless told). */
const fact = (flowName: string, key: string, content: string, workspaceId = ws) =>
  rememberFact(db.prisma, { workspaceId, flowName, key, content });

describe("agent memory", () => {
  it("a sub-flow inherits its parents' memory, nearest flow first, within its workspace", async () => {
    await fact("onboarding", "tone", "Formal, no emojis");
    await fact("onboarding", "vip", "ACME is a VIP");
    await fact("welcome-email", "tone", "Warm and short");
    await fact("renewals", "secret-plan", "not inherited");
    await fact("onboarding", "leak", "other tenant", otherWs);
    await remember(db.prisma, {
      workspaceId: ws,
      flowName: "welcome-email",
      kind: "context",
      key: "run-0:draft",
      content: "drafted for Ada",
    });

    const items = await recallMemory(db.prisma, {
      workspaceId: ws,
      flows: ["welcome-email", "onboarding"],
      limit: 20,
    });
    expect(items.map((i) => [i.flow, i.kind, i.key])).toEqual([
      ["welcome-email", "fact", "tone"],
      ["onboarding", "fact", "vip"],
      ["onboarding", "fact", "tone"],
      ["welcome-email", "context", "run-0:draft"],
    ]);
    // The parent alone does not see the child's memory.
    const parent = await recallMemory(db.prisma, {
      workspaceId: ws,
      flows: ["onboarding"],
      limit: 20,
    });
    expect(parent.map((i) => i.key).sort()).toEqual(["tone", "vip"]);
  });

  it("replaces a fact by key", async () => {
    await fact("facts", "currency", "USD");
    await fact("facts", "currency", "EUR");
    const items = await recallMemory(db.prisma, { workspaceId: ws, flows: ["facts"], limit: 10 });
    expect(items.map((i) => i.content)).toEqual(["EUR"]);
  });

  it("searches case-insensitively; every term must match; % is literal", async () => {
    await fact("search", "discount", "Give 10% discount to Nonprofits");
    await fact("search", "region", "Ship EU orders from Berlin");
    const flows = ["search"];
    const find = async (query: string) =>
      (await searchMemory(db.prisma, { workspaceId: ws, flows, query })).map((i) => i.key);
    expect(await find("NONPROFIT")).toEqual(["discount"]);
    expect(await find("berlin eu")).toEqual(["region"]);
    expect(await find("berlin nonprofit")).toEqual([]);
    expect(await find("10%")).toEqual(["discount"]);
    expect(await find("%")).toEqual(["discount"]);
    expect(await find("_")).toEqual([]);
    expect(await find("REGION")).toEqual(["region"]);
    expect(await searchMemory(db.prisma, { workspaceId: otherWs, flows, query: "berlin" })).toEqual(
      [],
    );
  });
});

describe("agent usage", () => {
  const at = new Date("2026-11-22T12:00:00Z");

  it("sums per run and per flow; a replayed attempt overwrites its row", async () => {
    const row = { workspaceId: ws, runId: "run-a", flow: "triage", at };
    await recordAgentUsage(db.prisma, {
      ...row,
      stepId: "classify",
      attempt: 1,
      model: "small",
      tokensIn: 100,
      tokensOut: 10,
      costUsd: 0.00012,
    });
    const retry = {
      ...row,
      stepId: "classify",
      attempt: 2,
      model: "large",
      tokensIn: 100,
      tokensOut: 20,
      costUsd: 0.0015,
    };
    await recordAgentUsage(db.prisma, retry);
    await recordAgentUsage(db.prisma, retry); // replayed
    await recordAgentUsage(db.prisma, {
      ...row,
      runId: "run-b",
      stepId: "draft",
      attempt: 1,
      model: "small",
      tokensIn: 50,
      tokensOut: 5,
      costUsd: 0.00006,
    });

    const run = await sumUsageByRun(db.prisma, { workspaceId: ws, runId: "run-a" });
    expect(run).toMatchObject({ attempts: 2, tokensIn: 200, tokensOut: 30 });
    expect(run.costUsd).toBeCloseTo(0.00162, 10);
    expect(run.byModel.map((m) => m.model)).toEqual(["large", "small"]);

    const flow = await sumUsageByFlow(db.prisma, { workspaceId: ws, flowName: "triage" });
    expect(flow).toMatchObject({ attempts: 3, tokensIn: 250, tokensOut: 35 });
    expect(flow.costUsd).toBeCloseTo(0.00168, 10);
    expect(
      await sumUsageByFlow(db.prisma, { workspaceId: otherWs, flowName: "triage" }),
    ).toMatchObject({ attempts: 0, costUsd: 0 });
    expect(
      (
        await sumUsageByFlow(db.prisma, {
          workspaceId: ws,
          flowName: "triage",
          since: new Date("2027-01-01"),
        })
      ).attempts,
    ).toBe(0);
  });
});

describe("the agent runtime on the database", () => {
  const exec = (over: Partial<AgentExecution>): AgentExecution => ({
    block: { id: "agent.classify", version: "1.1.0", major: 1 },
    inputs: { text: "Charged twice", labels: ["billing", "sales"] },
    idempotencyKey: "k",
    attempt: 1,
    signal: new AbortController().signal,
    workspaceId: ws,
    runId: "run-db",
    stepId: "classify",
    flow: "child-flow",
    flowChain: ["parent-flow", "child-flow"],
    ...over,
  });

  it("reads inherited memory, records usage, remembers context and enforces the run budget", async () => {
    await fact("parent-flow", "policy", "Refunds need approval");
    const rt = createAgentRuntime({
      models: [testModel("small", { baseURL: fake.baseURL })],
      egress: modelTestEgress(),
      memory: createPrismaAgentMemory(db.prisma),
      usageSink: createPrismaUsageSink(db.prisma),
    });
    fake.enqueue({
      kind: "json",
      content: '{"label":"billing","confidence":0.9}',
      usage: { prompt: 1000, completion: 100 },
    });
    const r = await rt.execute(exec({}));
    expect(r.output.label).toBe("billing");
    expect(JSON.stringify(fake.requests.at(-1)!.body.messages)).toContain("Refunds need approval");

    const sum = await sumUsageByRun(db.prisma, { workspaceId: ws, runId: "run-db" });
    expect(sum).toMatchObject({ attempts: 1, tokensIn: 1000, tokensOut: 100 });
    expect(sum.costUsd).toBeCloseTo(1000 * 1e-6 + 100 * 2e-6, 10);
    const remembered = await searchMemory(db.prisma, {
      workspaceId: ws,
      flows: ["child-flow"],
      query: "billing",
    });
    expect(remembered.map((i) => i.key)).toEqual(["run-db:classify"]);

    // The run has spent $0.0012; a budget of $0.0013 leaves no room for another call.
    const err = await rt
      .execute(exec({ stepId: "again", model: { fallback: [], budgetUsd: 0.0013 } }))
      .catch((e) => e);
    expect(err.message).toMatch(/run budget/);
  });
});

describe("the model router (tRPC)", () => {
  const caller = () =>
    createCallerFactory(router({ model: modelRouter }))(
      createContextInner({ db: db.prisma, user: owner.user, workspaceId: ws }),
    );

  it("lists configured models without their keys", async () => {
    vi.stubEnv(
      "TRUSTFLOW_MODELS",
      JSON.stringify([
        {
          name: "gpt-4o-mini",
          provider: "openai",
          apiKeyEnv: "OPENAI_API_KEY",
          model: "gpt-4o-mini",
          capabilities: { tasks: ["classification"] },
          costPerInputToken: 1e-7,
          costPerOutputToken: 1e-7,
          tier: "small",
        },
      ]),
    );
    try {
      const r = await caller().model.list();
      expect(r.source).toBe("TRUSTFLOW_MODELS");
      expect(r.models[0]).toMatchObject({ name: "gpt-4o-mini", tasks: ["classification"] });
      expect(JSON.stringify(r)).not.toContain("OPENAI_API_KEY");
      vi.stubEnv("TRUSTFLOW_MODELS", "[{");
      await expect(caller().model.list()).rejects.toThrow(/TRUSTFLOW_MODELS is not valid JSON/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("remembers, searches and forgets facts, with an audit entry; reads usage", async () => {
    const c = caller();
    await c.model.rememberFact({
      flowName: "trpc-flow",
      key: "sla",
      content: "Answer within 4 hours",
    });
    expect(
      (await c.model.searchMemory({ flows: ["trpc-flow"], query: "HOURS" })).map((i) => i.key),
    ).toEqual(["sla"]);
    expect(await c.model.forgetFact({ flowName: "trpc-flow", key: "sla" })).toEqual({ deleted: 1 });
    const actions = await db.prisma.auditEntry.findMany({
      where: { workspaceId: ws },
      select: { action: true, payload: true },
    });
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(["agent.memory.remember", "agent.memory.forget"]),
    );
    expect(JSON.stringify(actions)).not.toContain("4 hours");
    expect(await c.model.usageByRun({ runId: "run-a" })).toMatchObject({
      attempts: 2,
      tokensIn: 200,
    });
    expect(await c.model.usageByFlow({ flowName: "triage" })).toMatchObject({ attempts: 3 });
  });
});
