/**
 * Reading dead letters: the workspace's list, filtered and paged, and one dead letter, as the
 * page and the API show them (`DeadLetterView`).
 */
import type { DeadLetterStatus } from "@/lib/enums";
import { AppError, notFound } from "../errors";
import type { Actor, Db } from "../types";
import { flowSlug } from "../workflow/workflows";
import { obj, whereOf, type DeadLetterDeps } from "./common";
import type { ListDeadLettersInput } from "./schemas";

/** A dead letter as the page and the API show it. Dates are ISO strings. */
export interface DeadLetterView {
  id: string;
  status: DeadLetterStatus;
  run: { id: string; status: string; version: string | null };
  workflow: { id: string; name: string; slug: string } | null;
  stepId: string;
  block: string;
  /** The block id's first segment (`crm` of `crm.deal.update`). */
  connector: string;
  /** The error's class (its name). */
  errorClass: string;
  error: { name: string; message: string; retryable: boolean; detail: unknown };
  classification: { severity: string; category: string };
  inputs: unknown;
  /** Attempts made before it was dead-lettered. */
  attempts: number;
  createdAt: string;
  discarded: { at: string; by: string | null; reason: string | null } | null;
  /** The replay run that reprocessed it. */
  reprocessedRunId: string | null;
}

const deadLetterSelect = {
  id: true,
  status: true,
  runId: true,
  stepId: true,
  blockId: true,
  error: true,
  inputs: true,
  attempts: true,
  classification: true,
  createdAt: true,
  discardedAt: true,
  discardedBy: true,
  discardReason: true,
  reprocessedRunId: true,
  run: { select: { id: true, status: true, version: true, workflowId: true } },
} as const;

type DeadLetterRow = Awaited<
  ReturnType<typeof deadLetterRows<{ select: typeof deadLetterSelect }>>
>[number];

// A typed alias of the Prisma query (the row type follows the select).
function deadLetterRows<T extends { select: typeof deadLetterSelect }>(
  db: Db,
  args: Parameters<Db["deadLetter"]["findMany"]>[0] & T,
) {
  return db.deadLetter.findMany({ ...args, select: deadLetterSelect });
}

async function workflowsOf(db: Db, workspaceId: string, ids: (string | null)[]) {
  const unique = [...new Set(ids.filter((x): x is string => Boolean(x)))];
  const rows = unique.length
    ? await db.workflow.findMany({
        where: { id: { in: unique }, workspaceId },
        select: { id: true, name: true },
      })
    : [];
  return new Map(rows.map((w) => [w.id, { id: w.id, name: w.name, slug: flowSlug(w.name) }]));
}

async function deadLetterViews(
  db: Db,
  workspaceId: string,
  rows: DeadLetterRow[],
): Promise<DeadLetterView[]> {
  const workflows = await workflowsOf(
    db,
    workspaceId,
    rows.map((r) => r.run.workflowId),
  );
  return rows.map((r) => {
    const error = obj(r.error);
    const classification = obj(r.classification);
    return {
      id: r.id,
      status: r.status as DeadLetterStatus,
      run: { id: r.run.id, status: r.run.status, version: r.run.version },
      workflow: r.run.workflowId ? (workflows.get(r.run.workflowId) ?? null) : null,
      stepId: r.stepId,
      block: r.blockId,
      connector: r.blockId.split(".")[0] ?? r.blockId,
      errorClass: typeof error.name === "string" ? error.name : "Error",
      error: {
        name: typeof error.name === "string" ? error.name : "Error",
        message: typeof error.message === "string" ? error.message : "",
        retryable: error.retryable === true,
        detail: error.detail ?? null,
      },
      classification: {
        severity: String(classification.severity ?? "medium"),
        category: String(classification.category ?? "system"),
      },
      inputs: r.inputs ?? null,
      attempts: r.attempts,
      createdAt: r.createdAt.toISOString(),
      discarded: r.discardedAt
        ? { at: r.discardedAt.toISOString(), by: r.discardedBy, reason: r.discardReason }
        : null,
      reprocessedRunId: r.reprocessedRunId,
    };
  });
}

/** The workspace's dead letters, newest first, filtered, with cursor paging. */
export async function listDeadLetters(
  deps: Pick<DeadLetterDeps, "db">,
  actor: Actor,
  input: ListDeadLettersInput,
): Promise<{ items: DeadLetterView[]; nextCursor: string | null }> {
  const { status, limit, cursor, ...filter } = input;
  if (cursor) {
    const at = await deps.db.deadLetter.findFirst({
      where: { id: cursor, workspaceId: actor.workspaceId },
      select: { id: true },
    });
    if (!at)
      throw new AppError("INVALID_INPUT", {
        message: "The cursor names no dead letter of this workspace: start from the first page.",
        details: { field: "cursor" },
      });
  }
  const rows = await deadLetterRows(deps.db, {
    where: whereOf(actor.workspaceId, filter, status),
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    select: deadLetterSelect,
  });
  const page = rows.slice(0, limit);
  return {
    items: await deadLetterViews(deps.db, actor.workspaceId, page),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** One dead letter of the workspace. */
export async function getDeadLetter(
  deps: Pick<DeadLetterDeps, "db">,
  actor: Actor,
  input: { id: string },
): Promise<DeadLetterView> {
  const rows = await deadLetterRows(deps.db, {
    where: { id: input.id, workspaceId: actor.workspaceId },
    select: deadLetterSelect,
  });
  if (!rows[0]) throw notFound("Dead letter");
  return (await deadLetterViews(deps.db, actor.workspaceId, rows))[0]!;
}
