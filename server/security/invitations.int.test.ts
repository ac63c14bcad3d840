import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { createInvitation } from "@/server/domain/workspace/invitations";
import type { Actor } from "@/server/domain/types";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createContextInner } from "@/server/trpc/init";
import { createCaller } from "@/server/trpc/root";

/**
 * Attack: an admin of any workspace could put any account into it just by typing its email
 * (`workspace.addMember`), so the victim suddenly sees, runs and approves someone else's flows
 * (and shows up in their ledger) without having agreed. Now adding someone is an invitation
 * only the owner of that email can accept, with a one-time, expiring, revocable link; and
 * managing members needs a browser session, not an API token.
 */
let db: Database;
let admin: Awaited<ReturnType<typeof makeUser>>;
let invitee: Awaited<ReturnType<typeof makeUser>>;
let stranger: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  db = await openTestDatabase();
  admin = await makeUser(db.prisma, "inviter");
  invitee = await makeUser(db.prisma, "invitee");
  stranger = await makeUser(db.prisma, "stranger");
});
afterAll(() => db?.close());

const membership = (userId: string) =>
  db.prisma.membership.findUnique({
    where: { userId_workspaceId: { userId, workspaceId: admin.workspace.id } },
  });
const ledger = async () =>
  (
    await db.prisma.auditEntry.findMany({
      where: { workspaceId: admin.workspace.id },
      orderBy: { seq: "asc" },
    })
  ).map((e) => e.action);

describe("invitations", () => {
  it("adding by email no longer makes anyone a member: only the invited owner's acceptance does", async () => {
    const asAdmin = callerFor(db.prisma, admin.user);
    expect("addMember" in asAdmin.workspace).toBe(false);
    const inv = await asAdmin.workspace.invite({ email: invitee.user.email, role: "approver" });
    expect(inv.token).toMatch(/^tfi_[A-Za-z0-9_-]{43}$/);
    // Invited, not a member: nothing of the workspace is visible to the invitee yet.
    expect(await membership(invitee.user.id)).toBeNull();
    await expect(
      callerFor(db.prisma, invitee.user, admin.workspace.id).workflow.list(),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    // Only the hash of the link's token is stored.
    const row = await db.prisma.invitation.findUniqueOrThrow({ where: { id: inv.id } });
    expect(JSON.stringify(row)).not.toContain(inv.token);
    expect((await asAdmin.workspace.invitations()).map((i) => i.email)).toEqual([
      invitee.user.email,
    ]);

    // Someone else holding the link cannot use it.
    const before = await ledger();
    await expect(
      callerFor(db.prisma, stranger.user).workspace.acceptInvitation({ token: inv.token }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: `This invitation is for ${invitee.user.email}. Sign in with that email to accept it.`,
    });
    expect(await membership(stranger.user.id)).toBeNull();
    expect(await ledger()).toEqual(before);

    // The owner of the email sees the offer and accepts it.
    const asInvitee = callerFor(db.prisma, invitee.user);
    await expect(asInvitee.workspace.invitation({ token: inv.token })).resolves.toMatchObject({
      workspaceName: admin.workspace.name,
      email: invitee.user.email,
      role: "approver",
      state: "pending",
    });
    await expect(asInvitee.workspace.acceptInvitation({ token: inv.token })).resolves.toEqual({
      workspaceId: admin.workspace.id,
      role: "approver",
    });
    expect((await membership(invitee.user.id))?.role).toBe("approver");
    // Each step is in the workspace's ledger.
    expect((await ledger()).slice(-2)).toEqual(["invitation.create", "invitation.accept"]);

    // The link works once.
    await expect(asInvitee.workspace.acceptInvitation({ token: inv.token })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "This invitation was already used.",
    });
    expect(await asAdmin.workspace.invitations()).toEqual([]);
  });

  it("a revoked or expired link is refused and changes nothing", async () => {
    const asAdmin = callerFor(db.prisma, admin.user);
    const asStranger = callerFor(db.prisma, stranger.user);
    const revoked = await asAdmin.workspace.invite({ email: stranger.user.email, role: "viewer" });
    await asAdmin.workspace.revokeInvitation({ invitationId: revoked.id });
    const afterRevoke = await ledger();
    expect(afterRevoke.at(-1)).toBe("invitation.revoke");
    await expect(
      asStranger.workspace.acceptInvitation({ token: revoked.token }),
    ).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "This invitation was revoked. Ask the workspace admin for a new link.",
    });

    const actor: Actor = {
      userId: admin.user.id,
      label: admin.user.email,
      workspaceId: admin.workspace.id,
      role: "admin",
      via: "session",
    };
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    const expired = await createInvitation(
      db.prisma,
      actor,
      { email: stranger.user.email, role: "viewer" },
      eightDaysAgo,
    );
    const before = await ledger();
    await expect(
      asStranger.workspace.acceptInvitation({ token: expired.token }),
    ).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: "This invitation has expired. Ask the workspace admin for a new link.",
    });
    await expect(
      asStranger.workspace.acceptInvitation({ token: "tfi_made-up-token" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", message: "This invitation link is not valid." });
    expect(await membership(stranger.user.id)).toBeNull();
    expect(await ledger()).toEqual(before);
  });

  it("only admins, in a browser session, manage invitations and members", async () => {
    const editor = await makeUser(db.prisma, "editor");
    await addMembership(db.prisma, editor.user.id, admin.workspace.id, "editor");
    const before = await db.prisma.invitation.count();
    await expect(
      callerFor(db.prisma, editor.user, admin.workspace.id).workspace.invite({
        email: "friend@example.test",
        role: "admin",
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });

    // An admin's API token, even with the admin scope, cannot invite or change members.
    const viaToken = createCaller(
      createContextInner({
        db: db.prisma,
        tokenActor: {
          userId: admin.user.id,
          label: "token:ci",
          workspaceId: admin.workspace.id,
          role: "admin",
          via: "token",
          scopes: ["admin"],
        },
      }),
    );
    await expect(
      viaToken.workspace.invite({ email: "friend@example.test", role: "admin" }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "This needs a signed-in browser session; API tokens cannot do it.",
    });
    const m = await membership(editor.user.id);
    await expect(
      viaToken.workspace.setRole({ membershipId: m!.id, role: "admin" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(viaToken.workspace.removeMember({ membershipId: m!.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await db.prisma.invitation.count()).toBe(before);
    expect((await membership(editor.user.id))?.role).toBe("editor");
  });

  it("refuses a second pending invitation and inviting a member", async () => {
    const asAdmin = callerFor(db.prisma, admin.user);
    const email = "twice@example.test";
    await asAdmin.workspace.invite({ email, role: "viewer" });
    await expect(asAdmin.workspace.invite({ email, role: "admin" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: `${email} already has a pending invitation. Revoke it to send a new link.`,
    });
    await expect(
      asAdmin.workspace.invite({ email: invitee.user.email, role: "viewer" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
