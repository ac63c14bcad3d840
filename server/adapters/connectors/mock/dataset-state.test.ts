import { describe, expect, it } from "vitest";
import { forkSystemState, MockDatasetError, mockStateFromDataset } from "./dataset-state";
import { MockService } from "./mock-service";

const ROWS = [
  { system: "crm", type: "contacts", id: "CON-5", email: "a@example.com", lifecycle: "customer" },
  { system: "crm", type: "contacts", id: "CON-9000", email: "b@example.com" },
  {
    system: "billing",
    type: "accounts",
    accountId: "ACC-1",
    name: "Acme",
    creditLimit: "5000",
    metadata: '{"tier":"gold"}',
  },
];

function problem(rows: Record<string, unknown>[]): string {
  try {
    mockStateFromDataset(rows);
  } catch (err) {
    expect(err).toBeInstanceOf(MockDatasetError);
    return (err as Error).message;
  }
  throw new Error("expected a MockDatasetError");
}

describe("mockStateFromDataset", () => {
  it("turns rows into records with defaults, coercing CSV strings", () => {
    const ds = mockStateFromDataset(ROWS);
    expect(ds.crm?.contacts?.get("CON-9000")).toEqual({ id: "CON-9000", email: "b@example.com" });
    expect(ds.billing?.accounts?.get("ACC-1")).toEqual({
      accountId: "ACC-1",
      name: "Acme",
      creditLimit: 5000,
      metadata: { tier: "gold" },
    });
    // Forked in, a new record is whole: the fields it left out get defaults.
    expect(forkSystemState("crm", 1, ds).contacts.get("CON-9000")).toEqual({
      id: "CON-9000",
      email: "b@example.com",
      firstName: "",
      lastName: "",
      lifecycle: "lead",
      properties: {},
      updatedAt: "2025-11-01T00:00:00.000Z",
    });
    expect(ds.clm).toBeUndefined();
  });

  it("keeps a __proto__ field as data", () => {
    const row = JSON.parse(
      '{"system":"crm","type":"contacts","id":"CON-1","__proto__":{"polluted":true}}',
    ) as Record<string, unknown>;
    const contact = forkSystemState("crm", 1, mockStateFromDataset([row])).contacts.get("CON-1")!;
    expect(Object.getPrototypeOf(contact)).toBe(Object.prototype);
    expect(Object.hasOwn(contact, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("names the row of a bad record", () => {
    expect(problem([{ a: 1 }])).toMatch(/^Row 1: "system" must be one of crm, billing, clm/);
    expect(problem([ROWS[0]!, { system: "crm", type: "leads", id: "x" }])).toMatch(
      /^Row 2: "type" must be a crm collection: companies, contacts, deals/,
    );
    expect(problem([{ system: "billing", type: "accounts", id: "ACC-1" }])).toMatch(
      /needs "accountId"/,
    );
    expect(problem([{ ...ROWS[0]!, lifecycle: "vip" }])).toMatch(/"lifecycle" must be one of/);
    expect(problem([{ ...ROWS[2]!, creditLimit: "lots" }])).toMatch(
      /"creditLimit" must be a number/,
    );
    expect(problem([ROWS[0]!, ROWS[0]!])).toMatch(/^Row 2: crm contacts "CON-5" appears twice/);
  });

  it("patches seeded records, adds new ones, and new ids come after the dataset's", () => {
    const seeded = forkSystemState("crm", 1).contacts.get("CON-1042")!;
    const ds = mockStateFromDataset([
      ...ROWS,
      { system: "crm", type: "contacts", id: "CON-1042", lifecycle: "churned", __proto__x: 1 },
    ]);
    const crm = forkSystemState("crm", 1, ds);
    expect(crm.contacts.size).toBe(forkSystemState("crm", 1).contacts.size + 2);
    expect(crm.contacts.get("CON-1042")).toEqual({
      ...seeded,
      lifecycle: "churned",
      __proto__x: 1,
    });
    expect(crm.deals.size).toBeGreaterThan(0);
    expect(crm.next.contact).toBe(9001);
    // A copy: changing a fork leaves the dataset (and the next fork) alone.
    crm.contacts.get("CON-5")!.email = "changed@example.com";
    expect(forkSystemState("crm", 1, ds).contacts.get("CON-5")!.email).toBe("a@example.com");
  });

  it("seeds a mock tenant: the API serves the dataset's records", async () => {
    const svc = new MockService();
    svc.defineTenant("t1", { seed: 1, dataset: mockStateFromDataset(ROWS) });
    const res = await svc.handle("crm", {
      method: "GET",
      path: "/contacts/CON-5",
      query: new URLSearchParams(),
      headers: { "x-mock-tenant": "t1" },
      body: "",
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ id: "CON-5", lifecycle: "customer" });
    // Another tenant starts from the seed alone.
    expect(svc.state("crm", "t2").contacts.has("CON-5")).toBe(false);
  });
});
