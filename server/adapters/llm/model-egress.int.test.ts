/**
 * Live (non-sandbox) agent steps call their models through the egress guard bound to the run's
 * workspace, through the server's own wiring (`serverRuntimes`). The operator configured models
 * served on 127.0.0.1 (`TRUSTFLOW_MODELS`); the workspace allow-lists nothing. The configured
 * host and port pass and the guard counts the call; any other private port (a redirect) is
 * refused, even when the workspace allow-lists 127.0.0.1; a flow's own http.request still cannot
 * reach the model's port; a model's `timeoutMs`, not `EGRESS_TIMEOUT_MS`, bounds its calls.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_EGRESS_LIMITS } from "@/server/adapters/egress/guard";
import { egressCallCount } from "@/server/adapters/egress/metrics";
import { serverEgressGuard } from "@/server/adapters/egress/server-guard";
import type { Database } from "@/server/adapters/prisma";
import type { Engine } from "@/server/engine/engine";
import { allowLoopback } from "@/server/testing/egress";
import { engineFor, tickToEnd } from "@/server/testing/engine";
import { callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { startFakeOpenAiServer, type FakeOpenAiServer } from "./testing/fake-openai-server";
import { classifyRouteFlow } from "./testing/flows";

/** The generic egress timeout of this test's guard: shorter than the slow model's answer. */
const GENERIC_TIMEOUT_MS = 500;

let db: Database;
let owner: TestUser;
let model: FakeOpenAiServer;
let elsewhere: FakeOpenAiServer;

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const configured = (name: string, over: Record<string, unknown> = {}) => ({
  name,
  provider: "openai-compatible",
  baseURL: model.baseURL,
  model: name,
  tier: "small",
  capabilities: { tasks: ["classification"], json: "json_object" },
  costPerInputToken: 0,
  costPerOutputToken: 0,
  ...over,
});
const label = (l: string, delayMs?: number) => ({
  kind: "json" as const,
  content: JSON.stringify({ label: l, confidence: 0.9 }),
  ...(delayMs ? { delayMs } : {}),
});

/**
 * The server's engine (its runtimes, the server's guard with metrics, a short generic timeout)
 * on exactly these configured models: the router falls over to every capable model, so each
 * test configures only its own.
 */
function engineOn(...models: Array<Record<string, unknown>>): Engine {
  vi.stubEnv("TRUSTFLOW_MODELS", JSON.stringify(models));
  return engineFor(db, {
    egress: serverEgressGuard(db.prisma, {
      limits: { ...DEFAULT_EGRESS_LIMITS, timeoutMs: GENERIC_TIMEOUT_MS },
    }),
  });
}

/** Runs a one-step flow whose classify step routes to `route` (no retry). */
async function classify(engine: Engine, route: string) {
  const wf = await api().workflow.create({
    name: `egress ${route} ${crypto.randomUUID().slice(0, 8)}`,
    dsl: classifyRouteFlow(route, "model-egress"),
  });
  const started = await api().run.start({
    workflowId: wf.id,
    draft: true,
    inputs: { text: "Refund my last invoice" },
  });
  return tickToEnd(engine, started.id);
}

beforeAll(async () => {
  model = await startFakeOpenAiServer();
  elsewhere = await startFakeOpenAiServer();
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "model-egress");
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await model?.close();
  await elsewhere?.close();
  await db?.close();
});

describe("live agent steps' model calls through the egress guard", () => {
  it("reach the operator's configured model on 127.0.0.1 without a workspace entry, counted", async () => {
    expect(await db.prisma.egressAllow.count({ where: { workspaceId: owner.workspace.id } })).toBe(
      0,
    );
    const before = await egressCallCount("model", "ok");
    model.enqueueFor("live", label("billing"));
    const run = await classify(engineOn(configured("live")), "live");
    expect(run.error).toBeNull();
    expect(run.status).toBe("succeeded");
    expect(model.requests.filter((r) => r.body.model === "live")).toHaveLength(1);
    expect(await egressCallCount("model", "ok")).toBe(before + 1);
  });

  it("refuse a redirect to a port the operator did not configure, whatever the workspace allows", async () => {
    const engine = engineOn(configured("hop"));
    const port = new URL(elsewhere.origin).port;
    const schemes = await egressCallCount("model", "scheme_not_allowed");
    const addresses = await egressCallCount("model", "forbidden_address");

    // Plain http to another port: the operator's entry names one port only.
    model.enqueueFor("hop", {
      kind: "redirect",
      location: `${elsewhere.baseURL}/chat/completions`,
    });
    const http = await classify(engine, "hop");
    expect(http.status).toBe("failed");
    expect(http.error?.message).toMatch(
      /plain http to 127\.0\.0\.1:\d+ is refused: model calls use https, or http to the host and port of a model the operator configured \(TRUSTFLOW_MODELS\)/,
    );

    // A workspace admin's entry for 127.0.0.1 is for the workspace's flows, not model calls:
    // https to that other port is refused on its address, before any connection.
    await allowLoopback(db.prisma, owner.workspace.id);
    model.enqueueFor("hop", {
      kind: "redirect",
      location: `https://127.0.0.1:${port}/v1/chat/completions`,
    });
    const https = await classify(engine, "hop");
    expect(https.status).toBe("failed");
    expect(https.error?.message).toMatch(
      new RegExp(
        `127\\.0\\.0\\.1 port ${port} refused: a loopback address is reachable by model calls only at the host and port of a model the operator configured \\(TRUSTFLOW_MODELS\\)`,
      ),
    );

    expect(elsewhere.requests).toEqual([]);
    expect(await egressCallCount("model", "scheme_not_allowed")).toBe(schemes + 1);
    expect(await egressCallCount("model", "forbidden_address")).toBe(addresses + 1);
    await db.prisma.egressAllow.deleteMany({ where: { workspaceId: owner.workspace.id } });
  });

  it("do not open the model's port to a flow's own http.request", async () => {
    const wf = await api().workflow.create({
      name: `egress http ${crypto.randomUUID().slice(0, 8)}`,
      dsl: `flow: model-port-probe
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: probe
    uses: http.request@1
    retry: { max: 0 }
    with:
      method: POST
      url: https://127.0.0.1:${new URL(model.origin).port}/v1/chat/completions
`,
    });
    const before = model.requests.length;
    const engine = engineOn(configured("live"));
    const started = await api().run.start({ workflowId: wf.id, draft: true, inputs: {} });
    const run = await tickToEnd(engine, started.id);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(
      /127\.0\.0\.1 refused: a loopback address is not reachable from flows unless a workspace admin allow-lists the host/,
    );
    expect(model.requests.length).toBe(before);
  });

  it("wait for a slow model up to its timeoutMs (past the generic egress timeout) and stop at it", async () => {
    model.enqueueFor("slow-ok", label("technical", GENERIC_TIMEOUT_MS * 3));
    const slow = await classify(engineOn(configured("slow-ok", { timeoutMs: 4000 })), "slow-ok");
    expect(slow.error).toBeNull();
    expect(slow.status).toBe("succeeded");

    const timeouts = await egressCallCount("model", "timeout");
    model.enqueueFor("slow-cut", label("billing", 20_000));
    const t0 = Date.now();
    const cut = await classify(engineOn(configured("slow-cut", { timeoutMs: 1000 })), "slow-cut");
    const took = Date.now() - t0;
    expect(cut.status).toBe("failed");
    expect(cut.error?.message).toMatch(/timed out after 1000 ms/);
    expect(took).toBeGreaterThanOrEqual(1000);
    // Stopped at its own limit, long before the answer would have come (bounded, not timed).
    expect(took).toBeLessThan(15_000);
    expect(await egressCallCount("model", "timeout")).toBe(timeouts + 1);
  });
});
