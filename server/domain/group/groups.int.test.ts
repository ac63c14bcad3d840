import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { addMembership, callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { workspaceDirectory } from "./workspace-directory";

let db: Database;
let owner: TestUser;
let other: TestUser;
const people = {} as Record<"viewer" | "editor" | "approver", TestUser["user"]>;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "groups-admin");
  other = await makeUser(db.prisma, "groups-other-ws");
  for (const role of ["viewer", "editor", "approver"] as const) {
    const u = await makeUser(db.prisma, `groups-${role}`);
    await addMembership(db.prisma, u.user.id, owner.workspace.id, role);
    people[role] = u.user;
  }
});
afterAll(async () => {
  await db?.close();
});

const admin = () => callerFor(db.prisma, owner.user, owner.workspace.id);

const ledger = (workspaceId = owner.workspace.id) =>
  db.prisma.auditEntry.findMany({
    where: { workspaceId, subjectType: "group" },
    orderBy: { seq: "asc" },
    select: { action: true, subjectId: true, payload: true, actorLabel: true },
  });

/** Everything a refused change must leave as it was: groups, members, the group ledger. */
const snapshot = async () =>
  JSON.stringify([
    await db.prisma.workspaceGroup.findMany({ orderBy: { id: "asc" } }),
    await db.prisma.workspaceGroupMember.findMany({
      orderBy: [{ groupId: "asc" }, { userId: "asc" }],
    }),
    await db.prisma.auditEntry.count({ where: { subjectType: "group" } }),
  ]);

describe("workspace groups", () => {
  it("admins create, rename, describe and delete groups and change members; each change is a ledger entry", async () => {
    const c = admin();
    const created = await c.group.create({ name: " ops ", description: "Runs the night shift" });
    expect(created).toMatchObject({
      name: "ops",
      description: "Runs the night shift",
      members: [],
    });

    const withOne = await c.group.addMember({ groupId: created.id, userId: people.approver.id });
    expect(withOne.members.map((m) => m.email)).toEqual([people.approver.email]);
    // Adding someone already in the group changes nothing and writes no entry.
    await c.group.addMember({ groupId: created.id, userId: people.approver.id });
    const withTwo = await c.group.addMember({ groupId: created.id, userId: people.viewer.id });
    expect(withTwo.members.map((m) => m.id).sort()).toEqual(
      [people.approver.id, people.viewer.id].sort(),
    );

    const renamed = await c.group.update({ id: created.id, name: "operations" });
    expect(renamed).toMatchObject({ name: "operations", description: "Runs the night shift" });
    const described = await c.group.update({ id: created.id, description: "" });
    expect(described.description).toBe("");
    // An unchanged update writes nothing.
    await c.group.update({ id: created.id, name: "operations" });

    const after = await c.group.removeMember({ groupId: created.id, userId: people.viewer.id });
    expect(after.members.map((m) => m.email)).toEqual([people.approver.email]);

    const listed = await c.group.list();
    expect(listed.map((g) => [g.name, g.members.map((m) => m.email)])).toEqual([
      ["operations", [people.approver.email]],
    ]);

    await expect(c.group.delete({ id: created.id })).resolves.toEqual({
      id: created.id,
      name: "operations",
    });
    expect(await c.group.list()).toEqual([]);
    expect(await db.prisma.workspaceGroupMember.count({ where: { groupId: created.id } })).toBe(0);

    const entries = await ledger();
    expect(entries.every((e) => e.subjectId === created.id)).toBe(true);
    expect(entries.every((e) => e.actorLabel === owner.user.email)).toBe(true);
    expect(entries.map((e) => [e.action, e.payload])).toEqual([
      ["group.create", { name: "ops", description: "Runs the night shift", members: [] }],
      [
        "group.member.add",
        { name: "ops", userId: people.approver.id, email: people.approver.email },
      ],
      ["group.member.add", { name: "ops", userId: people.viewer.id, email: people.viewer.email }],
      [
        "group.rename",
        { name: "operations", previousName: "ops", description: "Runs the night shift" },
      ],
      ["group.describe", { name: "operations", description: "" }],
      [
        "group.member.remove",
        { name: "operations", userId: people.viewer.id, email: people.viewer.email },
      ],
      ["group.delete", { name: "operations", members: [people.approver.email] }],
    ]);
  });

  it("refuses bad input with clear field errors, changing nothing", async () => {
    const c = admin();
    const finance = await c.group.create({ name: "finance" });
    const legal = await c.group.create({ name: "legal" });
    const before = await snapshot();

    for (const name of ["Finance", "1st-line", "fin_ance", "fin ance", "", "a".repeat(41)]) {
      await expect(c.group.create({ name }), JSON.stringify(name)).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining("lower-case letters, digits or -"),
      });
    }
    await expect(
      c.group.create({ name: "long", description: "x".repeat(201) }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("at most 200 characters"),
    });
    await expect(c.group.create({ name: "finance" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: 'A group named "finance" already exists in this workspace.',
    });
    await expect(c.group.update({ id: legal.id, name: "finance" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(c.group.update({ id: legal.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Give a new name or description."),
    });
    await expect(c.group.update({ id: legal.id, name: "Legal!" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(c.group.delete({ id: "not-a-uuid" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("Not a group id."),
    });
    // Someone outside the workspace cannot be added; someone not in the group cannot be removed.
    await expect(
      c.group.addMember({ groupId: finance.id, userId: other.user.id }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "That user is not a member of this workspace: invite them first.",
    });
    await expect(
      c.group.removeMember({ groupId: finance.id, userId: people.editor.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", message: "That user is not in group finance." });
    const missing = "00000000-0000-4000-8000-000000000000";
    for (const call of [
      () => c.group.update({ id: missing, name: "x" }),
      () => c.group.delete({ id: missing }),
      () => c.group.addMember({ groupId: missing, userId: people.editor.id }),
      () => c.group.removeMember({ groupId: missing, userId: people.editor.id }),
    ]) {
      await expect(call()).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "Group was not found in this workspace.",
      });
    }
    expect(await snapshot()).toBe(before);

    await c.group.delete({ id: finance.id });
    await c.group.delete({ id: legal.id });
  });

  it("viewers, editors and approvers read groups and the directory; only admins change them", async () => {
    const c = admin();
    const g = await c.group.create({ name: "support" });
    await c.group.addMember({ groupId: g.id, userId: people.editor.id });
    const before = await snapshot();
    for (const role of ["viewer", "editor", "approver"] as const) {
      const r = callerFor(db.prisma, people[role], owner.workspace.id);
      expect((await r.group.list()).map((x) => [x.name, x.members.map((m) => m.id)])).toEqual([
        ["support", [people.editor.id]],
      ]);
      expect(await r.group.directory()).toMatchObject({ groups: ["support"] });
      for (const call of [
        () => r.group.create({ name: `by-${role}` }),
        () => r.group.update({ id: g.id, name: `by-${role}` }),
        () => r.group.delete({ id: g.id }),
        () => r.group.addMember({ groupId: g.id, userId: people[role].id }),
        () => r.group.removeMember({ groupId: g.id, userId: people.editor.id }),
      ]) {
        await expect(call(), role).rejects.toMatchObject({
          code: "FORBIDDEN",
          message: expect.stringContaining("This needs the admin role"),
        });
      }
    }
    expect(await snapshot()).toBe(before);
    await c.group.delete({ id: g.id });
  });

  it("is tenant-scoped: another workspace's group is NOT_FOUND, its list and directory unseen", async () => {
    const mine = await admin().group.create({ name: "mine" });
    const asOther = callerFor(db.prisma, other.user, other.workspace.id);
    const theirs = await asOther.group.create({ name: "theirs" });
    const before = await snapshot();
    const c = admin();
    expect((await c.group.list()).map((g) => g.name)).toEqual(["mine"]);
    expect((await c.group.directory()).groups).toEqual(["mine"]);
    for (const call of [
      () => c.group.update({ id: theirs.id, name: "stolen" }),
      () => c.group.delete({ id: theirs.id }),
      () => c.group.addMember({ groupId: theirs.id, userId: people.editor.id }),
      () => c.group.removeMember({ groupId: theirs.id, userId: other.user.id }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    // The other workspace's admin cannot join my group through its own id either.
    await expect(
      asOther.group.addMember({ groupId: mine.id, userId: other.user.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await snapshot()).toBe(before);
    expect(await ledger(other.workspace.id)).toHaveLength(1);
    await c.group.delete({ id: mine.id });
    await asOther.group.delete({ id: theirs.id });
  });

  it("the directory lists group names and member emails; a removed member leaves its groups", async () => {
    const c = admin();
    const leaving = await makeUser(db.prisma, "groups-leaving");
    const m = await addMembership(db.prisma, leaving.user.id, owner.workspace.id, "editor");
    const beta = await c.group.create({ name: "beta" });
    const alpha = await c.group.create({ name: "alpha" });
    await c.group.addMember({ groupId: alpha.id, userId: leaving.user.id });
    await c.group.addMember({ groupId: beta.id, userId: leaving.user.id });
    // A group of another workspace the user is also in is not touched by leaving this one.
    const elsewhere = await callerFor(db.prisma, leaving.user, leaving.workspace.id).group.create({
      name: "elsewhere",
    });
    await callerFor(db.prisma, leaving.user, leaving.workspace.id).group.addMember({
      groupId: elsewhere.id,
      userId: leaving.user.id,
    });

    const dir = await workspaceDirectory(db.prisma, owner.workspace.id);
    expect(dir.groups).toEqual(["alpha", "beta"]);
    expect(dir.users).toEqual(
      [
        owner.user.email,
        people.viewer.email,
        people.editor.email,
        people.approver.email,
        leaving.user.email,
      ].sort(),
    );
    expect(await c.group.directory()).toEqual(dir);

    await c.workspace.removeMember({ membershipId: m.id });
    expect((await c.group.list()).map((g) => [g.name, g.members])).toEqual([
      ["alpha", []],
      ["beta", []],
    ]);
    expect((await workspaceDirectory(db.prisma, owner.workspace.id)).users).not.toContain(
      leaving.user.email,
    );
    expect(
      (await callerFor(db.prisma, leaving.user, leaving.workspace.id).group.list())[0]!.members,
    ).toHaveLength(1);
    await c.group.delete({ id: alpha.id });
    await c.group.delete({ id: beta.id });
  });
});
