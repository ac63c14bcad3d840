import { describe, expect, it } from "vitest";
import { NonRetryableError } from "@/server/engine/errors";
import { MockService } from "./mock-service";
import { SANDBOX_NO_EGRESS, sandboxFetch, sessionTenant } from "./sandbox";

const SESSION = "0b6f7c1e-3a51-4a8e-9d7e-0c2f2f1b9a11";

function setup() {
  const service = new MockService({ hangMs: 0 });
  const tenant = sessionTenant(SESSION);
  return { service, tenant };
}

describe("sandbox fetch on the mock services", () => {
  it("writes to the session's tenant only, whatever header the caller sends", async () => {
    const { service, tenant } = setup();
    const f = sandboxFetch(tenant, { seed: 20261122 }, () => service);
    const res = await f("mock://crm/contacts", {
      method: "POST",
      headers: { "content-type": "application/json", "x-mock-tenant": "someone-else" },
      body: JSON.stringify({ email: "ada@example.com" }),
    });
    expect(res.status).toBe(201);
    const emails = (t: string) =>
      [...service.state("crm", t).contacts.values()].map((c) => c.email);
    expect(emails(tenant)).toContain("ada@example.com");
    expect(emails("someone-else")).not.toContain("ada@example.com");
    expect(emails("default")).not.toContain("ada@example.com");
  });

  it("refuses every URL but mock:// before anything is opened", async () => {
    const { service, tenant } = setup();
    const f = sandboxFetch(tenant, { seed: 1 }, () => service);
    for (const url of ["https://example.com/", "http://127.0.0.1:9/", "demo-model://x/v1/"]) {
      const err = await f(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonRetryableError);
      expect((err as Error).message).toContain(SANDBOX_NO_EGRESS);
    }
    expect(service.hasTenant(tenant)).toBe(false);
  });

  it("forks from the profile's seed, applies its faults, and forgets the tenant when dropped", async () => {
    const { service, tenant } = setup();
    const profile = {
      seed: 5,
      faults: { billing: [{ operation: "billing.account.get", errorRate: 1, status: 500 }] },
    };
    const f = sandboxFetch(tenant, profile, () => service);
    expect((await f("mock://billing/accounts/ACC-5521")).status).toBe(500);
    expect((await f("mock://crm/contacts/CON-1042")).status).toBe(200);
    const seeded = new MockService({ seed: 5 }).state("crm").contacts.get("CON-1042");
    expect(service.state("crm", tenant).contacts.get("CON-1042")).toEqual(seeded);
    expect(new MockService().state("crm").contacts.get("CON-1042")).not.toEqual(seeded);
    service.dropTenant(tenant);
    expect(service.hasTenant(tenant)).toBe(false);
    expect(service.faults("billing", tenant).list()).toEqual([]);
  });
});
