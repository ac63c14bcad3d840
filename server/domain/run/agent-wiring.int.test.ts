import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  startMockServer,
  type RunningMockServer,
} from "@/server/adapters/connectors/mock/node-server";
import {
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from "@/server/adapters/llm/testing/fake-openai-server";
import type { Database } from "@/server/adapters/prisma";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import type { RunRecord } from "@/server/engine/types";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createAgentToolExecutor, flowChainFromStore, MAX_FLOW_CHAIN_DEPTH } from "./agent-wiring";
import { serverRegistry as blockRegistry } from "../workflow/compile-flow";
import { allowLoopback } from "@/server/testing/egress";
import { servicesFor } from "@/server/testing/services";
import { engineFor, watchRunEnds } from "@/server/testing/engine";

let db: Database;
let worker: EmbeddedWorker;
let fake: FakeOpenAiServer;
let mock: RunningMockServer;
let owner: Awaited<ReturnType<typeof makeUser>>;
let ends: ReturnType<typeof watchRunEnds>;

const FLOW = `flow: contact-brief
version: 1.0.0
sla: T2
trigger:
  manual: {}
steps:
  - id: brief
    uses: agent.summarize@1
    with:
      text: Write a one-line brief of contact CON-1042.
      tools: [crm.contact.get@1]
    model:
      budget_usd: 1
outputs:
  summary: \${{ steps.brief.output.summary }}
`;

beforeAll(async () => {
  ends = watchRunEnds();
  db = await openTestDatabase();
  fake = await startFakeOpenAiServer();
  mock = await startMockServer();
  owner = await makeUser(db.prisma, "agent-tools");
  // The mock listens on 127.0.0.1: reachable through the egress guard once allow-listed.
  await allowLoopback(db.prisma, owner.workspace.id);
  await db.prisma.connector.create({
    data: {
      workspaceId: owner.workspace.id,
      name: "crm-main",
      system: "crm",
      baseUrl: mock.baseUrl("crm"),
    },
  });
  vi.stubEnv(
    "TRUSTFLOW_MODELS",
    JSON.stringify([
      {
        name: "tool-model",
        provider: "openai-compatible",
        baseURL: fake.baseURL,
        model: "tool-model",
        capabilities: { tasks: ["summarization"], json: "json_object", tools: true },
        maxTokens: 100,
        costPerInputToken: 0.000001,
        costPerOutputToken: 0.000002,
        tier: "small",
      },
    ]),
  );
  worker = startEmbeddedWorker(servicesFor(db), {
    engine: engineFor(db),
    pollMs: 20,
  });
});
afterAll(async () => {
  ends?.stop();
  await worker?.stop();
  vi.unstubAllEnvs();
  await fake?.close();
  await mock?.close();
  await db?.close();
});

describe("agent tools through the server runtimes", () => {
  it("lets the model call a read-only block named in `tools`", async () => {
    fake.enqueue(
      {
        kind: "tool_calls",
        calls: [{ name: "crm_contact_get_v1", arguments: { id: "CON-1042" } }],
      },
      { kind: "json", content: '{"summary":"CON-1042 is a known contact."}' },
    );
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Contact brief", dsl: FLOW });
    const started = await api.run.start({ workflowId: wf.id, draft: true, inputs: {} });
    // The worker's run-end notification follows the run's final checkpoint.
    await ends.ended(started.id);
    const done = await api.run.get({ id: started.id });
    expect(done.error).toBeNull();
    expect(done.output).toEqual({ summary: "CON-1042 is a known contact." });
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]!.body.tools!.map((t) => t.function.name)).toEqual([
      "crm_contact_get_v1",
    ]);
    const toolMessage = fake.requests[1]!.body.messages.find((m) => m.role === "tool");
    const result = JSON.parse(String(toolMessage!.content)) as { output?: { id?: string } };
    expect(result.output?.id).toBe("CON-1042");
  });

  it("offers only blocks that write nothing, and runs nothing it did not offer", async () => {
    const tools = createAgentToolExecutor({
      registry: blockRegistry,
      runtimes: { get: () => ({ execute: () => ({ ok: true }) }) },
    });
    const exec = {
      block: { id: "agent.summarize", version: "1.0.0", major: 1 },
      inputs: { tools: ["crm.contact.get@1", "crm.contact.update@1", "agent.classify@1", "x.y@1"] },
      idempotencyKey: "k",
      attempt: 1,
      signal: new AbortController().signal,
      workspaceId: "ws",
      runId: "r",
      stepId: "s",
    };
    expect(tools.toolsFor(exec).map((b) => b.id)).toEqual(["crm.contact.get"]);
    await expect(
      tools.execute(
        {
          block: { id: "crm.contact.update", version: "1.0.0", major: 1 },
          inputs: {},
          idempotencyKey: "k:tool:0",
        },
        exec,
      ),
    ).rejects.toThrow(/not a tool of this step/);
  });
});

describe("flowChainFromStore", () => {
  const runs = new Map<string, Pick<RunRecord, "parentRunId" | "ir">>();
  const add = (id: string, flow: string, parentRunId: string | null) =>
    runs.set(id, { parentRunId, ir: { name: flow } as RunRecord["ir"] });
  const store = { getRun: async (id: string) => (runs.get(id) as RunRecord) ?? null };
  const info = (id: string, flow: string) => ({
    id,
    flow,
    workspaceId: "ws",
    workflowId: null,
    version: null,
    inputs: {},
    startedBy: null,
  });

  it("returns the root flow first and the run's flow last, bounded in depth", async () => {
    add("root", "onboarding", null);
    add("mid", "welcome", "root");
    add("leaf", "welcome-email", "mid");
    expect(await flowChainFromStore(store)(info("leaf", "welcome-email"))).toEqual([
      "onboarding",
      "welcome",
      "welcome-email",
    ]);
    expect(await flowChainFromStore(store)(info("alone", "solo"))).toEqual(["solo"]);
    for (let i = 0; i < 20; i++) add(`d${i}`, `f${i}`, i === 0 ? null : `d${i - 1}`);
    const deep = await flowChainFromStore(store)(info("d19", "f19"));
    expect(deep).toHaveLength(MAX_FLOW_CHAIN_DEPTH + 1);
    expect(deep.at(-1)).toBe("f19");
    add("loop-a", "a", "loop-b");
    add("loop-b", "b", "loop-a");
    expect(await flowChainFromStore(store)(info("loop-a", "a"))).toEqual(["b", "a"]);
  });
});
