import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import type { Role } from "@/server/domain/types";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { callProcedure, generateInputs, listProcedures } from "@/server/testing/procedures";
import { openTestDatabase } from "@/server/testing/test-database";

/**
 * The role matrix, over every mutation of the router: viewers cannot mutate workspace data;
 * only admins manage members and API tokens. Account-level mutations (sign-up, creating one's
 * own workspace) act on the caller's account, not the workspace, and are listed here explicitly.
 */
const ACCOUNT_LEVEL = new Set([
  "auth.signUp",
  "workspace.create",
  "auth.changePassword",
  "auth.revokeSession",
  "auth.signOutEverywhere",
  "workspace.acceptInvitation",
  // One's own notifications (the bell): read and unread are the caller's, not the workspace's.
  "notification.markRead",
  "notification.markAllRead",
]);
const ADMIN_ONLY = new Set([
  "workspace.invite",
  "workspace.invitations",
  "workspace.revokeInvitation",
  "workspace.setRole",
  "workspace.removeMember",
  "token.create",
  "token.revoke",
  "token.list",
  "group.create",
  "group.update",
  "group.delete",
  "group.addMember",
  "group.removeMember",
  "notification.webhooks.create",
  "notification.webhooks.update",
  "notification.webhooks.delete",
  "notification.webhooks.rotateSecret",
  "notification.webhooks.test",
  // Letting a sandbox session reach real models (issue 16).
  "sandbox.setModelRoutes",
  // Retraining the workspace's failure model (it decides whether runs may be gated on risk).
  "prediction.retrain",
  // Alert rules (issue 17): admins manage them; members acknowledge fired alerts.
  "alert.createRule",
  "alert.updateRule",
  "alert.deleteRule",
  // The guardian's model (issue 18): which model writes fix proposals, and may spend on them.
  "guardianModel.set",
]);

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
const members = {} as Record<Role, { id: string; email: string; name: string }>;
let ids: string[] = [];
/** Members' user ids, for the `userId` of group membership changes. */
let userIds: string[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "owner");
  members.admin = owner.user;
  for (const role of ["viewer", "editor", "approver"] as const) {
    const u = await makeUser(db.prisma, role);
    await addMembership(db.prisma, u.user.id, owner.workspace.id, role);
    members[role] = u.user;
  }
  const asOwner = callerFor(db.prisma, owner.user, owner.workspace.id);
  const wf = await asOwner.workflow.create({ name: "Matrix flow" });
  const token = await asOwner.token.create({ name: "matrix" });
  const group = await asOwner.group.create({ name: "matrix" });
  const ms = await db.prisma.membership.findMany({
    where: { workspaceId: owner.workspace.id, role: "viewer" },
  });
  ids = [wf.id, token.id, group.id, ...ms.map((m) => m.id)];
  userIds = ms.map((m) => m.userId);
});
afterAll(() => db?.close());

const procedures = listProcedures();
const mutations = procedures.filter((p) => p.type === "mutation" && !ACCOUNT_LEVEL.has(p.path));

async function attempt(role: Role, path: string) {
  const proc = procedures.find((p) => p.path === path)!;
  const caller = callerFor(db.prisma, members[role], owner.workspace.id);
  const codes: string[] = [];
  for (const input of generateInputs(proc, {
    uuids: { "*": ids, userId: userIds },
    email: "nobody@example.test",
  })) {
    try {
      await callProcedure(caller, path, input);
      codes.push("OK");
    } catch (err) {
      codes.push(err instanceof TRPCError ? err.code : String(err));
    }
  }
  return codes;
}

describe("role matrix", () => {
  it("finds the mutations to check", () => {
    expect(mutations.length).toBeGreaterThanOrEqual(8);
  });

  for (const proc of mutations) {
    it(`viewer cannot call ${proc.path}`, async () => {
      const codes = await attempt("viewer", proc.path);
      expect(codes.every((c) => c === "FORBIDDEN")).toBe(true);
    });
  }

  for (const path of ADMIN_ONLY) {
    for (const role of ["editor", "approver"] as const) {
      it(`${role} cannot call ${path}`, async () => {
        const codes = await attempt(role, path);
        expect(codes.every((c) => c === "FORBIDDEN")).toBe(true);
      });
    }
  }

  it("editors edit workflows, admins manage members", async () => {
    const editor = callerFor(db.prisma, members.editor, owner.workspace.id);
    const created = await editor.workflow.create({ name: "Editor flow" });
    await expect(
      editor.workflow.rename({ id: created.id, name: "Editor flow 2" }),
    ).resolves.toMatchObject({ name: "Editor flow 2" });
    const admin = callerFor(db.prisma, owner.user, owner.workspace.id);
    const list = await admin.workspace.members();
    const viewer = list.find((m) => m.role === "viewer")!;
    await expect(
      admin.workspace.setRole({ membershipId: viewer.id, role: "editor" }),
    ).resolves.toMatchObject({ role: "editor" });
  });

  it("the last admin cannot be demoted", async () => {
    const admin = callerFor(db.prisma, owner.user, owner.workspace.id);
    const me = (await admin.workspace.members()).find((m) => m.user.id === owner.user.id)!;
    await expect(
      admin.workspace.setRole({ membershipId: me.id, role: "viewer" }),
    ).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
  });

  it("viewers can read", async () => {
    const viewer = callerFor(db.prisma, members.viewer, owner.workspace.id);
    await expect(viewer.workflow.list()).resolves.toBeInstanceOf(Array);
    await expect(viewer.audit.verify()).resolves.toMatchObject({ ok: true });
  });
});
