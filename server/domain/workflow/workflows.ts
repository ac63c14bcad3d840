import type { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import type { Actor, Db, Tx } from "../types";
import type {
  ZCreateWorkflowInput,
  ZListWorkflowsInput,
  ZRenameWorkflowInput,
  ZWorkflowId,
} from "./schemas";
import { summarizeWorkflows } from "./workflow-summaries";

/** A workflow name as a flow name: lower-case letters, digits and dashes. */
export function flowSlug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "flow"
  );
}

/** The text a new, empty workflow starts with. */
export function starterFlow(name: string): string {
  const id = flowSlug(name);
  return `flow: ${id}\nversion: 0.1.0\nsla: T2\n\ntrigger:\n  manual: {}\n\nsteps: []\n`;
}

const summary = {
  id: true,
  name: true,
  description: true,
  createdAt: true,
  updatedAt: true,
  deletedAt: true,
  _count: { select: { versions: true } },
} as const;

/**
 * The workspace's workflows (or its deleted ones), most recently updated first, each with its
 * publish state, the trigger of its current flow and its last run (`workflow-summaries.ts`).
 */
export async function listWorkflows(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZListWorkflowsInput>,
) {
  const rows = await db.workflow.findMany({
    where: { workspaceId: actor.workspaceId, deletedAt: input.deleted ? { not: null } : null },
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    select: summary,
  });
  return withSummaries(db, actor, rows);
}

/**
 * One page of {@link listWorkflows}: at most `limit` workflows after the one named `cursor` (by
 * id) in the same order, read by key (updated time, then id), so a page costs its own rows only.
 * Null when the cursor names no workflow of the list any more.
 */
export async function listWorkflowsPage(
  db: Db,
  actor: Actor,
  input: { deleted: boolean; cursor?: string; limit: number },
) {
  const where = {
    workspaceId: actor.workspaceId,
    deletedAt: input.deleted ? { not: null } : null,
  };
  let after: { updatedAt: Date; id: string } | null = null;
  if (input.cursor) {
    after = await db.workflow.findFirst({
      where: { ...where, id: input.cursor },
      select: { updatedAt: true, id: true },
    });
    if (!after) return null;
  }
  const rows = await db.workflow.findMany({
    where: after
      ? {
          ...where,
          OR: [
            { updatedAt: { lt: after.updatedAt } },
            { updatedAt: after.updatedAt, id: { lt: after.id } },
          ],
        }
      : where,
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    select: summary,
  });
  const page = rows.slice(0, input.limit);
  return {
    items: await withSummaries(db, actor, page),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

async function withSummaries<R extends { id: string }>(db: Db, actor: Actor, rows: R[]) {
  const summaries = await summarizeWorkflows(
    db,
    actor.workspaceId,
    rows.map((r) => r.id),
  );
  return rows.map((r) => {
    const s = summaries.get(r.id);
    return {
      ...r,
      state: s?.state ?? ("draft" as const),
      latestVersion: s?.latestVersion ?? null,
      trigger: s?.trigger ?? null,
      lastRun: s?.lastRun ?? null,
    };
  });
}

async function findOwned(tx: Tx | Db, actor: Actor, id: string, opts: { deleted?: boolean } = {}) {
  const wf = await tx.workflow.findFirst({
    where: {
      id,
      workspaceId: actor.workspaceId,
      ...(opts.deleted === undefined ? {} : { deletedAt: opts.deleted ? { not: null } : null }),
    },
  });
  if (!wf) throw notFound("Workflow");
  return wf;
}

async function assertNameFree(tx: Tx, actor: Actor, name: string, exceptId?: string) {
  const clash = await tx.workflow.findFirst({
    where: {
      workspaceId: actor.workspaceId,
      deletedAt: null,
      name: { equals: name, mode: "insensitive" },
      ...(exceptId ? { id: { not: exceptId } } : {}),
    },
  });
  if (clash) {
    throw new AppError("CONFLICT", {
      message: `A workflow named "${clash.name}" already exists.`,
      details: { field: "name" },
    });
  }
}

export async function getWorkflow(db: Db, actor: Actor, input: z.infer<typeof ZWorkflowId>) {
  const wf = await findOwned(db, actor, input.id);
  const versions = await db.workflowVersion.findMany({
    where: { workflowId: wf.id },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      version: true,
      createdAt: true,
      irHash: true,
      authorId: true,
      message: true,
    },
  });
  return { ...wf, versions };
}

export async function createWorkflow(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZCreateWorkflowInput>,
) {
  return db.$transaction(async (tx) => {
    await assertNameFree(tx, actor, input.name);
    const wf = await tx.workflow.create({
      data: {
        workspaceId: actor.workspaceId,
        name: input.name,
        description: input.description,
        draft: input.dsl ?? starterFlow(input.name),
        createdById: actor.userId,
      },
    });
    await appendAudit(tx, actor, {
      action: "workflow.create",
      subjectType: "workflow",
      subjectId: wf.id,
      payload: { name: wf.name },
    });
    return { id: wf.id, name: wf.name };
  });
}

export async function renameWorkflow(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZRenameWorkflowInput>,
) {
  return db.$transaction(async (tx) => {
    const wf = await findOwned(tx, actor, input.id, { deleted: false });
    await assertNameFree(tx, actor, input.name, wf.id);
    const updated = await tx.workflow.update({ where: { id: wf.id }, data: { name: input.name } });
    await appendAudit(tx, actor, {
      action: "workflow.rename",
      subjectType: "workflow",
      subjectId: wf.id,
      payload: { from: wf.name, to: input.name },
    });
    return { id: updated.id, name: updated.name };
  });
}

export async function deleteWorkflow(db: Db, actor: Actor, input: z.infer<typeof ZWorkflowId>) {
  return db.$transaction(async (tx) => {
    const wf = await findOwned(tx, actor, input.id, { deleted: false });
    const updated = await tx.workflow.update({
      where: { id: wf.id },
      data: { deletedAt: new Date() },
    });
    await appendAudit(tx, actor, {
      action: "workflow.delete",
      subjectType: "workflow",
      subjectId: wf.id,
      payload: { name: wf.name },
    });
    return { id: updated.id, deletedAt: updated.deletedAt };
  });
}

export async function restoreWorkflow(db: Db, actor: Actor, input: z.infer<typeof ZWorkflowId>) {
  return db.$transaction(async (tx) => {
    const wf = await findOwned(tx, actor, input.id, { deleted: true });
    await assertNameFree(tx, actor, wf.name, wf.id);
    const updated = await tx.workflow.update({ where: { id: wf.id }, data: { deletedAt: null } });
    await appendAudit(tx, actor, {
      action: "workflow.restore",
      subjectType: "workflow",
      subjectId: wf.id,
      payload: { name: wf.name },
    });
    return { id: updated.id, deletedAt: updated.deletedAt };
  });
}
