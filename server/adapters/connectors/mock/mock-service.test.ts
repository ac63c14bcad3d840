import { describe, expect, it } from "vitest";
import type { MockRequest } from "./http";
import { MockService } from "./mock-service";
import { generateWorld, SIZES } from "./seed";

const req = (
  method: string,
  path: string,
  body: unknown = undefined,
  headers: Record<string, string> = {},
): MockRequest => {
  const url = new URL(path, "http://x");
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    body: body === undefined ? "" : JSON.stringify(body),
  };
};
const parse = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;

describe("seeded datasets", () => {
  it("are deterministic, realistic in size, and contain the registry's example ids", () => {
    const a = generateWorld();
    const b = generateWorld();
    expect(JSON.stringify([...a.crm.contacts.values()].slice(0, 20))).toBe(
      JSON.stringify([...b.crm.contacts.values()].slice(0, 20)),
    );
    expect(a.crm.companies.size).toBe(SIZES.companies);
    expect(a.crm.contacts.size).toBe(SIZES.contacts);
    expect(a.billing.invoices.size).toBe(SIZES.invoices);
    expect(a.clm.contracts.size).toBe(SIZES.contracts);
    expect(a.clm.envelopes.size).toBeGreaterThan(20);
    for (const id of ["CON-1042"]) expect(a.crm.contacts.has(id)).toBe(true);
    expect(a.crm.companies.has("COM-77") && a.crm.deals.has("DEAL-311")).toBe(true);
    expect(a.billing.accounts.get("ACC-5521")?.status).toBe("active");
    expect(a.billing.invoices.get("INV-2024")?.status).toBe("open");
    expect(
      a.billing.charges.has("CH-9f2a") &&
        a.clm.contracts.has("CTR-1001") &&
        a.clm.envelopes.has("ENV-7a1"),
    ).toBe(true);
    const currencies = new Set([...a.billing.accounts.values()].map((x) => x.currency));
    expect(currencies.size).toBeGreaterThanOrEqual(5);
    expect(generateWorld(1).crm.companies.get("COM-1")?.name).not.toBe(
      a.crm.companies.get("COM-1")?.name,
    );
  });
});

describe("mock service", () => {
  it("keeps tenants apart (header or /t/<tenant> prefix)", async () => {
    const s = new MockService();
    const created = await s.handle(
      "crm",
      req("POST", "/t/ws-a/deals", { name: "A only", amount: 1, currency: "EUR" }),
    );
    expect(created.status).toBe(201);
    const id = parse(created).id as string;
    expect(
      (await s.handle("crm", req("GET", `/deals/${id}`, undefined, { "x-mock-tenant": "ws-a" })))
        .status,
    ).toBe(200);
    expect((await s.handle("crm", req("GET", `/t/ws-b/deals/${id}`))).status).toBe(404);
    expect((await s.handle("crm", req("GET", `/deals/${id}`))).status).toBe(404);
    expect(
      (
        await s.handle(
          "crm",
          req("GET", "/deals/DEAL-311", undefined, { "x-mock-tenant": "bad tenant!" }),
        )
      ).status,
    ).toBe(400);
  });

  it("replays an idempotent write, refuses a reused key with another body", async () => {
    const s = new MockService();
    const body = { accountId: "ACC-5521", amount: 10, currency: "EUR" };
    const first = await s.handle(
      "billing",
      req("POST", "/charges", body, { "idempotency-key": "key-12345" }),
    );
    const again = await s.handle(
      "billing",
      req("POST", "/charges", body, { "idempotency-key": "key-12345" }),
    );
    expect(again.body).toBe(first.body);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(s.stats("billing").writes).toBe(1);
    const other = await s.handle(
      "billing",
      req("POST", "/charges", { ...body, amount: 11 }, { "idempotency-key": "key-12345" }),
    );
    expect(other.status).toBe(422);
    expect(parse(other)).toMatchObject({ error: { code: "idempotency_key_reused" } });
  });

  it("configures faults through _faults (GET, POST, DELETE) with clear validation", async () => {
    const s = new MockService();
    const set = await s.handle(
      "crm",
      req("POST", "/_faults", {
        operation: "crm.contact.get",
        errorRate: 1,
        status: 429,
        retryAfterS: 7,
      }),
    );
    expect(parse(set)).toMatchObject({
      faults: [{ operation: "contact.get", errorRate: 1, status: 429 }],
    });
    const faulted = await s.handle("crm", req("GET", "/contacts/CON-1042"));
    expect(faulted.status).toBe(429);
    expect(faulted.headers["retry-after"]).toBe("7");
    expect(parse(await s.handle("crm", req("GET", "/_faults")))).toMatchObject({
      faults: [{ operation: "contact.get" }],
    });
    const bad = await s.handle("crm", req("POST", "/_faults", { operation: "x", errorRate: 2 }));
    expect(bad.status).toBe(422);
    expect(parse(bad)).toMatchObject({ error: { message: expect.stringContaining("errorRate") } });
    await s.handle("crm", req("DELETE", "/_faults"));
    expect((await s.handle("crm", req("GET", "/contacts/CON-1042"))).status).toBe(200);
  });

  it("draws faults from a seeded PRNG: the same seed gives the same sequence", async () => {
    const sequence = async () => {
      const s = new MockService();
      await s.handle("clm", req("POST", "/_faults", { operation: "*", errorRate: 0.5, seed: 99 }));
      const out: number[] = [];
      for (let i = 0; i < 20; i++)
        out.push((await s.handle("clm", req("GET", "/contracts/CTR-1001"))).status);
      return out;
    };
    const a = await sequence();
    expect(a).toEqual(await sequence());
    expect(new Set(a)).toEqual(new Set([200, 503]));
  });

  it("answers unknown routes, methods and systems clearly; resets a tenant; issues OAuth2 tokens", async () => {
    const s = new MockService();
    expect(parse(await s.handle("crm", req("GET", "/nope")))).toMatchObject({
      error: { code: "route_not_found" },
    });
    expect((await s.handle("crm", req("PUT", "/contacts/CON-1042"))).status).toBe(405);
    expect((await s.handle("erp", req("GET", "/x"))).status).toBe(404);
    await s.handle("crm", req("DELETE", "/contacts/CON-1042"));
    expect((await s.handle("crm", req("GET", "/contacts/CON-1042"))).status).toBe(404);
    await s.handle("crm", req("POST", "/_reset"));
    expect((await s.handle("crm", req("GET", "/contacts/CON-1042"))).status).toBe(200);
    const token = await s.handle("crm", {
      ...req("POST", "/oauth/token"),
      headers: { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
      body: "grant_type=client_credentials",
    });
    expect(parse(token)).toMatchObject({
      token_type: "Bearer",
      expires_in: 3600,
      access_token: expect.stringMatching(/^mock_/),
    });
  });

  it("a timeout fault hangs until the client aborts", async () => {
    // Hangs past the test's timeout: only the client's abort can end it.
    const s = new MockService({ hangMs: 120_000 });
    await s.handle("crm", req("POST", "/_faults", { operation: "company.get", timeoutRate: 1 }));
    const client = new AbortController();
    let settled = false;
    const pending = s.handle("crm", req("GET", "/companies/COM-77"), client.signal);
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled, "the request hangs while the client waits").toBe(false);
    client.abort();
    const r = await pending;
    expect(r.status).toBe(504);
  });
});
