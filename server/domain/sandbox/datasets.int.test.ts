import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validatorFor } from "@/dsl";
import { mockService } from "@/server/adapters/connectors/mock/mock-service";
import { sessionTenant } from "@/server/adapters/connectors/mock/sandbox";
import type { Database } from "@/server/adapters/prisma";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine } from "@/server/engine/engine";
import { engineFor, tickToEnd } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { loadDatasetVersion } from "./datasets";

let db: Database;
let engine: Engine;
let owner: TestUser;
let viewer: TestUser;
let outsider: TestUser;

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const viewerApi = () => callerFor(db.prisma, viewer.user, owner.workspace.id);
const outsiderApi = () => callerFor(db.prisma, outsider.user, outsider.workspace.id);

async function fails(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected the call to fail");
}

/** The run `runId` ticked to its end by this file's engine. */
const untilEnd = (runId: string) => tickToEnd(engine, runId);

/** Each step's final status and output, ids and timestamps masked. */
async function stepsOf(runId: string) {
  const attempts = await engine.deps.store.listAttempts(runId);
  const masked = JSON.stringify(
    attempts
      .sort((a, b) => a.stepId.localeCompare(b.stepId))
      .map((a) => ({ step: a.stepId, status: a.status, output: a.output })),
  )
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>");
  return masked;
}

const CSV_V1 = 'id,name,amount\r\n1,Ada,10\r\n2,"Grace ""Amazing"" Hopper",20\r\n3,Alan,30\r\n';
const CSV_V2 = "id,name,amount\n1,Ada,10\n2,Grace Hopper,25\n4,Katherine,40\n";

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "datasets");
  viewer = await makeUser(db.prisma, "dataset-viewer");
  outsider = await makeUser(db.prisma, "dataset-outsider");
  await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");
  engine = engineFor(db);
});
afterAll(async () => {
  await db?.close();
});

describe("datasets", () => {
  it("stores uploads as immutable, content-hashed versions and diffs them", async () => {
    const ds = await api().dataset.create({ name: "customers", description: "for tests" });
    const v1 = await api().dataset.upload({ datasetId: ds.id, format: "csv", text: CSV_V1 });
    expect(v1.created).toBe(true);
    expect(v1.version).toMatchObject({ version: 1, rowCount: 3, source: "upload-csv" });
    expect(v1.version.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(v1.version.columns).toEqual([
      { name: "id", type: "string" },
      { name: "name", type: "string" },
      { name: "amount", type: "string" },
    ]);
    // The same rows again (as JSON Lines even): the same version, nothing new.
    const jsonl = [
      { id: "1", name: "Ada", amount: "10" },
      { id: "2", name: 'Grace "Amazing" Hopper', amount: "20" },
      { id: "3", name: "Alan", amount: "30" },
    ]
      .map((r) => JSON.stringify(r))
      .join("\n");
    const again = await api().dataset.upload({ datasetId: ds.id, format: "jsonl", text: jsonl });
    expect(again).toMatchObject({ created: false, version: { id: v1.version.id, version: 1 } });

    const v2 = await api().dataset.upload({ datasetId: ds.id, format: "csv", text: CSV_V2 });
    expect(v2).toMatchObject({ created: true, version: { version: 2, rowCount: 3 } });
    const versions = await viewerApi().dataset.versions({ datasetId: ds.id });
    expect(versions.map((v) => v.version)).toEqual([2, 1]);

    const page = await viewerApi().dataset.rows({ versionId: v1.version.id, offset: 1, limit: 1 });
    expect(page).toMatchObject({ total: 3, offset: 1 });
    expect(page.rows).toEqual([{ id: "2", name: 'Grace "Amazing" Hopper', amount: "20" }]);

    const byKey = await viewerApi().dataset.diff({
      fromVersionId: v1.version.id,
      toVersionId: v2.version.id,
      key: "id",
    });
    expect(byKey).toMatchObject({ mode: "key", added: 1, removed: 1, changed: 1, unchanged: 1 });
    expect(byKey.items).toEqual([
      { kind: "removed", key: "3", before: { id: "3", name: "Alan", amount: "30" } },
      {
        kind: "changed",
        key: "2",
        before: { id: "2", name: 'Grace "Amazing" Hopper', amount: "20" },
        after: { id: "2", name: "Grace Hopper", amount: "25" },
        columns: ["name", "amount"],
      },
      { kind: "added", key: "4", after: { id: "4", name: "Katherine", amount: "40" } },
    ]);
    const byHash = await viewerApi().dataset.diff({
      fromVersionId: v1.version.id,
      toVersionId: v2.version.id,
    });
    expect(byHash).toMatchObject({ mode: "hash", added: 2, removed: 2, changed: 0, unchanged: 1 });
    const badKey = await fails(
      api().dataset.diff({ fromVersionId: v1.version.id, toVersionId: v2.version.id, key: "nope" }),
    );
    expect(badKey.message).toMatch(/Row 1 of version 1 has no "nope" value/);

    const listed = await viewerApi().dataset.list();
    expect(listed.find((d) => d.id === ds.id)).toMatchObject({
      versionCount: 2,
      latest: { id: v2.version.id, version: 2, rowCount: 3 },
    });

    // The eval suites' loader: the version's rows, for this workspace only.
    const loaded = await loadDatasetVersion(db.prisma, owner.workspace.id, v1.version.id);
    expect(loaded).toEqual({
      id: v1.version.id,
      datasetId: ds.id,
      version: 1,
      hash: v1.version.hash,
      rows: expect.any(Array),
    });
    expect(loaded!.rows).toHaveLength(3);
    expect(await loadDatasetVersion(db.prisma, outsider.workspace.id, v1.version.id)).toBeNull();
    expect(await loadDatasetVersion(db.prisma, owner.workspace.id, "not-a-uuid")).toBeNull();
  });

  it("refuses bad uploads with the line named and stores nothing", async () => {
    const ds = await api().dataset.create({ name: "bad-input" });
    const csv = await fails(
      api().dataset.upload({ datasetId: ds.id, format: "csv", text: 'a,b\n1,2\n3,"x"y\n' }),
    );
    expect(csv).toMatchObject({ code: "BAD_REQUEST" });
    expect(csv.message).toMatch(/^Line 3: text after a closing quote/);
    const jsonl = await fails(
      api().dataset.upload({ datasetId: ds.id, format: "jsonl", text: '{"a":1}\n{"a":2\n' }),
    );
    expect(jsonl.message).toMatch(/^Line 2: not valid JSON/);
    const typed = await fails(
      api().dataset.upload({
        datasetId: ds.id,
        format: "csv",
        text: "n\n1\nten\n",
        columnTypes: { n: "number" },
      }),
    );
    expect(typed.message).toMatch(/^Line 3, column "n": "ten" is not a number/);
    expect(await db.prisma.datasetVersion.count({ where: { datasetId: ds.id } })).toBe(0);
    // Typed CSV columns are numbers and booleans.
    const ok = await api().dataset.upload({
      datasetId: ds.id,
      format: "csv",
      text: "n,b\n1.5,true\n",
      columnTypes: { n: "number", b: "boolean" },
    });
    expect(ok.version.columns).toEqual([
      { name: "n", type: "number" },
      { name: "b", type: "boolean" },
    ]);
  });

  it("lets editors write and viewers read, within the workspace, with ledger entries", async () => {
    const ds = await api().dataset.create({ name: "roles" });
    expect(await fails(viewerApi().dataset.create({ name: "mine" }))).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(
      await fails(viewerApi().dataset.upload({ datasetId: ds.id, format: "jsonl", text: "{}" })),
    ).toMatchObject({ code: "FORBIDDEN" });
    expect(await fails(outsiderApi().dataset.get({ id: ds.id }))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await fails(api().dataset.create({ name: "roles" }))).toMatchObject({
      code: "CONFLICT",
    });
    await api().dataset.upload({ datasetId: ds.id, format: "jsonl", text: '{"x":1}' });
    const archived = await api().dataset.archive({ id: ds.id });
    expect(archived.archivedAt).toBeInstanceOf(Date);
    expect((await api().dataset.list()).map((d) => d.id)).not.toContain(ds.id);
    expect((await api().dataset.list({ includeArchived: true })).map((d) => d.id)).toContain(ds.id);
    expect(
      await fails(api().dataset.upload({ datasetId: ds.id, format: "jsonl", text: '{"x":2}' })),
    ).toMatchObject({ code: "PRECONDITION_FAILED" });
    const entries = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: ds.id },
      orderBy: { seq: "asc" },
      select: { action: true, subjectType: true },
    });
    expect(entries).toEqual([
      { action: "dataset.create", subjectType: "dataset" },
      { action: "dataset.upload", subjectType: "dataset" },
      { action: "dataset.archive", subjectType: "dataset" },
    ]);
  });

  it("generates seeded, schema-valid rows from a block's schema", async () => {
    const ds = await api().dataset.create({ name: "generated" });
    const one = await api().dataset.generate({
      datasetId: ds.id,
      block: "crm.contact.create",
      side: "input",
      count: 5,
      seed: 7,
    });
    expect(one.version).toMatchObject({ rowCount: 5, source: "generated" });
    expect(one.version.sourceRef).toBe("crm.contact.create@1#input?seed=7&count=5");
    const { rows } = await api().dataset.rows({ versionId: one.version.id, limit: 10 });
    const block = (await import("@/server/domain/workflow/compile-flow"))
      .serverRegistry()
      .get("crm.contact.create")!;
    const validate = validatorFor(block.inputSchema as object);
    for (const row of rows) expect(validate(row), JSON.stringify(validate.errors)).toBe(true);
    // The same seed: the same rows, hence the same version.
    const same = await api().dataset.generate({
      datasetId: ds.id,
      block: "crm.contact.create",
      side: "input",
      count: 5,
      seed: 7,
    });
    expect(same).toMatchObject({ created: false, version: { id: one.version.id } });
    const other = await api().dataset.generate({
      datasetId: ds.id,
      block: "crm.contact.create",
      side: "output",
      count: 5,
      seed: 7,
    });
    expect(other).toMatchObject({ created: true, version: { version: 2 } });
    expect(
      await fails(
        api().dataset.generate({
          datasetId: ds.id,
          block: "no.such.block",
          side: "input",
          count: 1,
        }),
      ),
    ).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("records runs' inputs and outputs, redacted of secrets and URL credentials", async () => {
    const secret = "s3cr3t-value-of-the-workspace";
    await api().secret.set({ name: "crm_token", value: secret });
    const wf = await api().workflow.create({
      name: "Recorded flow",
      dsl: `flow: recorded
version: 1.0.0
trigger:
  manual: {}
inputs:
  note: { type: string }
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields: { echo: inputs.note }
`,
    });
    const runIds: string[] = [];
    for (const note of [`token ${secret} here`, "see https://bob:hunter2@example.com/x"]) {
      const started = await api().run.start({ workflowId: wf.id, draft: true, inputs: { note } });
      expect((await untilEnd(started.id)).status).toBe("succeeded");
      runIds.push(started.id);
    }
    const ds = await api().dataset.create({ name: "recorded" });
    const runs = await api().dataset.record({ datasetId: ds.id, workflowId: wf.id });
    expect(runs).toMatchObject({ created: true, skipped: 0, version: { rowCount: 2 } });
    const stored = JSON.stringify(
      (await db.prisma.datasetVersion.findUniqueOrThrow({ where: { id: runs.version.id } })).rows,
    );
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain("hunter2");
    expect(stored).toContain("[redacted]");
    const { rows } = await api().dataset.rows({ versionId: runs.version.id });
    expect(rows.map((r) => r.runId).sort()).toEqual([...runIds].sort());
    expect(rows[0]).toMatchObject({ status: "succeeded", inputs: { note: expect.any(String) } });

    const steps = await api().dataset.record({
      datasetId: ds.id,
      workflowId: wf.id,
      stepId: "shape",
    });
    const stepRows = (await api().dataset.rows({ versionId: steps.version.id })).rows;
    expect(stepRows).toHaveLength(2);
    expect(stepRows[0]).toMatchObject({ stepId: "shape", attempt: 1, status: "succeeded" });
    expect(JSON.stringify(stepRows)).not.toContain(secret);
    expect(
      await fails(api().dataset.record({ datasetId: ds.id, workflowId: wf.id, stepId: "nope" })),
    ).toMatchObject({ code: "PRECONDITION_FAILED" });
  });
});

/** Reads a dataset contact, writes one: the outputs depend on the session's mock state. */
const CONTACTS_FLOW = (email: string) => `flow: from-dataset
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: read
    uses: crm.contact.get@1
    retry: { max: 0 }
    with: { id: CON-7 }
  - id: write
    uses: crm.contact.create@1
    needs: [read]
    retry: { max: 0 }
    with: { email: ${email}, firstName: Grace, lastName: Hopper }
  - id: account
    uses: billing.account.get@1
    needs: [read]
    retry: { max: 0 }
    with: { accountId: ACC-5521 }
`;

describe("sessions forked from a dataset version", () => {
  async function startIn(sessionId: string, dsl: string) {
    const r = compileFlow(dsl);
    expect(r.ir).toBeTruthy();
    const wf = await api().workflow.create({ name: `Flow ${Math.random()}`, dsl });
    const started = await api().run.start({
      workflowId: wf.id,
      draft: true,
      sandboxSessionId: sessionId,
    });
    return untilEnd(started.id);
  }

  it("seeds the mocks from the rows; same version and faults give identical outputs; sessions stay apart", async () => {
    const ds = await api().dataset.create({ name: "crm-contacts" });
    const text = [
      { system: "crm", type: "contacts", id: "CON-7", email: "ada@example.com", firstName: "Ada" },
      { system: "crm", type: "contacts", id: "CON-9", email: "alan@example.com" },
      { system: "billing", type: "accounts", accountId: "ACC-5521", creditLimit: "123456" },
    ]
      .map((r) => JSON.stringify(r))
      .join("\n");
    const v = await api().dataset.upload({ datasetId: ds.id, format: "jsonl", text });
    const faultProfile = { billing: [{ operation: "account.get", latencyMs: 1 }] };
    const a = await api().sandbox.create({
      name: "A",
      datasetVersionId: v.version.id,
      faultProfile,
    });
    const b = await api().sandbox.create({
      name: "B",
      datasetVersionId: v.version.id,
      faultProfile,
    });
    expect(a.datasetRef).toBe(v.version.id);
    // The session names the dataset version it was started from (the Sandbox page shows it).
    const origin = {
      datasetId: ds.id,
      versionId: v.version.id,
      name: "crm-contacts",
      version: 1,
      hash: v.version.hash,
      rowCount: 3,
    };
    expect(a.dataset).toEqual(origin);
    expect((await api().sandbox.get({ id: b.id })).dataset).toEqual(origin);
    expect((await api().sandbox.list()).find((s) => s.id === a.id)?.dataset).toEqual(origin);

    const runA = await startIn(a.id, CONTACTS_FLOW("new@example.com"));
    const runB = await startIn(b.id, CONTACTS_FLOW("new@example.com"));
    expect(runA.status).toBe("succeeded");
    const outA = await stepsOf(runA.id);
    expect(outA).toContain("ada@example.com");
    // The seeded account, patched by the dataset.
    expect(outA).toContain('"creditLimit":123456');
    expect(await stepsOf(runB.id)).toBe(outA);

    // The dataset's records were written over the seed's: new ones whole, with defaults.
    const contacts = mockService().state("crm", sessionTenant(a.id)).contacts;
    expect(contacts.get("CON-7")).toMatchObject({ lifecycle: "lead", properties: {} });
    expect(contacts.has("CON-9")).toBe(true);
    expect(contacts.has("CON-1042")).toBe(true);
    expect(contacts.has("CON-1600")).toBe(true); // the contact the run created

    // A write in one session is not seen by the other.
    const runA2 = await startIn(a.id, CONTACTS_FLOW("only-a@example.com"));
    expect(runA2.status).toBe("succeeded");
    const emails = (id: string) =>
      [...mockService().state("crm", sessionTenant(id)).contacts.values()].map((c) => c.email);
    expect(emails(a.id)).toContain("only-a@example.com");
    expect(emails(b.id)).not.toContain("only-a@example.com");
  });

  it("refuses a version whose rows are not mock records, or of another workspace", async () => {
    const ds = await api().dataset.create({ name: "not-mocks" });
    const v = await api().dataset.upload({ datasetId: ds.id, format: "csv", text: "a\n1\n" });
    const bad = await fails(api().sandbox.create({ name: "bad", datasetVersionId: v.version.id }));
    expect(bad).toMatchObject({ code: "BAD_REQUEST" });
    expect(bad.message).toMatch(/Row 1: "system" must be one of crm, billing, clm/);
    const foreign = await fails(
      outsiderApi().sandbox.create({ name: "x", datasetVersionId: v.version.id }),
    );
    expect(foreign).toMatchObject({ code: "NOT_FOUND" });
  });
});
