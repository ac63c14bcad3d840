import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import type { TokenScope } from "@/server/domain/types";
import { verifyApiToken } from "@/server/domain/token/api-tokens";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { listProcedures } from "@/server/testing/procedures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createContextInner } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";

/**
 * Attack: an API token leaked from a CI log could do everything its creator could, forever (no
 * scopes, no expiry), and could even mint fresh tokens that outlive its revocation. Now a token
 * carries scopes and an expiry, is checked on every request, acts with at most its creator's
 * current role, and cannot manage tokens.
 */

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
let editor: Awaited<ReturnType<typeof makeUser>>;
let workflowId: string;
const FLOW = `flow: token-probe
version: 1.0.0
sla: T2
trigger:
  manual: {}
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { two: 1 + 1 }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "token-owner");
  editor = await makeUser(db.prisma, "token-editor");
  await addMembership(db.prisma, editor.user.id, owner.workspace.id, "editor");
  const admin = callerFor(db.prisma, owner.user, owner.workspace.id);
  workflowId = (await admin.workflow.create({ name: "Token probe", dsl: FLOW })).id;
});
afterAll(() => db?.close());

/** A token of `user` with `scopes`, and a caller that presents it the way the HTTP context does. */
async function tokenCaller(
  user: { id: string; email: string; name: string },
  scopes: TokenScope[],
  expiresInDays = 90,
) {
  const created = await callerFor(db.prisma, user, owner.workspace.id).token.create({
    name: `probe-${scopes.join("-")}`,
    scopes,
    expiresInDays,
  });
  return { created, caller: await present(created.secret) };
}

async function present(secret: string) {
  const check = await verifyApiToken(db.prisma, secret);
  return createCaller(
    createContextInner({
      db: db.prisma,
      tokenActor: check.ok ? check.actor : null,
      tokenError: check.ok ? null : check.message,
    }),
  );
}

const state = async () => ({
  runs: await db.prisma.run.count({ where: { workspaceId: owner.workspace.id } }),
  connectors: await db.prisma.connector.count({ where: { workspaceId: owner.workspace.id } }),
  tokens: await db.prisma.apiToken.count({ where: { workspaceId: owner.workspace.id } }),
  workflows: await db.prisma.workflow.findMany({
    where: { workspaceId: owner.workspace.id },
    select: { name: true, draft: true },
    orderBy: { createdAt: "asc" },
  }),
});

describe("unscoped tokens", () => {
  it("a read-only token reads but cannot start runs, edit flows or change connectors", async () => {
    const { caller } = await tokenCaller(owner.user, ["read"]);
    await expect(caller.workflow.list()).resolves.toBeInstanceOf(Array);
    const before = await state();
    await expect(caller.run.start({ workflowId, inputs: {} })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("run scope"),
    });
    await expect(
      caller.connector.create({ name: "evil", system: "crm", baseUrl: "https://evil.example" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("admin scope") });
    await expect(caller.workflow.saveDraft({ id: workflowId, dsl: FLOW })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await state()).toEqual(before);
  });

  it("a run token starts and cancels runs but cannot manage settings", async () => {
    const { caller } = await tokenCaller(owner.user, ["run"]);
    const before = await state();
    const started = await caller.run.start({ workflowId, draft: true, inputs: {} });
    expect(started).toMatchObject({ status: "queued" });
    await expect(caller.run.cancel({ id: started.id })).resolves.toBeTruthy();
    expect((await state()).runs).toBe(before.runs + 1);
    await expect(
      caller.connector.create({ name: "evil", system: "crm", baseUrl: "https://evil.example" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("admin scope") });
    await expect(caller.workflow.rename({ id: workflowId, name: "Renamed" })).rejects.toMatchObject(
      { code: "FORBIDDEN" },
    );
    await expect(caller.trigger.rotateWebhookSecret({ workflowId })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const after = await state();
    expect(after.connectors).toBe(before.connectors);
    expect(after.workflows).toEqual(before.workflows);
  });

  it("no mutation is forgotten: a read token is refused by every one of them", async () => {
    // Walks the router itself, so a new mutation is covered without editing this test. The scope
    // check runs before input parsing, so an empty input is refused with FORBIDDEN too.
    const { caller } = await tokenCaller(owner.user, ["read"]);
    const mutations = listProcedures().filter(
      (p) => p.type === "mutation" && !["auth.signUp", "workspace.create"].includes(p.path),
    );
    expect(mutations.length).toBeGreaterThan(8);
    const before = await state();
    const outcomes: string[] = [];
    for (const p of mutations) {
      let target: unknown = caller;
      for (const part of p.path.split(".")) target = (target as Record<string, unknown>)[part];
      const code = await (target as (i: unknown) => Promise<unknown>)({}).then(
        () => "OK",
        (err: unknown) => (err instanceof TRPCError ? err.code : String(err)),
      );
      outcomes.push(`${p.path}: ${code}`);
    }
    expect(outcomes).toEqual(mutations.map((p) => `${p.path}: FORBIDDEN`));
    expect(await state()).toEqual(before);
  });

  it("an expired token is refused with a clear message", async () => {
    const { created } = await tokenCaller(owner.user, ["admin"], 7);
    await db.prisma.apiToken.update({
      where: { id: created.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const caller = await present(created.secret);
    const before = await state();
    await expect(caller.workflow.list()).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringMatching(/expired on \d{4}-\d{2}-\d{2}/),
    });
    await expect(caller.workflow.create({ name: "After expiry" })).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
    expect(await state()).toEqual(before);
  });

  it("the default lifetime is 90 days and the list shows scopes and expiry", async () => {
    const admin = callerFor(db.prisma, owner.user, owner.workspace.id);
    const created = await admin.token.create({ name: "defaults" });
    expect(created.scopes).toEqual(["read"]);
    const days = (created.expiresAt.getTime() - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(90);
    const listed = (await admin.token.list()).find((t) => t.id === created.id)!;
    expect(listed).toMatchObject({ scopes: ["read"], expiresAt: created.expiresAt });
    await expect(admin.token.create({ name: "none", scopes: [] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(
      admin.token.create({ name: "forever", expiresInDays: 100_000 }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("a revoked token is refused on its very next request", async () => {
    const { created, caller } = await tokenCaller(owner.user, ["admin"]);
    await expect(caller.workflow.list()).resolves.toBeInstanceOf(Array);
    await callerFor(db.prisma, owner.user, owner.workspace.id).token.revoke({ id: created.id });
    const again = await present(created.secret);
    await expect(again.workflow.list()).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringContaining("revoked"),
    });
  });

  it("a token of a demoted creator loses power, and of a departed creator dies", async () => {
    const second = await makeUser(db.prisma, "token-second-admin");
    const membership = await addMembership(db.prisma, second.user.id, owner.workspace.id, "admin");
    const { created } = await tokenCaller(second.user, ["admin"]);
    await expect(
      (await present(created.secret)).workflow.create({ name: "While admin" }),
    ).resolves.toMatchObject({ name: "While admin" });
    await callerFor(db.prisma, owner.user, owner.workspace.id).workspace.setRole({
      membershipId: membership.id,
      role: "viewer",
    });
    const before = await state();
    const demoted = await present(created.secret);
    await expect(demoted.workflow.list()).resolves.toBeInstanceOf(Array);
    await expect(demoted.workflow.create({ name: "After demotion" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("creator is a viewer"),
    });
    await db.prisma.membership.delete({ where: { id: membership.id } });
    const departed = await present(created.secret);
    await expect(departed.workflow.list()).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringContaining("no longer a member"),
    });
    expect(await state()).toEqual(before);
  });

  it("an admin-scoped token of an editor can still only do what an editor can", async () => {
    // Only admins create tokens: the editor made it while an admin, then was demoted to editor.
    const m = await db.prisma.membership.findFirstOrThrow({
      where: { userId: editor.user.id, workspaceId: owner.workspace.id },
    });
    await db.prisma.membership.update({ where: { id: m.id }, data: { role: "admin" } });
    const { created } = await tokenCaller(editor.user, ["admin"]);
    await db.prisma.membership.update({ where: { id: m.id }, data: { role: "editor" } });
    const caller = await present(created.secret);
    await expect(
      caller.workflow.rename({ id: workflowId, name: "Token probe" }),
    ).resolves.toMatchObject({ name: "Token probe" });
    const before = await state();
    await expect(
      caller.connector.create({ name: "evil", system: "crm", baseUrl: "https://evil.example" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("admin role") });
    expect((await state()).connectors).toBe(before.connectors);
  });

  it("a token cannot create, list or revoke tokens", async () => {
    const { created, caller } = await tokenCaller(owner.user, ["admin"]);
    const before = await state();
    await expect(caller.token.create({ name: "child", scopes: ["admin"] })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("browser session"),
    });
    await expect(caller.token.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.token.revoke({ id: created.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await state()).toEqual(before);
  });
});
