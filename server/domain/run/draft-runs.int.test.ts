import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockService } from "@/server/adapters/connectors/mock/mock-service";
import { mockRecordLookup } from "@/server/adapters/connectors/mock/record-lookup";
import type { Database } from "@/server/adapters/prisma";
import { COUNTED_RUNS_WHERE, DRAFT_VERSION, isDraftRun } from "@/server/engine/run-kind";
import { adminActor, callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { ensureDemoConnectors } from "../connector/connectors";
import { lookupRecords } from "../connector/lookup-records";

let db: Database;
let owner: TestUser;

const flow = (name: string, extra = "") => `flow: ${name}
version: 1.0.0
trigger:
  manual: {}
inputs:
  amount: { type: number }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { double: double(inputs.amount) * 2.0${extra} }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "drafter");
});
afterAll(async () => {
  await db?.close();
});

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);

async function ledger(subjectId: string) {
  return db.prisma.auditEntry.findMany({
    where: { workspaceId: owner.workspace.id, subjectId },
    orderBy: { seq: "asc" },
  });
}

describe("draft runs", () => {
  it("runs the text on screen as a draft run, marked `draft`, leaving the stored draft alone", async () => {
    const wf = await api().workflow.create({ name: "On screen", dsl: flow("stored") });
    await api().workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: flow("stored") });

    // The studio's unsaved text: another flow name, so the run's IR shows which text ran.
    const started = await api().run.start({
      workflowId: wf.id,
      dsl: flow("on-screen"),
      inputs: { amount: 2 },
    });
    expect(started.version).toBe(DRAFT_VERSION);
    const run = await api().run.get({ id: started.id });
    expect(run).toMatchObject({
      version: "draft",
      draft: true,
      workflowName: "On screen",
      workflowDeleted: false,
    });
    expect(run.ir.name).toBe("on-screen");
    const stored = await api().workflow.get({ id: wf.id });
    expect(stored.draft).toContain("flow: stored");
    const [entry] = await ledger(started.id);
    expect(entry?.action).toBe("run.start");
    expect(entry?.payload).toMatchObject({ version: "draft", draft: true, source: "editor" });

    // `draft: true` runs the stored draft, also as a draft run; no flag runs the latest version.
    const storedDraft = await api().run.start({
      workflowId: wf.id,
      draft: true,
      inputs: { amount: 1 },
    });
    expect(storedDraft.version).toBe("draft");
    expect((await api().run.get({ id: storedDraft.id })).ir.name).toBe("stored");
    const versioned = await api().run.start({ workflowId: wf.id, inputs: { amount: 1 } });
    expect(versioned.version).toBe("1.0.0");
    expect(await api().run.get({ id: versioned.id })).toMatchObject({ draft: false });

    const list = await api().run.list({ workflowId: wf.id });
    expect(list.items.map((r) => [r.id, r.version, r.draft])).toEqual([
      [versioned.id, "1.0.0", false],
      [storedDraft.id, "draft", true],
      [started.id, "draft", true],
    ]);
    // What trust scores and replays read: the version run only.
    const counted = await db.prisma.run.findMany({
      where: { AND: [COUNTED_RUNS_WHERE, { workflowId: wf.id }] },
      select: { id: true },
    });
    expect(counted.map((r) => r.id)).toEqual([versioned.id]);
  });

  it("refuses a draft that does not compile with its diagnostics, and writes nothing", async () => {
    const wf = await api().workflow.create({ name: "Broken on screen", dsl: flow("fine") });
    const broken = `${flow("broken")}  - id: nope\n    uses: no.such.block@1\n`;
    await expect(
      api().run.start({ workflowId: wf.id, dsl: broken, inputs: { amount: 1 } }),
    ).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(
        /does not compile \(1 error\): TF3001 at line 13: Unknown block/,
      ),
    });
    // Inputs are checked against the schema of the text on screen, not the stored draft's.
    const renamed = flow("renamed")
      .replace("amount", "total")
      .replace("inputs.amount", "inputs.total");
    await expect(
      api().run.start({ workflowId: wf.id, dsl: renamed, inputs: { amount: 1 } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: /inputs do not match/ });
    await expect(
      api().run.start({ workflowId: wf.id, version: "1.0.0", dsl: flow("x"), inputs: {} }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await db.prisma.run.count({ where: { workflowId: wf.id } })).toBe(0);
    const actions = (
      await db.prisma.auditEntry.findMany({ where: { workspaceId: owner.workspace.id } })
    ).filter((e) => (e.payload as { workflowId?: string } | null)?.workflowId === wf.id);
    expect(actions.map((e) => e.action)).not.toContain("run.start");
  });

  it("tells draft runs by their version: `draft`, or null for runs that name none", () => {
    expect(isDraftRun({ version: "draft" })).toBe(true);
    expect(isDraftRun({ version: null })).toBe(true);
    expect(isDraftRun({ version: "1.4.0" })).toBe(false);
  });
});

describe("mock record lookups (the Run form's id pickers)", () => {
  it("lists the ids a connector block input takes from the workspace's mock service", async () => {
    const service = new MockService();
    const records = mockRecordLookup(() => service);
    const actor = adminActor(owner);
    const input = { uses: "billing.account.get@1", field: "accountId", query: "", limit: 5 };

    // No connector yet (not the demo workspace): no list, and the reason.
    await expect(lookupRecords(db.prisma, actor, input, { records })).resolves.toMatchObject({
      available: false,
      reason: /No billing connector is configured/,
    });

    await ensureDemoConnectors(db.prisma, owner.workspace.id);
    const page = await lookupRecords(db.prisma, actor, input, { records });
    if (!page.available) throw new Error(page.reason);
    expect(page).toMatchObject({
      system: "billing",
      collection: "accounts",
      connector: "billing-mock",
    });
    expect(page.items).toHaveLength(5);
    expect(page.total).toBeGreaterThan(5);
    for (const item of page.items) expect(item.id).toMatch(/^ACC-[0-9]+$/);

    // The query filters by id or label; the example id of the registry exists.
    const one = await lookupRecords(db.prisma, actor, { ...input, query: "acc-5521" }, { records });
    expect(one.available && one.items.map((i) => i.id)).toEqual(["ACC-5521"]);

    // The records are the workspace's own: its tenant's state, not another's.
    service.state("billing", owner.workspace.id).accounts.delete("ACC-5521");
    const gone = await lookupRecords(
      db.prisma,
      actor,
      { ...input, query: "ACC-5521" },
      { records },
    );
    expect(gone.available && gone.total).toBe(0);
    expect(service.state("billing", "someone-else").accounts.has("ACC-5521")).toBe(true);

    // Other systems and collections, found by the block input's id pattern.
    const contracts = await lookupRecords(
      db.prisma,
      actor,
      { uses: "clm.contract.get@1", field: "id", query: "CTR-1001", limit: 10 },
      { records },
    );
    expect(contracts).toMatchObject({ available: true, collection: "contracts" });
    expect(contracts.available && contracts.items[0]?.id).toBe("CTR-1001");
    const deals = await lookupRecords(
      db.prisma,
      actor,
      { uses: "crm.deal.update@1", field: "id", query: "", limit: 1 },
      { records },
    );
    expect(deals.available && deals.items[0]?.id).toMatch(/^DEAL-/);
  });

  it("answers without a list for a non-id input, and refuses what is not a connector input", async () => {
    const actor = adminActor(owner);
    const records = mockRecordLookup(() => new MockService());
    await ensureDemoConnectors(db.prisma, owner.workspace.id);
    await expect(
      lookupRecords(
        db.prisma,
        actor,
        { uses: "crm.deal.update@1", field: "stage", query: "", limit: 5 },
        { records },
      ),
    ).resolves.toMatchObject({ available: false, reason: "stage is not a record id." });
    // A pattern that no record's id matches (a currency code) is not a record id either.
    await expect(
      lookupRecords(
        db.prisma,
        actor,
        { uses: "billing.account.upsert@2", field: "currency", query: "", limit: 5 },
        { records },
      ),
    ).resolves.toMatchObject({ available: false, reason: "currency is not a record id." });
    await expect(
      api().connector.lookupRecords({ uses: "data.transform@1", field: "fields" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: /not a CRM, billing or CLM connector/,
    });
    await expect(
      api().connector.lookupRecords({ uses: "billing.account.get@1", field: "nope" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: /has no input "nope"/ });
    await expect(
      api().connector.lookupRecords({ uses: "billing.account.get@9", field: "accountId" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // Through the router, on the app's own mock service.
    const page = await api().connector.lookupRecords({
      uses: "billing.invoice.send@1",
      field: "invoiceId",
      limit: 3,
    });
    expect(page).toMatchObject({ available: true, collection: "invoices" });
    expect(page.available && page.items.map((i) => i.id)).toEqual([
      expect.stringMatching(/^INV-/),
      expect.stringMatching(/^INV-/),
      expect.stringMatching(/^INV-/),
    ]);
  });

  it("does not list records of a connector that points elsewhere", async () => {
    const other = await makeUser(db.prisma, "real-billing");
    const otherApi = callerFor(db.prisma, other.user, other.workspace.id);
    await otherApi.connector.create({
      name: "billing-prod",
      system: "billing",
      baseUrl: "https://billing.example.com/v1",
      authScheme: "none",
    });
    await expect(
      otherApi.connector.lookupRecords({ uses: "billing.account.get@1", field: "accountId" }),
    ).resolves.toMatchObject({
      available: false,
      reason: /"billing-prod" is not the built-in mock service/,
    });
  });
});
