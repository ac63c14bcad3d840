import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { MockService } from "@/server/adapters/connectors/mock/mock-service";
import {
  createConnectorRuntime,
  withConnectorRuntimes,
} from "@/server/adapters/connectors/runtime";
import type { ResolvedConnector } from "@/server/adapters/connectors/runtime";
import { execution } from "@/server/adapters/connectors/testing/harness";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { breakerLabels, BreakerBoard, MAX_BREAKERS } from "@/server/engine/breaker";
import type { Engine } from "@/server/engine/engine";
import { engineRegistry } from "@/server/adapters/metrics/prom-metrics";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { engineFor, runToEnd } from "@/server/testing/engine";
import { openTestDatabase } from "@/server/testing/test-database";

/**
 * Two workspaces use the same CRM (one base URL). Workspace A's account there is broken: every
 * call answers 500. A's failures must open A's breaker only; B's calls keep going through.
 */
const BASE = "https://crm.shared-saas.example/api";
const KEYS = { a: "key-of-workspace-a", b: "key-of-workspace-b" };

let db: Database;
let wsA: string;
let wsB: string;
let upstream: MockService;

/** The shared CRM: the mock service in-process, one tenant per API key; A's tenant is down. */
const upstreamFetch: typeof fetch = async (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const headers = new Headers(init?.headers);
  const tenant = headers.get("x-api-key") === KEYS.a ? "tenant-a" : "tenant-b";
  const out = await upstream.handle("crm", {
    method: init?.method ?? "GET",
    path: url.pathname.replace(/^\/api/, ""),
    query: url.searchParams,
    headers: { "x-mock-tenant": tenant },
    body: typeof init?.body === "string" ? init.body : "",
  });
  return new Response(out.body, { status: out.status, headers: out.headers });
};

const resolveConnector = async (workspaceId: string): Promise<ResolvedConnector> => ({
  system: "crm",
  baseUrl: BASE,
  auth: { type: "api_key", key: workspaceId === wsA ? KEYS.a : KEYS.b },
});

const FLOW = `flow: contact-lookup
version: 1.0.0
sla: T0
steps:
  - id: get
    uses: crm.contact.get@1
    retry: { max: 0 }
    with: { id: CON-1042 }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  const workspace = (slug: string) => db.prisma.workspace.create({ data: { slug, name: slug } });
  wsA = (await workspace("tenant-a")).id;
  wsB = (await workspace("tenant-b")).id;
});
afterAll(async () => {
  await db?.close();
});

async function runOnce(engine: Engine, workspaceId: string) {
  const r = compileFlow(FLOW);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return runToEnd(engine, { workspaceId, ir: r.ir! });
}

describe("cross-tenant breakers", () => {
  it("workspace A's failing endpoint opens A's engine breaker only; B's runs still call it", async () => {
    upstream = new MockService();
    upstream.faults("crm", "tenant-a").set({ operation: "*", errorRate: 1, status: 500 }, "crm");
    const engine = engineFor(db, {
      runtimes: withConnectorRuntimes(
        builtinRuntimes(),
        createConnectorRuntime({ resolveConnector, fetch: upstreamFetch, breakers: null }),
      ),
    });
    // T0 opens a breaker after 5 consecutive failures: A's sixth run is refused without a call.
    for (let i = 0; i < 6; i++) expect((await runOnce(engine, wsA)).status).toBe("failed");
    expect(upstream.stats("crm", "tenant-a").requests["contact.get"]).toBe(5);
    const refused = await runOnce(engine, wsA);
    expect(JSON.stringify(refused.error)).toMatch(/circuit breaker .* is open/);

    // Workspace B, same system, same base URL: unaffected.
    for (let i = 0; i < 3; i++) {
      const run = await runOnce(engine, wsB);
      expect(run.status).toBe("succeeded");
    }
    expect(upstream.stats("crm", "tenant-b").requests["contact.get"]).toBe(3);
    expect(engine.deps.breakers.snapshot()).toEqual({
      [`${wsA}:crm:crm.contact.get`]: "open",
      [`${wsB}:crm:crm.contact.get`]: "closed",
    });

    // Metrics label the breaker by workspace id and endpoint, never by a host the tenant typed.
    const text = await engineRegistry.metrics();
    expect(text).toContain(
      `trustflow_breaker_state{workspace="${wsA}",endpoint="crm:crm.contact.get"} 2`,
    );
    expect(text).not.toMatch(
      new RegExp(`trustflow_breaker_state\\{workspace="${wsB}"[^}]*\\} [12]`),
    );
    expect(text).not.toContain("shared-saas.example");
  });

  it("the connector runtime's own breakers are keyed by workspace too", async () => {
    upstream = new MockService();
    upstream.faults("crm", "tenant-a").set({ operation: "*", errorRate: 1, status: 500 }, "crm");
    const breakers = new BreakerBoard();
    const runtime = createConnectorRuntime({
      resolveConnector,
      fetch: upstreamFetch,
      breakers,
      breakerOptions: { failureThreshold: 3, halfOpenAfterMs: 60_000 },
    });
    const call = (workspaceId: string) =>
      runtime.execute(execution("crm.contact.get@1", { id: "CON-1042" }, { workspaceId }));
    for (let i = 0; i < 3; i++)
      await expect(call(wsA)).rejects.toMatchObject({ name: "ConnectorError" });
    await expect(call(wsA)).rejects.toMatchObject({ name: "BreakerOpenError" });
    expect(upstream.stats("crm", "tenant-a").requests["contact.get"]).toBe(3);
    await expect(call(wsB)).resolves.toMatchObject({ id: "CON-1042" });
    expect(breakers.snapshot()).toEqual({
      [`${wsA}:crm ${BASE}`]: "open",
      [`${wsB}:crm ${BASE}`]: "closed",
    });
  });

  it("labels breakers with ids only: hosts, routes and base URLs collapse to their kind", () => {
    const ws = "3f1c2a9e-0000-4000-8000-000000000001";
    expect(breakerLabels(`${ws}:http:internal.tenant-host.example:8443`)).toEqual({
      workspace: ws,
      endpoint: "http",
    });
    expect(breakerLabels(`${ws}:model:tenant-typed-route`)).toEqual({
      workspace: ws,
      endpoint: "model",
    });
    expect(breakerLabels(`${ws}:crm ${BASE}`)).toEqual({ workspace: ws, endpoint: "crm" });
    expect(breakerLabels(`${ws}:billing:billing.invoice.create`)).toEqual({
      workspace: ws,
      endpoint: "billing:billing.invoice.create",
    });
  });

  it("a flow building endless hosts cannot grow the shared board without bound", () => {
    const changes: Array<[string, string]> = [];
    const board = new BreakerBoard((key, state) => changes.push([key, state]));
    const opts = { failureThreshold: 1, halfOpenAfterMs: 60_000 };
    const a = board.forWorkspace(wsA);
    for (let i = 0; i < MAX_BREAKERS + 500; i++) a.failure(`http:h${i}.example`, 0, opts);
    expect(Object.keys(board.snapshot())).toHaveLength(MAX_BREAKERS);
    // Workspace B's breaker, used recently, is kept; the forgotten ones are reported closed.
    board.forWorkspace(wsB).failure("crm:crm.contact.get", 0, opts);
    expect(board.snapshot()[`${wsB}:crm:crm.contact.get`]).toBe("open");
    expect(changes).toContainEqual([`${wsA}:http:h0.example`, "closed"]);
  });
});
