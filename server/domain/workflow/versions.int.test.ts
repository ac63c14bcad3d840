import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowTemplates } from "@/dsl";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { verifyAudit } from "../audit/ledger";

let db: Database;
let u: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  db = await openTestDatabase();
  u = await makeUser(db.prisma, "versions");
});
afterAll(() => db?.close());

const actions = async () =>
  (
    await db.prisma.auditEntry.findMany({
      where: { workspaceId: u.workspace.id },
      orderBy: { seq: "asc" },
    })
  ).map((e) => e.action);

describe("drafts and versions", () => {
  it("saves drafts with server diagnostics, even when they have errors", async () => {
    const c = callerFor(db.prisma, u.user);
    const wf = await c.workflow.create({ name: "Drafty" });
    const bad = await c.workflow.saveDraft({ id: wf.id, dsl: "flow: drafty\nversion: nope\n" });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics.map((d) => d.code)).toContain("TF1006");
    expect((await c.workflow.get({ id: wf.id })).draft).toContain("version: nope");
    expect((await c.workflow.compile({ id: wf.id })).ok).toBe(false);
    const same = await c.workflow.saveDraft({ id: wf.id, dsl: "flow: drafty\nversion: nope\n" });
    expect(same.changed).toBe(false);
  });

  it("creates versions in SemVer order, refuses duplicates, lower versions and errors", async () => {
    const c = callerFor(db.prisma, u.user);
    const text = flowTemplates[0]!.text;
    const wf = await c.workflow.create({ name: "Versioned", dsl: text });
    const at = (v: string) => text.replace("version: 0.1.0", `version: ${v}`);
    await expect(
      c.workflow.createVersion({ id: wf.id, version: "0.1.0", dsl: text, message: "first" }),
    ).resolves.toMatchObject({ version: "0.1.0" });
    await expect(
      c.workflow.createVersion({ id: wf.id, version: "0.1.0", dsl: text }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      c.workflow.createVersion({ id: wf.id, version: "0.0.9", dsl: at("0.0.9") }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("greater") });
    await expect(
      c.workflow.createVersion({ id: wf.id, version: "0.2.0", dsl: text }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("declares") });
    await expect(
      c.workflow.createVersion({
        id: wf.id,
        version: "0.2.0",
        dsl: at("0.2.0").replace("uses: crm.deal.update@1", "uses: crm.deal.nope@1"),
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("error") });
    await c.workflow.createVersion({ id: wf.id, version: "0.10.0", dsl: at("0.10.0") });
    const list = await c.workflow.listVersions({ id: wf.id });
    expect(list.map((v) => v.version)).toEqual(["0.10.0", "0.1.0"]);
    const old = await c.workflow.getVersion({ id: wf.id, versionId: list[1]!.id });
    expect(old.dsl).toBe(text);
    await c.workflow.restoreVersion({ id: wf.id, versionId: old.id });
    expect((await c.workflow.get({ id: wf.id })).draft).toBe(text);
    expect(await actions()).toEqual(
      expect.arrayContaining([
        "workflow.draft.save",
        "workflow.version.create",
        "workflow.version.restore",
      ]),
    );
    expect(await verifyAudit(db.prisma, u.workspace.id)).toMatchObject({ ok: true });
  });

  it("creates a workflow from a template, named after the workflow", async () => {
    const c = callerFor(db.prisma, u.user);
    const wf = await c.workflow.createFromTemplate({
      name: "My refunds",
      template: "refund-approval",
    });
    const got = await c.workflow.get({ id: wf.id });
    expect(got.draft).toContain("flow: my-refunds");
    // The template addresses `group: finance`; this workspace has no such group, so the draft
    // addresses its approvers instead and says so: it compiles and runs on its first try.
    expect(got.draft).not.toMatch(/^\s*group: finance/m);
    expect(got.draft).toMatch(/^ {8}role: approver # this workspace has no group `finance`/m);
    expect((await c.workflow.compile({ id: wf.id })).diagnostics).toEqual([]);
    // With the group, a new workflow from the template keeps it.
    await c.group.create({ name: "finance" });
    const again = await c.workflow.createFromTemplate({
      name: "Refunds by finance",
      template: "refund-approval",
    });
    const draft = (await c.workflow.get({ id: again.id })).draft;
    expect(draft).toMatch(/^ {8}group: finance # a workspace group/m);
    expect((await c.workflow.compile({ id: again.id })).diagnostics).toEqual([]);
  });
});
