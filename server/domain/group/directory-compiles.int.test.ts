/**
 * The workspace's directory in design-time compiles: saving a draft, the server's compile of the
 * stored draft, publishing a version and running a draft all check `group:` and `users:` against
 * the workspace (TF3060), before anything runs. Published versions run as published, even after
 * a group they address is deleted (triggers and webhooks compile them without the directory).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowTemplates } from "@/dsl";
import type { Database } from "@/server/adapters/prisma";
import { callerFor } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { DEMO_USERS, seedDemo } from "../seed/seed-demo";
import { compileFlow, compileFlowCached } from "../workflow/compile-flow";
import { irHashOf } from "../workflow/ir-hash";
import { workspaceDirectory } from "./workspace-directory";

let db: Database;
let workspaceId: string;
let admin: { id: string; email: string; name: string };

beforeAll(async () => {
  db = await openTestDatabase();
  expect(await seedDemo(db.prisma, { irHashOf })).toEqual({ created: true });
  workspaceId = (await db.prisma.workspace.findUniqueOrThrow({ where: { slug: "demo" } })).id;
  const email = DEMO_USERS.find((u) => u.role === "admin")!.email;
  admin = await db.prisma.user.findUniqueOrThrow({ where: { email } });
});
afterAll(async () => {
  await db?.close();
});

const api = () => callerFor(db.prisma, admin, workspaceId);
const approverEmail = DEMO_USERS.find((u) => u.role === "approver")!.email;

/** A flow whose one step asks `approvers` (YAML flow mapping) to decide. */
const flow = (approvers: string, version = "1.0.0") => `flow: addressed
version: ${version}
trigger:
  manual: {}
steps:
  - id: decide
    uses: human.approval@1
    with:
      approvers: ${approvers}
      message: Go ahead?
`;

const codes = (diagnostics: { code: string; severity: string }[]) =>
  diagnostics.filter((d) => d.severity === "error").map((d) => d.code);

const runCount = () => db.prisma.run.count({ where: { workspaceId } });

describe("the demo directory", () => {
  it("every template and seeded flow compiles clean with it; without `finance` the check bites", async () => {
    const directory = await workspaceDirectory(db.prisma, workspaceId);
    expect(directory.groups).toEqual(["finance"]);
    expect(directory.users).toEqual(DEMO_USERS.map((u) => u.email).sort());
    const noFinance = { groups: [], users: directory.users };

    const seeded = await db.prisma.workflow.findMany({ where: { workspaceId } });
    expect(seeded.length).toBeGreaterThan(0);
    const texts = [
      ...flowTemplates.map((t) => ({ name: `template ${t.id}`, text: t.text })),
      ...seeded.map((w) => ({ name: `seeded ${w.name}`, text: w.draft })),
    ];
    let addressingFinance = 0;
    for (const { name, text } of texts) {
      // Clean: no errors (a seeded flow may carry a deliberate warning, such as a trust gate
      // that asks for an approval).
      const r = compileFlow(text, { directory });
      expect(codes(r.diagnostics), name).toEqual([]);
      expect(r.ok, name).toBe(true);
      if (/group:\s*finance/.test(text)) {
        addressingFinance++;
        expect(codes(compileFlow(text, { directory: noFinance }).diagnostics), name).toContain(
          "TF3060",
        );
      }
    }
    // The refund template and the seeded dunning flow address the group.
    expect(addressingFinance).toBeGreaterThanOrEqual(2);

    // The server's own compile of each seeded draft (the studio's "server word") agrees.
    for (const w of seeded) {
      const r = await api().workflow.compile({ id: w.id });
      expect(r.ok, w.name).toBe(true);
      expect(codes(r.diagnostics), w.name).toEqual([]);
    }
  });
});

describe("design-time compiles use the workspace's directory", () => {
  it("a draft naming an unknown group or user gets TF3060 and is neither published nor run", async () => {
    const wf = await api().workflow.create({ name: "Addressed" });
    for (const approvers of ["{ group: finanse }", "{ users: [nobody@example.test] }"]) {
      const text = flow(approvers);
      const saved = await api().workflow.saveDraft({ id: wf.id, dsl: text });
      expect(saved.ok, approvers).toBe(false);
      const tf3060 = saved.diagnostics.filter((d) => d.code === "TF3060");
      expect(tf3060, approvers).toHaveLength(1);
      expect(tf3060[0]).toMatchObject({ severity: "error", stepId: "decide" });
      expect(text.slice(tf3060[0]!.span.start, tf3060[0]!.span.end)).toMatch(
        /^(finanse|nobody@example\.test)$/,
      );
      expect(codes((await api().workflow.compile({ id: wf.id })).diagnostics)).toEqual(["TF3060"]);

      await expect(
        api().workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: text }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("TF3060") });
      expect(await api().workflow.listVersions({ id: wf.id })).toEqual([]);

      const before = await runCount();
      await expect(
        api().run.start({ workflowId: wf.id, dsl: text, inputs: {} }),
      ).rejects.toMatchObject({
        code: "PRECONDITION_FAILED",
        message: expect.stringMatching(/TF3060 at line 9: .*(finanse|nobody@example\.test)/),
      });
      await expect(
        api().run.start({ workflowId: wf.id, draft: true, inputs: {} }),
      ).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
      expect(await runCount()).toBe(before);
    }

    // The group and a member the workspace has: clean, publishable, runnable.
    for (const approvers of ["{ group: finance }", `{ users: [${approverEmail.toUpperCase()}] }`]) {
      const text = flow(approvers);
      const saved = await api().workflow.saveDraft({ id: wf.id, dsl: text });
      expect(saved.diagnostics, approvers).toEqual([]);
      const run = await api().run.start({ workflowId: wf.id, dsl: text, inputs: {} });
      expect(run.version).toBe("draft");
    }
    await expect(
      api().workflow.createVersion({
        id: wf.id,
        version: "1.0.0",
        dsl: flow("{ group: finance }"),
      }),
    ).resolves.toMatchObject({ version: "1.0.0" });
  });

  it("a group created in Settings is known to the next compile; a published version outlives its deletion", async () => {
    const wf = await api().workflow.create({ name: "Night shift" });
    const text = flow("{ group: night-shift }");
    expect(codes((await api().workflow.saveDraft({ id: wf.id, dsl: text })).diagnostics)).toEqual([
      "TF3060",
    ]);

    const group = await api().group.create({ name: "night-shift" });
    expect((await api().workflow.compile({ id: wf.id })).diagnostics).toEqual([]);
    const version = await api().workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: text });

    await api().group.delete({ id: group.id });
    // The draft is checked again at design time…
    expect(codes((await api().workflow.compile({ id: wf.id })).diagnostics)).toEqual(["TF3060"]);
    await expect(
      api().run.start({ workflowId: wf.id, draft: true, inputs: {} }),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    // …while the published version still runs, from the UI and from triggers.
    const run = await api().run.start({ workflowId: wf.id, inputs: {} });
    expect(run.version).toBe("1.0.0");
    expect(compileFlowCached(`v:${version.id}`, text).ir).not.toBeNull();
  });
});
