/**
 * Every connector operation of the CRM, billing and CLM connectors against the mock services,
 * served from a node:http server on an ephemeral port.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { primitiveRegistry, blockRefOf } from "./framework/connector";
import { startMockServer, type RunningMockServer } from "./mock/node-server";
import { BUILTIN_CONNECTORS, type ConnectorRuntime } from "./runtime";
import { execution, runtimeFor } from "./testing/harness";

let server: RunningMockServer;
let runtime: ConnectorRuntime;

beforeAll(async () => {
  server = await startMockServer();
  const auth = { type: "none" } as const;
  runtime = runtimeFor({
    crm: { baseUrl: server.baseUrl("crm"), auth },
    billing: { baseUrl: server.baseUrl("billing"), auth },
    clm: { baseUrl: server.baseUrl("clm"), auth },
  });
});
afterAll(() => server?.close());

const run = (block: string, inputs: Record<string, unknown>) =>
  runtime.execute(execution(block, inputs));

describe("coverage", () => {
  const connectorBlocks = primitiveRegistry()
    .list()
    .filter((b) => b.kind === "connector" && b.system !== "http")
    .flatMap((b) => primitiveRegistry().versions(b.id));

  it("implements every major of every CRM, billing and CLM connector block", () => {
    const missing = connectorBlocks
      .map(blockRefOf)
      .filter((ref) => !BUILTIN_CONNECTORS.get(ref.split(".")[0]!)?.operations.has(ref));
    expect(missing).toEqual([]);
    expect(connectorBlocks.length).toBeGreaterThanOrEqual(30);
  });

  it("has an operation for every compensation a block names", () => {
    for (const b of connectorBlocks.filter((x) => x.compensation)) {
      const sys = b.compensation!.split(".")[0]!;
      expect(BUILTIN_CONNECTORS.get(sys)?.operations.has(b.compensation!), b.compensation).toBe(
        true,
      );
    }
  });

  it("does not implement http.request (the engine's block)", () => {
    expect(runtime.supports("http.request")).toBe(false);
    expect(runtime.supports("crm.contact.get")).toBe(true);
  });
});

describe("crm", () => {
  it("contact.get reads a seeded contact", async () => {
    const c = await run("crm.contact.get@1", { id: "CON-1042" });
    expect(c).toMatchObject({ id: "CON-1042", lifecycle: expect.any(String) });
    expect(c.email).toMatch(/@/);
  });

  it("contact.get of an unknown id is a non-retryable validation error", async () => {
    await expect(run("crm.contact.get@1", { id: "CON-9" })).rejects.toMatchObject({
      name: "NonRetryableError",
      classification: { category: "validation" },
      detail: { status: 404 },
    });
  });

  it("contact.search finds by company, newest first, with a total", async () => {
    const out = await run("crm.contact.search@1", { companyId: "COM-77", limit: 2 });
    const contacts = out.contacts as { companyId: string; updatedAt: string }[];
    expect(out.total).toBeGreaterThanOrEqual(contacts.length);
    for (const c of contacts) expect(c.companyId).toBe("COM-77");
  });

  it("contact.create creates, is idempotent on email, and contact.delete compensates", async () => {
    const created = await run("crm.contact.create@1", {
      email: "ada@lovelace.example",
      firstName: "Ada",
      lifecycle: "lead",
    });
    expect(created).toEqual({ id: expect.stringMatching(/^CON-/), created: true });
    const again = await run("crm.contact.create@1", { email: "ada@lovelace.example" });
    expect(again).toEqual({ id: created.id, created: false });
    const updated = await run("crm.contact.update@1", { id: created.id, lifecycle: "customer" });
    expect(updated).toEqual({ id: created.id, updatedAt: expect.any(String) });
    expect(await run("crm.contact.delete@1", { id: created.id })).toEqual({
      id: created.id,
      deleted: true,
    });
    await expect(run("crm.contact.get@1", { id: created.id })).rejects.toMatchObject({
      detail: { status: 404 },
    });
  });

  it("company.get and company.upsert (create, then update by domain)", async () => {
    expect(await run("crm.company.get@1", { id: "COM-77" })).toMatchObject({
      id: "COM-77",
      name: expect.any(String),
    });
    const first = await run("crm.company.upsert@1", {
      name: "Engines Ltd",
      domain: "engines.example",
    });
    expect(first).toEqual({ id: expect.stringMatching(/^COM-/), created: true });
    const second = await run("crm.company.upsert@1", {
      name: "Analytical Engines Ltd",
      domain: "engines.example",
    });
    expect(second).toEqual({ id: first.id, created: false });
  });

  it("deal.get, deal.create, deal.update (closed_won sets the close date) and deal.delete", async () => {
    expect(await run("crm.deal.get@1", { id: "DEAL-311" })).toMatchObject({
      id: "DEAL-311",
      currency: expect.any(String),
    });
    const deal = await run("crm.deal.create@1", {
      name: "Engines renewal",
      amount: 48000,
      currency: "EUR",
      stage: "proposal",
    });
    expect(deal).toEqual({ id: expect.stringMatching(/^DEAL-/), stage: "proposal" });
    const won = await run("crm.deal.update@1", {
      id: deal.id,
      stage: "closed_won",
      note: "signed",
    });
    expect(won).toMatchObject({ id: deal.id, stage: "closed_won" });
    const read = await run("crm.deal.get@1", { id: deal.id });
    expect(read.closeDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await run("crm.deal.delete@1", { id: deal.id })).toEqual({ id: deal.id, deleted: true });
  });

  it("rejects invalid inputs before calling (non-retryable validation)", async () => {
    await expect(run("crm.contact.get@1", { id: "nope" })).rejects.toMatchObject({
      name: "NonRetryableError",
      classification: { category: "validation" },
    });
  });
});

describe("billing", () => {
  it("account.get reads the example account", async () => {
    expect(await run("billing.account.get@1", { accountId: "ACC-5521" })).toMatchObject({
      accountId: "ACC-5521",
      status: "active",
      currency: expect.stringMatching(/^[A-Z]{3}$/),
    });
  });

  it("account.upsert@2 creates then updates by customer id; @1 maps flat fields; archive compensates", async () => {
    const customer = { id: "CUS-new-1", name: "Grace Hopper", email: "grace@navy.example" };
    const created = await run("billing.account.upsert@2", { customer, currency: "USD" });
    expect(created).toMatchObject({
      accountId: expect.stringMatching(/^ACC-/),
      status: "active",
      created: true,
    });
    expect(created.creditLimit).toBeGreaterThan(0);
    const again = await run("billing.account.upsert@2", {
      customer: { ...customer, name: "Rear Adm. Hopper" },
      currency: "USD",
    });
    expect(again).toMatchObject({ accountId: created.accountId, created: false });
    const v1 = await run("billing.account.upsert@1", {
      customerId: "CUS-new-1",
      name: "G. Hopper",
      email: "grace@navy.example",
      currency: "USD",
    });
    expect(v1).toEqual({ accountId: created.accountId, status: "active" });
    const archived = await run("billing.account.archive@1", {
      accountId: created.accountId,
      reason: "saga rollback",
    });
    expect(archived).toEqual({
      accountId: created.accountId,
      status: "archived",
      archivedAt: expect.any(String),
    });
  });

  it("invoice.create in all four majors, invoice.get, send and void", async () => {
    const base = { accountId: "ACC-5521", currency: "EUR" };
    const v1 = await run("billing.invoice.create@1", { ...base, amountCents: 120000 });
    expect(v1).toEqual({ invoiceId: expect.stringMatching(/^INV-/), status: "open" });
    const v2 = await run("billing.invoice.create@2", {
      ...base,
      amount: 1200,
      description: "Onboarding",
    });
    expect(v2).toMatchObject({ total: 1200, status: "open" });
    const v3 = await run("billing.invoice.create@3", {
      ...base,
      lines: [{ description: "Platform fee", quantity: 1, unitPrice: 1000, taxRate: 0.2 }],
    });
    expect(v3).toMatchObject({ total: 1200, currency: "EUR", status: "open" });
    const v4 = await run("billing.invoice.create@4", {
      ...base,
      lines: [{ description: "Platform fee", quantity: 2, unitPrice: 500, taxRate: 0.2 }],
      taxMode: "inclusive",
      draft: true,
    });
    expect(v4).toMatchObject({ total: 1000, status: "draft", number: expect.any(String) });
    const got = await run("billing.invoice.get@1", { invoiceId: v3.invoiceId });
    expect(got).toMatchObject({
      invoiceId: v3.invoiceId,
      accountId: "ACC-5521",
      amountDue: 1200,
      lines: [expect.any(Object)],
    });
    expect(
      await run("billing.invoice.send@1", { invoiceId: v3.invoiceId, channel: "portal" }),
    ).toMatchObject({ channel: "portal" });
    const voided = await run("billing.invoice.void@1", {
      invoiceId: v3.invoiceId,
      reason: "saga rollback",
    });
    expect(voided).toEqual({
      invoiceId: v3.invoiceId,
      status: "void",
      voidedAt: expect.any(String),
    });
    await expect(run("billing.invoice.send@1", { invoiceId: v3.invoiceId })).rejects.toMatchObject({
      detail: { status: 409 },
    });
  });

  it("charge.create and its compensation refund.create (full by default, never more than charged)", async () => {
    const charge = await run("billing.charge.create@1", {
      accountId: "ACC-5521",
      amount: 1440,
      currency: "EUR",
      idempotencyKey: "q2c-ACC-5521-test-1",
    });
    expect(charge).toEqual({
      chargeId: expect.stringMatching(/^CH-/),
      status: "succeeded",
      amount: 1440,
      currency: "EUR",
    });
    const refund = await run("billing.refund.create@1", {
      chargeId: charge.chargeId,
      reason: "saga_rollback",
    });
    expect(refund).toEqual({
      refundId: expect.stringMatching(/^RF-/),
      status: "succeeded",
      amount: 1440,
      currency: "EUR",
    });
    await expect(
      run("billing.refund.create@1", { chargeId: charge.chargeId, reason: "duplicate", amount: 1 }),
    ).rejects.toMatchObject({
      name: "NonRetryableError",
      detail: { status: 422 },
    });
  });
});

describe("clm", () => {
  it("contract.get reads the example contract", async () => {
    expect(await run("clm.contract.get@1", { id: "CTR-1001" })).toMatchObject({
      id: "CTR-1001",
      status: "active",
      customer: { id: expect.any(String), email: expect.any(String) },
    });
  });

  it("contract.create, signature.request/get/cancel, contract.terminate (compensations)", async () => {
    const contract = await run("clm.contract.create@1", {
      template: "msa-2024",
      customer: { id: "CUS-88", name: "Ada Lovelace", email: "ada@example.com" },
      currency: "EUR",
      amount: 48000,
      termMonths: 12,
    });
    expect(contract).toEqual({ id: expect.stringMatching(/^CTR-/), status: "draft" });
    const env = await run("clm.signature.request@1", {
      contractId: contract.id,
      signers: [{ name: "Ada Lovelace", email: "ada@example.com", role: "customer" }],
    });
    expect(env).toEqual({
      envelopeId: expect.stringMatching(/^ENV-/),
      status: "sent",
      sentAt: expect.any(String),
    });
    expect(await run("clm.signature.get@1", { envelopeId: env.envelopeId })).toEqual({
      envelopeId: env.envelopeId,
      status: "sent",
      signers: [{ email: "ada@example.com", status: "pending" }],
    });
    expect(
      await run("clm.signature.cancel@1", { envelopeId: env.envelopeId, reason: "saga rollback" }),
    ).toEqual({
      envelopeId: env.envelopeId,
      status: "cancelled",
    });
    const ended = await run("clm.contract.terminate@1", {
      id: contract.id,
      reason: "saga_rollback",
    });
    expect(ended).toEqual({
      id: contract.id,
      status: "terminated",
      terminatedAt: expect.any(String),
    });
  });

  it("contract.renew creates the renewal of an active contract", async () => {
    const renewal = await run("clm.contract.renew@1", {
      id: "CTR-1001",
      termMonths: 12,
      amount: 50000,
    });
    expect(renewal).toMatchObject({
      id: expect.stringMatching(/^CTR-/),
      renewalOf: "CTR-1001",
      status: "draft",
    });
    expect(renewal.id).not.toBe("CTR-1001");
  });

  it("signature.get of a seeded envelope", async () => {
    expect(await run("clm.signature.get@1", { envelopeId: "ENV-7a1" })).toMatchObject({
      envelopeId: "ENV-7a1",
    });
  });
});

describe("engine wiring", () => {
  it("plugs into the engine's runtime registry for built-in and imported connector blocks only", async () => {
    const { withConnectorRuntimes } = await import("./runtime");
    const { builtinRuntimes } = await import("@/server/engine/runtimes/registry");
    const base = builtinRuntimes();
    const registry = withConnectorRuntimes(base, runtime);
    expect(registry.get("crm.contact.get")).toBeDefined();
    expect(registry.get("petstore.list-pets")).toBeDefined();
    expect(registry.get("http.request")).toBe(base.get("http.request"));
    expect(registry.get("agent.classify")).toBeUndefined();
    const out = await registry.get("crm.company.get")!.execute({
      block: {
        id: "crm.company.get",
        version: "1.0.0",
        major: 1,
        kind: "connector",
        sideEffect: "read",
        system: "crm",
      },
      inputs: { id: "COM-77" },
      idempotencyKey: "k-1",
      attempt: 1,
      signal: AbortSignal.timeout(5000),
      run: {
        id: "r1",
        workspaceId: "ws",
        workflowId: null,
        version: null,
        flow: "f",
        inputs: {},
        startedBy: null,
      },
      step: { id: "s1" },
    } as never);
    expect(out).toMatchObject({ id: "COM-77" });
  });
});
