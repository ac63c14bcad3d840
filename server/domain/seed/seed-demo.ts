import { readFile } from "node:fs/promises";
import path from "node:path";
import { appendAudit } from "../audit/ledger";
import { hashPassword } from "../auth/password";
import type { Db, Role, Tx } from "../types";

import demo from "@/prisma/demo-users.json";

/** Demo accounts (prisma/demo-users.json, printed by `npm start`). Local demo data only. */
export const DEMO_USERS = demo.users as {
  email: string;
  name: string;
  password: string;
  role: Role;
}[];
export const DEMO_WORKSPACE = demo.workspace;
/**
 * The demo workspace's groups (approvals address them as `group: <name>`): `finance` holds the
 * two approvers, so a flow one of them started can still be decided by the other.
 */
export const DEMO_GROUPS = demo.groups as {
  name: string;
  description: string;
  members: string[];
}[];

const SAMPLES = [
  {
    file: "quote-to-cash.flow.yaml",
    name: "Quote to cash",
    description: "Provision billing when a contract is signed",
  },
  {
    file: "invoice-dunning.flow.yaml",
    name: "Invoice dunning",
    description: "Remind customers about overdue invoices",
  },
];

/**
 * Seeds the demo workspace once: users, memberships, groups and two sample workflows, each with a
 * first version. Idempotent: when the demo workspace exists it only adds a missing demo group
 * (with those of its members who are in the workspace; an install seeded before groups existed
 * gets them), never users or memberships. `irHashOf` compiles a flow text (the DSL compiler) and
 * returns its IR hash, or null when it does not compile.
 */
export async function seedDemo(
  db: Db,
  opts: { samplesDir?: string; irHashOf?: (text: string) => string | null } = {},
): Promise<{ created: boolean }> {
  const existing = await db.workspace.findUnique({ where: { slug: DEMO_WORKSPACE.slug } });
  if (existing) {
    await db.$transaction((tx) => seedGroups(tx, existing.id));
    return { created: false };
  }
  const samplesDir = opts.samplesDir ?? path.join(process.cwd(), "prisma", "samples");
  const hashes = await Promise.all(DEMO_USERS.map((u) => hashPassword(u.password)));
  const texts = await Promise.all(
    SAMPLES.map((s) =>
      // Read from the checkout at run time, as the migrator reads prisma/ (no output tracing).
      readFile(path.join(/*turbopackIgnore: true*/ samplesDir, s.file), "utf8"),
    ),
  );
  await db.$transaction(
    async (tx) => {
      const ws = await tx.workspace.create({ data: DEMO_WORKSPACE });
      const users = [];
      for (const [i, u] of DEMO_USERS.entries()) {
        const user = await tx.user.upsert({
          where: { email: u.email },
          update: {},
          create: { email: u.email, name: u.name, passwordHash: hashes[i]! },
        });
        await tx.membership.create({ data: { userId: user.id, workspaceId: ws.id, role: u.role } });
        users.push(user);
      }
      const admin = users[0]!;
      const actor = { userId: admin.id, label: admin.email, workspaceId: ws.id };
      await appendAudit(
        tx,
        { ...actor, userId: null, label: "system:seed" },
        {
          action: "workspace.seed",
          subjectType: "workspace",
          subjectId: ws.id,
          payload: { users: DEMO_USERS.map((u) => ({ email: u.email, role: u.role })) },
        },
      );
      await seedGroups(tx, ws.id);
      for (const [i, s] of SAMPLES.entries()) {
        const text = texts[i]!;
        const version = /^version:\s*([^\s#]+)/m.exec(text)?.[1] ?? "0.1.0";
        const wf = await tx.workflow.create({
          data: {
            workspaceId: ws.id,
            name: s.name,
            description: s.description,
            draft: text,
            createdById: admin.id,
          },
        });
        const v = await tx.workflowVersion.create({
          data: {
            workflowId: wf.id,
            version,
            dsl: text,
            authorId: admin.id,
            irHash: opts.irHashOf?.(text) ?? null,
            message: "Sample",
          },
        });
        await appendAudit(tx, actor, {
          action: "workflow.create",
          subjectType: "workflow",
          subjectId: wf.id,
          payload: { name: wf.name },
        });
        await appendAudit(tx, actor, {
          action: "workflow.version.create",
          subjectType: "workflow",
          subjectId: wf.id,
          payload: { version: v.version, irHash: v.irHash },
        });
      }
    },
    { timeout: 120_000, maxWait: 60_000 },
  );
  return { created: true };
}

/**
 * Creates the demo groups the workspace lacks, with those of their members who belong to the
 * workspace; groups that exist are left as they are (an admin may have changed them).
 */
async function seedGroups(tx: Tx, workspaceId: string): Promise<void> {
  for (const g of DEMO_GROUPS) {
    const found = await tx.workspaceGroup.findUnique({
      where: { workspaceId_name: { workspaceId, name: g.name } },
    });
    if (found) continue;
    const members = await tx.membership.findMany({
      where: { workspaceId, user: { email: { in: g.members } } },
      select: { userId: true, user: { select: { email: true } } },
    });
    const group = await tx.workspaceGroup.create({
      data: {
        workspaceId,
        name: g.name,
        description: g.description,
        members: { create: members.map((m) => ({ userId: m.userId })) },
      },
    });
    await appendAudit(
      tx,
      { workspaceId, userId: null, label: "system:seed" },
      {
        action: "group.create",
        subjectType: "group",
        subjectId: group.id,
        payload: { name: g.name, members: members.map((m) => m.user.email).sort() },
      },
    );
  }
}
