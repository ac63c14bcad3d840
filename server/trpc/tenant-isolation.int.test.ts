import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { callProcedure, generateInputs, listProcedures } from "@/server/testing/procedures";
import { openTestDatabase } from "@/server/testing/test-database";

/**
 * Walks every procedure of the app router (read from the router, so new procedures are covered
 * automatically) and proves that the admin of workspace A can neither read nor change
 * workspace B's objects, whatever ids or workspace header they send.
 */
let db: Database;
let a: Awaited<ReturnType<typeof makeUser>>;
let b: Awaited<ReturnType<typeof makeUser>>;
const bSecrets: string[] = [];

async function snapshotB() {
  const p = db.prisma;
  const ws = b.workspace.id;
  return JSON.stringify({
    ws: await p.workspace.findUnique({ where: { id: ws } }),
    workflows: await p.workflow.findMany({ where: { workspaceId: ws }, orderBy: { id: "asc" } }),
    invitations: await p.invitation.findMany({
      where: { workspaceId: ws },
      orderBy: { id: "asc" },
    }),
    versions: await p.workflowVersion.findMany({
      where: { workflow: { workspaceId: ws } },
      orderBy: { id: "asc" },
    }),
    members: await p.membership.findMany({ where: { workspaceId: ws }, orderBy: { id: "asc" } }),
    tokens: await p.apiToken.findMany({ where: { workspaceId: ws }, orderBy: { id: "asc" } }),
    groups: await p.workspaceGroup.findMany({
      where: { workspaceId: ws },
      orderBy: { id: "asc" },
      include: { members: { orderBy: { userId: "asc" } } },
    }),
    audit: await p.auditEntry.findMany({ where: { workspaceId: ws }, orderBy: { seq: "asc" } }),
    user: await p.user.findUnique({ where: { id: b.user.id } }),
  });
}

beforeAll(async () => {
  db = await openTestDatabase();
  a = await makeUser(db.prisma, "tenant-a");
  b = await makeUser(db.prisma, "tenant-b");
  const asB = callerFor(db.prisma, b.user);
  const wf = await asB.workflow.create({ name: "B secret flow" });
  const gone = await asB.workflow.create({ name: "B deleted flow" });
  await asB.workflow.delete({ id: gone.id });
  const token = await asB.token.create({ name: "B token" });
  const other = await makeUser(db.prisma, "tenant-b-member");
  const invited = await asB.workspace.invite({ email: other.user.email, role: "editor" });
  await callerFor(db.prisma, other.user).workspace.acceptInvitation({ token: invited.token });
  const pending = await asB.workspace.invite({ email: "pending-b@example.test", role: "viewer" });
  const memberships = await db.prisma.membership.findMany({
    where: { workspaceId: b.workspace.id },
  });
  const group = await asB.group.create({ name: "b-secret-group", description: "B secret team" });
  await asB.group.addMember({ groupId: group.id, userId: other.user.id });
  const ids = {
    workflows: [wf.id, gone.id],
    memberships: memberships.map((m) => m.id),
    tokens: [token.id],
    groups: [group.id],
  };
  bUsers = memberships.map((m) => m.userId);
  bSecrets.push(
    b.workspace.id,
    b.workspace.slug,
    "B secret flow",
    "B deleted flow",
    "B token",
    token.prefix,
    "b-secret-group",
    "B secret team",
    other.user.email,
  );
  bSecrets.push(
    ...ids.workflows,
    ...ids.memberships,
    ...ids.tokens,
    ...ids.groups,
    pending.id,
    pending.token,
  );
  all = [...ids.workflows, ...ids.memberships, ...ids.tokens, ...ids.groups, pending.id];
});
afterAll(() => db?.close());

let all: string[] = [];
/** B's members, for the `userId` of group membership changes. */
let bUsers: string[] = [];

const procedures = listProcedures();

describe("tenant isolation", () => {
  it("covers every procedure of the router", () => {
    expect(procedures.length).toBeGreaterThanOrEqual(18);
  });

  for (const proc of procedures) {
    it(`${proc.path}: A cannot read or change B's objects`, async () => {
      const before = await snapshotB();
      const inputs = generateInputs(proc, {
        uuids: { "*": all, userId: bUsers },
        email: b.user.email,
      });
      // A acting in A's workspace, with B's ids; then A asking for B's workspace outright.
      for (const workspaceId of [a.workspace.id, b.workspace.id]) {
        const caller = callerFor(db.prisma, a.user, workspaceId);
        for (const input of inputs) {
          let output: unknown;
          try {
            output = await callProcedure(caller, proc.path, input);
          } catch (err) {
            expect(err, `${proc.path}(${JSON.stringify(input)})`).toBeInstanceOf(TRPCError);
            expect([
              "NOT_FOUND",
              "FORBIDDEN",
              "CONFLICT",
              "PRECONDITION_FAILED",
              "BAD_REQUEST",
            ]).toContain((err as TRPCError).code);
            if (workspaceId === b.workspace.id && proc.path !== "auth.signUp") {
              // Asking for B's workspace is refused before anything else happens.
              expect((err as TRPCError).code).not.toBe("INTERNAL_SERVER_ERROR");
            }
            continue;
          }
          const text = JSON.stringify(output) ?? "";
          for (const secret of bSecrets) {
            expect(text.includes(secret), `${proc.path} leaked ${secret}`).toBe(false);
          }
        }
      }
      expect(await snapshotB()).toBe(before);
    });
  }
});
