/**
 * Resilience of connector calls against the mock services with fault injection: idempotency,
 * retries driven by the SLA profiles (dsl/sla.ts) with the engine's schedule, circuit breakers,
 * Retry-After, malformed JSON, timeouts, and the classification of every failure.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SLA_PROFILES } from "@/dsl";
import { BreakerBoard } from "@/server/engine/breaker";
import { parseRetryAfter } from "./framework/classify";
import { startMockServer, type RunningMockServer } from "./mock/node-server";
import { createConnectorRuntime } from "./runtime";
import { execution, FakeClock, loopbackEgress, runStep, runtimeFor } from "./testing/harness";

let mock: RunningMockServer;
beforeAll(async () => {
  mock = await startMockServer();
});
afterAll(() => mock?.close());
afterEach(async () => {
  for (const system of ["crm", "billing", "clm"])
    await fetch(`${mock.baseUrl(system)}/_faults`, { method: "DELETE" });
});

async function setFault(system: string, rule: Record<string, unknown>) {
  const res = await fetch(`${mock.baseUrl(system)}/_faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(rule),
  });
  expect(res.status).toBe(200);
}

const none = { type: "none" } as const;
const crmRuntime = (clock?: FakeClock, breakers?: BreakerBoard | null) =>
  runtimeFor(
    {
      crm: { baseUrl: mock.baseUrl("crm"), auth: none },
      billing: { baseUrl: mock.baseUrl("billing"), auth: none },
    },
    { clock, breakers },
  );

/** A throwaway HTTP server answering with `handler`; counts the requests it got. */
async function customServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
) {
  const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] =
    [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe("idempotency", () => {
  it("the same key twice writes once and answers the same", async () => {
    const runtime = crmRuntime();
    const deals = mock.service.state("crm").deals;
    const before = deals.size;
    const exec = execution("crm.deal.create@1", { name: "Twice", amount: 10, currency: "EUR" });
    const first = await runtime.execute(exec);
    const second = await runtime.execute({ ...exec, attempt: 2 });
    expect(second).toEqual(first);
    expect(deals.size).toBe(before + 1);
    expect(mock.service.stats("crm").replays).toBeGreaterThanOrEqual(1);
  });

  it("the same key with a different body is refused (422, non-retryable)", async () => {
    const runtime = crmRuntime();
    const exec = execution("crm.deal.create@1", { name: "Once", amount: 10, currency: "EUR" });
    await runtime.execute(exec);
    await expect(
      runtime.execute({ ...exec, inputs: { ...exec.inputs, amount: 11 } }),
    ).rejects.toMatchObject({
      name: "NonRetryableError",
      message: expect.stringContaining("idempotency_key_reused"),
    });
  });

  it("a charge's own idempotencyKey deduplicates across runs (different attempt keys)", async () => {
    const runtime = crmRuntime();
    const inputs = {
      accountId: "ACC-5521",
      amount: 99,
      currency: "EUR",
      idempotencyKey: "charge-once-123",
    };
    const a = await runtime.execute(execution("billing.charge.create@1", inputs));
    const b = await runtime.execute(execution("billing.charge.create@1", inputs));
    expect(b.chargeId).toBe(a.chargeId);
  });

  it("a write whose answer timed out is not repeated by the retry", async () => {
    const runtime = crmRuntime();
    const deals = mock.service.state("crm").deals;
    const before = deals.size;
    await setFault("crm", { operation: "deal.create", timeoutRate: 1 });
    const exec = execution("crm.deal.create@1", {
      name: "Lost answer",
      amount: 5,
      currency: "EUR",
    });
    await expect(
      runtime.execute({ ...exec, signal: AbortSignal.timeout(150) }),
    ).rejects.toMatchObject({
      name: "TimeoutError",
      retryable: true,
      classification: { category: "performance" },
    });
    await fetch(`${mock.baseUrl("crm")}/_faults`, { method: "DELETE" });
    const retried = await runtime.execute({ ...exec, attempt: 2 });
    expect(retried.id).toMatch(/^DEAL-/);
    expect(deals.size).toBe(before + 1);
  });
});

describe("retries under the SLA profile", () => {
  it("a T0 step survives a 30% 503 rate over 50 calls", async () => {
    await setFault("crm", {
      operation: "contact.get",
      errorRate: 0.3,
      status: 503,
      retryAfterS: 0,
      seed: 42,
    });
    const clock = new FakeClock();
    const runtime = crmRuntime(clock);
    const before = mock.service.stats("crm").requests["contact.get"] ?? 0;
    let attempts = 0;
    for (let i = 0; i < 50; i++) {
      const outcome = await runStep(
        runtime,
        execution("crm.contact.get@1", { id: `CON-${1000 + i}` }),
        SLA_PROFILES.T0,
        clock,
        { seed: i },
      );
      expect(outcome.ok, JSON.stringify(outcome.error)).toBe(true);
      attempts += outcome.attempts;
    }
    const served = (mock.service.stats("crm").requests["contact.get"] ?? 0) - before;
    expect(attempts).toBeGreaterThan(50);
    expect(served).toBeLessThanOrEqual(attempts);
  });

  it("honours Retry-After (seconds) from 429 and 503", async () => {
    await setFault("crm", { operation: "contact.get", errorRate: 1, status: 429, retryAfterS: 2 });
    const runtime = crmRuntime();
    await expect(
      runtime.execute(execution("crm.contact.get@1", { id: "CON-1042" })),
    ).rejects.toMatchObject({
      name: "RetryAfterError",
      retryAfterMs: 2000,
      retryable: true,
      detail: { status: 429 },
    });
    await setFault("crm", {
      operation: "contact.get",
      errorRate: 0.5,
      status: 503,
      retryAfterS: 3,
      seed: 3,
    });
    const clock = new FakeClock();
    const outcome = await runStep(
      crmRuntime(clock),
      execution("crm.contact.get@1", { id: "CON-1042" }),
      SLA_PROFILES.T1,
      clock,
    );
    expect(outcome.ok).toBe(true);
    for (const d of outcome.delays) expect(d).toBe(3000);
  });

  it("honours Retry-After as an HTTP date", async () => {
    const clock = new FakeClock();
    const at = new Date(clock.t + 5000).toUTCString();
    const server = await customServer((_req, res) => {
      res.writeHead(503, { "retry-after": at, "content-type": "application/json" });
      res.end('{"error":{"code":"busy","message":"try later"}}');
    });
    const runtime = runtimeFor({ crm: { baseUrl: server.origin, auth: none } }, { clock });
    await expect(
      runtime.execute(execution("crm.contact.get@1", { id: "CON-1" })),
    ).rejects.toMatchObject({
      name: "RetryAfterError",
      retryAfterMs: 5000,
    });
    await server.close();
    expect(parseRetryAfter("120", 0)).toBe(120_000);
    expect(parseRetryAfter(new Date(1000).toUTCString(), 60_000)).toBe(0);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
  });
});

describe("circuit breaker", () => {
  it("opens under a dead endpoint: further calls fail fast without reaching the server, then one probe", async () => {
    const server = await customServer((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end('{"error":{"code":"down","message":"down"}}');
    });
    const clock = new FakeClock();
    const breakers = new BreakerBoard();
    const runtime = createConnectorRuntime({
      fetchFor: loopbackEgress.fetchFor,
      resolveConnector: async () => ({ system: "crm", baseUrl: server.origin, auth: none }),
      breakers,
      breakerOptions: SLA_PROFILES.T0.breaker,
      now: clock.now,
    });
    const errors: string[] = [];
    for (let i = 0; i < 20; i++) {
      try {
        await runtime.execute(execution("crm.contact.get@1", { id: "CON-1042" }));
      } catch (err) {
        errors.push((err as Error).name);
      }
    }
    expect(server.seen).toHaveLength(SLA_PROFILES.T0.breaker.failureThreshold);
    expect(errors.slice(0, 5)).toEqual(Array(5).fill("ConnectorError"));
    expect(errors.slice(5)).toEqual(Array(15).fill("BreakerOpenError"));
    expect(breakers.snapshot()).toEqual({ [`ws-test:crm ${server.origin}`]: "open" });
    clock.t += SLA_PROFILES.T0.breaker.halfOpenAfterMs;
    await expect(
      runtime.execute(execution("crm.contact.get@1", { id: "CON-1042" })),
    ).rejects.toMatchObject({ name: "ConnectorError" });
    expect(server.seen).toHaveLength(6);
    await server.close();
  });

  it("counts network failures (connection refused) too, and a 4xx does not open it", async () => {
    const server = await customServer(() => undefined);
    const origin = server.origin;
    await server.close();
    const breakers = new BreakerBoard();
    const runtime = createConnectorRuntime({
      fetchFor: loopbackEgress.fetchFor,
      resolveConnector: async (_ws, system) =>
        system === "crm"
          ? { system, baseUrl: origin, auth: none }
          : { system, baseUrl: mock.baseUrl("billing"), auth: none },
      breakers,
      breakerOptions: { failureThreshold: 3, halfOpenAfterMs: 60_000 },
    });
    for (let i = 0; i < 3; i++) {
      await expect(
        runtime.execute(execution("crm.contact.get@1", { id: "CON-1" })),
      ).rejects.toMatchObject({
        name: "ConnectorError",
        retryable: true,
        classification: { category: "integration" },
      });
    }
    await expect(
      runtime.execute(execution("crm.contact.get@1", { id: "CON-1" })),
    ).rejects.toMatchObject({ name: "BreakerOpenError" });
    for (let i = 0; i < 5; i++) {
      await expect(
        runtime.execute(execution("billing.invoice.get@1", { invoiceId: "INV-1" })),
      ).rejects.toMatchObject({
        name: "NonRetryableError",
      });
    }
    expect(breakers.snapshot()[`ws-test:billing ${mock.baseUrl("billing")}`]).toBe("closed");
  });

  it("a T0 step recovers once a dead endpoint comes back (the breaker's probe closes it)", async () => {
    await setFault("crm", { operation: "deal.get", errorRate: 1, status: 500 });
    const clock = new FakeClock();
    const runtime = crmRuntime(clock);
    const exec = execution("crm.deal.get@1", { id: "DEAL-311" });
    const failed = await runStep(runtime, exec, SLA_PROFILES.T0, clock);
    expect(failed.ok).toBe(false);
    // 1 attempt + 8 retries, every one a retryable failure; the step would dead-letter here.
    expect(failed).toMatchObject({
      attempts: SLA_PROFILES.T0.retries + 1,
      error: { retryable: true },
    });
    await fetch(`${mock.baseUrl("crm")}/_faults`, { method: "DELETE" });
    const recovered = await runStep(runtime, exec, SLA_PROFILES.T0, clock);
    expect(recovered).toMatchObject({ ok: true, output: { id: "DEAL-311" } });
  });
});

describe("classification", () => {
  it.each([
    [401, "NonRetryableError", "auth", false],
    [403, "NonRetryableError", "authz", false],
    [400, "NonRetryableError", "validation", false],
    [422, "NonRetryableError", "validation", false],
    [500, "ConnectorError", "integration", true],
    [502, "ConnectorError", "integration", true],
    [408, "ConnectorError", "performance", true],
  ])("HTTP %i -> %s (%s, retryable %s)", async (status, name, category, retryable) => {
    await setFault("crm", { operation: "*", errorRate: 1, status });
    await expect(
      crmRuntime(undefined, null).execute(execution("crm.company.get@1", { id: "COM-77" })),
    ).rejects.toMatchObject({
      name,
      retryable,
      classification: { category },
      detail: { status },
    });
  });

  it("malformed JSON is a retryable integration error", async () => {
    await setFault("crm", { operation: "company.get", malformedRate: 1 });
    await expect(
      crmRuntime(undefined, null).execute(execution("crm.company.get@1", { id: "COM-77" })),
    ).rejects.toMatchObject({
      name: "ConnectorError",
      retryable: true,
      classification: { category: "integration" },
      detail: { malformed: true },
    });
  });

  it("a hanging server is a retryable performance timeout at the attempt's deadline", async () => {
    await setFault("crm", { operation: "company.get", timeoutRate: 1 });
    // The mock hangs for 120 s, past the test's timeout: only the deadline can end the attempt.
    const deadline = AbortSignal.timeout(120);
    await expect(
      crmRuntime(undefined, null).execute(
        execution("crm.company.get@1", { id: "COM-77" }, { signal: deadline }),
      ),
    ).rejects.toMatchObject({
      name: "TimeoutError",
      retryable: true,
      classification: { category: "performance" },
    });
    expect(deadline.aborted).toBe(true);
  });

  it("added latency within the deadline still succeeds", async () => {
    await setFault("crm", { operation: "company.get", latencyMs: 50 });
    expect(
      await crmRuntime().execute(execution("crm.company.get@1", { id: "COM-77" })),
    ).toMatchObject({ id: "COM-77" });
  });

  it("a response that breaks the output schema is a non-retryable integration error", async () => {
    const server = await customServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"id": 5}');
    });
    const runtime = runtimeFor({ crm: { baseUrl: server.origin, auth: none } });
    await expect(
      runtime.execute(execution("crm.company.get@1", { id: "COM-77" })),
    ).rejects.toMatchObject({
      name: "NonRetryableError",
      classification: { category: "integration", severity: "high" },
    });
    await server.close();
  });

  it("no connector configured for the system is a clear non-retryable error", async () => {
    await expect(
      runtimeFor({}).execute(execution("clm.contract.get@1", { id: "CTR-1001" })),
    ).rejects.toMatchObject({
      name: "NonRetryableError",
      message: expect.stringContaining("no clm connector"),
    });
  });
});

describe("auth schemes and headers", () => {
  const okCompany = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: "COM-1", name: "X", updatedAt: "2025-01-01T00:00:00Z" }));
  };

  it("api key, bearer and basic put the secret in the right header; writes carry Idempotency-Key", async () => {
    const server = await customServer((req, res, body) => {
      if (req.method === "DELETE") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: "CON-1", deleted: true, body }));
      } else okCompany(req, res);
    });
    const get = execution("crm.company.get@1", { id: "COM-1" });
    await runtimeFor({
      crm: { baseUrl: server.origin, auth: { type: "api_key", key: "k-123" } },
    }).execute(get);
    await runtimeFor({
      crm: {
        baseUrl: server.origin,
        auth: { type: "api_key", header: "X-Custom-Key", key: "k-456" },
      },
    }).execute(get);
    await runtimeFor({
      crm: { baseUrl: server.origin, auth: { type: "bearer", token: "t-789" } },
    }).execute(get);
    await runtimeFor({
      crm: { baseUrl: server.origin, auth: { type: "basic", username: "ada", password: "pw" } },
    }).execute(get);
    const del = execution("crm.contact.delete@1", { id: "CON-1" });
    await runtimeFor({ crm: { baseUrl: server.origin, auth: none } }).execute(del);
    const h = server.seen.map((s) => s.headers);
    expect(h[0]!["x-api-key"]).toBe("k-123");
    expect(h[1]!["x-custom-key"]).toBe("k-456");
    expect(h[2]!.authorization).toBe("Bearer t-789");
    expect(h[3]!.authorization).toBe(`Basic ${Buffer.from("ada:pw").toString("base64")}`);
    expect(h[0]!["idempotency-key"]).toBeUndefined();
    expect(h[4]!["idempotency-key"]).toBe(del.idempotencyKey);
    expect(server.seen[4]).toMatchObject({ method: "DELETE", url: "/contacts/CON-1" });
    await server.close();
  });

  it("OAuth2 client credentials: one token fetch, cached, refreshed after a 401", async () => {
    let tokens = 0;
    let reject = false;
    const server = await customServer((req, res, body) => {
      if (req.url === "/oauth/token") {
        tokens++;
        expect(new URLSearchParams(body).get("grant_type")).toBe("client_credentials");
        expect(req.headers.authorization).toBe(
          `Basic ${Buffer.from("cid:csecret").toString("base64")}`,
        );
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ access_token: `tok-${tokens}`, token_type: "Bearer", expires_in: 3600 }),
        );
        return;
      }
      if (reject && req.headers.authorization === "Bearer tok-1") {
        res.writeHead(401, { "content-type": "application/json" });
        res.end('{"error":{"code":"expired","message":"token revoked"}}');
        return;
      }
      okCompany(req, res);
    });
    const auth = {
      type: "oauth2_client_credentials",
      tokenUrl: `${server.origin}/oauth/token`,
      clientId: "cid",
      clientSecret: "csecret",
    } as const;
    const runtime = runtimeFor({ crm: { baseUrl: server.origin, auth } });
    await runtime.execute(execution("crm.company.get@1", { id: "COM-1" }));
    await runtime.execute(execution("crm.company.get@1", { id: "COM-1" }));
    expect(tokens).toBe(1);
    reject = true;
    await runtime.execute(execution("crm.company.get@1", { id: "COM-1" }));
    expect(tokens).toBe(2);
    expect(server.seen.at(-1)!.headers.authorization).toBe("Bearer tok-2");
    await server.close();
  });

  it("OAuth2 against the mock's token endpoint", async () => {
    const auth = {
      type: "oauth2_client_credentials",
      tokenUrl: `${mock.baseUrl("crm")}/oauth/token`,
      clientId: "demo",
      clientSecret: "demo-secret",
    } as const;
    const runtime = runtimeFor({ crm: { baseUrl: mock.baseUrl("crm"), auth } });
    expect(await runtime.execute(execution("crm.company.get@1", { id: "COM-77" }))).toMatchObject({
      id: "COM-77",
    });
  });
});
