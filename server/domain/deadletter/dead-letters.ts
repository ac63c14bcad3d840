/**
 * Dead-letter use cases: list and read the workspace's dead letters (viewers), discard some with
 * a reason (editors), and reprocess them as a durable job (editors request it; an approver or
 * admin other than the requester approves it through `approval.decide`, like a replay).
 *
 * Reprocessing a dead letter is a resume replay of its run (`server/domain/replay/`): the
 * recorded outputs are reused, the dead-lettered step and what follows it are executed again,
 * and a completed write is never done again. A request freezes its dead letters as the job's
 * ordered items, each with the hash of its replay plan, and binds the job's `reprocess`
 * approval to a hash over all of it (the dead letters, the canary, the rate, stop on failure
 * and every item's plan hash). Once approved, a worker advances the job (`runner.ts`).
 *
 * Every change is a ledger entry: the request (`deadletter.reprocess.request`, with the
 * approval's `approval.request`), the decision (the approvals' own entry) and the job's state
 * changes, the item outcomes, and each discarded dead letter (`deadletter.discard`).
 */
import { randomUUID } from "node:crypto";
import { canonicalJson, sha256Hex } from "@/dsl";
import type { DeadLetterStatus, ReprocessItemState, ReprocessJobState } from "@/lib/enums";
import { requestApproval } from "../approval/approvals";
import type { ApprovalEffect } from "../approval/ports";
import { AppError, notFound } from "../errors";
import type { RunDeps, TxScope } from "../run/ports";
import { plan, sourceRun, type ReplayRequest } from "../replay/replays";
import { actorMay, type Actor, type Db } from "../types";
import { flowSlug } from "../workflow/workflows";
import {
  MAX_JOB_ITEMS,
  type DeadLetterFilter,
  type DiscardInput,
  type ListDeadLettersInput,
  type ListReprocessJobsInput,
  type ReprocessInput,
} from "./schemas";
import type { ReprocessJobRecord } from "./types";

/** What the dead-letter use cases need. */
export type DeadLetterDeps = Pick<RunDeps, "db" | "transactor">;

/** The replay every item of a reprocess job runs: resume its run on the run's own version. */
export const RESUME: ReplayRequest = { mode: "resume", version: "run", inputsPatch: [], redo: [] };

/** The ledger's actor of what the runner does (the job's requester asked for it). */
export const RUNNER_LABEL = "system:reprocess";

// ---------------------------------------------------------------------------------------------
// Views

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

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

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

/** The Prisma filter of a dead-letter filter in the actor's workspace. */
function whereOf(workspaceId: string, f: DeadLetterFilter, status?: DeadLetterStatus) {
  return {
    workspaceId,
    ...(status ? { status } : {}),
    ...(f.block ? { blockId: f.block } : {}),
    ...(f.connector && !f.block ? { blockId: { startsWith: `${f.connector}.` } } : {}),
    ...(f.errorClass ? { error: { path: ["name"], equals: f.errorClass } } : {}),
    ...(f.workflowId ? { run: { workflowId: f.workflowId } } : {}),
    ...(f.from || f.to
      ? {
          createdAt: {
            ...(f.from ? { gte: new Date(f.from) } : {}),
            ...(f.to ? { lt: new Date(f.to) } : {}),
          },
        }
      : {}),
  };
}

/** A filter as stored with a job: only its set fields. */
function filterOf(input: DeadLetterFilter): DeadLetterFilter {
  return Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  ) as DeadLetterFilter;
}

// ---------------------------------------------------------------------------------------------
// Reading

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

/** One item of a job as its view shows it. */
export interface ReprocessItemView {
  id: string;
  position: number;
  deadLetterId: string;
  runId: string;
  stepId: string;
  block: string;
  state: ReprocessItemState;
  replayRunId: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

/** A reprocess job as the page and the API show it. Dates are ISO strings. */
export interface ReprocessJobView {
  id: string;
  state: ReprocessJobState;
  stopReason: string | null;
  requester: { userId: string; label: string };
  approval: { id: string; status: string; planHash: string | null } | null;
  planHash: string;
  /** What was asked for: the dead letters' ids, or the filter. */
  selection: { ids?: string[]; filter?: DeadLetterFilter };
  canary: number;
  ratePerMinute: number;
  stopOnFailure: boolean;
  progress: {
    total: number;
    /** succeeded + failed + skipped. */
    done: number;
    succeeded: number;
    failed: number;
    skipped: number;
    running: number;
    pending: number;
  };
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** With `getReprocessJob`: every item, by position. */
  items?: ReprocessItemView[];
}

type JobRow = Awaited<ReturnType<Db["reprocessJob"]["findMany"]>>[number];

async function jobViews(db: Db, rows: JobRow[]): Promise<ReprocessJobView[]> {
  const ids = rows.map((r) => r.id);
  const approvalIds = rows.flatMap((r) => (r.approvalId ? [r.approvalId] : []));
  const [counts, approvals] = await Promise.all([
    ids.length
      ? db.reprocessItem.groupBy({
          by: ["jobId", "state"],
          where: { jobId: { in: ids } },
          _count: { _all: true },
        })
      : [],
    approvalIds.length
      ? db.approval.findMany({
          where: { id: { in: approvalIds } },
          select: { id: true, status: true, planHash: true },
        })
      : [],
  ]);
  const count = (jobId: string, state: ReprocessItemState) =>
    counts.find((c) => c.jobId === jobId && c.state === state)?._count._all ?? 0;
  const approvalOf = new Map(approvals.map((a) => [a.id, a]));
  return rows.map((r) => {
    const selection = obj(r.selection) as ReprocessJobView["selection"];
    return {
      id: r.id,
      state: r.state as ReprocessJobState,
      stopReason: r.stopReason,
      requester: { userId: r.requesterId, label: r.requesterLabel },
      approval: r.approvalId ? (approvalOf.get(r.approvalId) ?? null) : null,
      planHash: r.planHash,
      selection,
      canary: r.canary,
      ratePerMinute: r.ratePerMinute,
      stopOnFailure: r.stopOnFailure,
      progress: {
        total: r.total,
        done: r.succeeded + r.failed + r.skipped,
        succeeded: r.succeeded,
        failed: r.failed,
        skipped: r.skipped,
        running: count(r.id, "running"),
        pending: count(r.id, "pending"),
      },
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
      finishedAt: r.finishedAt?.toISOString() ?? null,
    };
  });
}

/** The workspace's reprocess jobs, newest first. */
export async function listReprocessJobs(
  deps: Pick<DeadLetterDeps, "db">,
  actor: Actor,
  input: ListReprocessJobsInput,
): Promise<{ items: ReprocessJobView[]; nextCursor: string | null }> {
  if (input.cursor) {
    const at = await deps.db.reprocessJob.findFirst({
      where: { id: input.cursor, workspaceId: actor.workspaceId },
      select: { id: true },
    });
    if (!at)
      throw new AppError("INVALID_INPUT", {
        message: "The cursor names no reprocess job of this workspace.",
        details: { field: "cursor" },
      });
  }
  const rows = await deps.db.reprocessJob.findMany({
    where: { workspaceId: actor.workspaceId, ...(input.state ? { state: input.state } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, input.limit);
  return {
    items: await jobViews(deps.db, page),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** One reprocess job of the workspace, with its items. */
export async function getReprocessJob(
  deps: Pick<DeadLetterDeps, "db">,
  actor: Actor,
  input: { id: string },
): Promise<ReprocessJobView> {
  const row = await deps.db.reprocessJob.findFirst({
    where: { id: input.id, workspaceId: actor.workspaceId },
  });
  if (!row) throw notFound("Reprocess job");
  const [view] = await jobViews(deps.db, [row]);
  const items = await deps.db.reprocessItem.findMany({
    where: { jobId: row.id },
    orderBy: { position: "asc" },
    include: { deadLetter: { select: { stepId: true, blockId: true } } },
  });
  return {
    ...view!,
    items: items.map((i) => ({
      id: i.id,
      position: i.position,
      deadLetterId: i.deadLetterId,
      runId: i.runId,
      stepId: i.deadLetter.stepId,
      block: i.deadLetter.blockId,
      state: i.state as ReprocessItemState,
      replayRunId: i.replayRunId,
      startedAt: i.startedAt?.toISOString() ?? null,
      finishedAt: i.finishedAt?.toISOString() ?? null,
      error: i.error,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Requesting a reprocess job

function mayChange(actor: Actor, what: string) {
  if (!actorMay(actor, "editor", "run"))
    throw new AppError("FORBIDDEN", {
      message: `Only editors (or a token with the run scope) may ${what}.`,
    });
}

/** The dead letters a request selects, oldest first: every one open, at most the bound. */
async function selected(db: Db, actor: Actor, input: ReprocessInput) {
  const select = { id: true, runId: true, stepId: true, blockId: true, status: true } as const;
  if (input.ids) {
    const rows = await db.deadLetter.findMany({
      where: { id: { in: input.ids }, workspaceId: actor.workspaceId },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select,
    });
    if (rows.length !== input.ids.length)
      throw new AppError("NOT_FOUND", {
        message: `${input.ids.length - rows.length} of the selected dead letters were not found in this workspace.`,
        details: { field: "ids" },
      });
    const closed = rows.filter((r) => r.status !== "open");
    if (closed.length)
      throw new AppError("CONFLICT", {
        message:
          `${closed.length} of the selected dead letters are not open ` +
          `(${closed
            .slice(0, 3)
            .map((r) => `${r.id}: ${r.status}`)
            .join(", ")}${closed.length > 3 ? ", …" : ""}): only open ones are reprocessed.`,
        details: { field: "ids" },
      });
    return rows;
  }
  const rows = await db.deadLetter.findMany({
    where: whereOf(actor.workspaceId, input.filter ?? {}, "open"),
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: MAX_JOB_ITEMS + 1,
    select,
  });
  if (rows.length > MAX_JOB_ITEMS)
    throw new AppError("INVALID_INPUT", {
      message: `The filter matches more than ${MAX_JOB_ITEMS} open dead letters: narrow it (one job takes at most ${MAX_JOB_ITEMS}).`,
      details: { field: "filter" },
    });
  if (!rows.length)
    throw new AppError("INVALID_INPUT", {
      message: "No open dead letter matches the filter: nothing to reprocess.",
      details: { field: "filter" },
    });
  return rows;
}

/** The hash a reprocess approval is bound to: every dead letter, its plan, and the job's pace. */
export function reprocessPlanHash(p: {
  items: { deadLetterId: string; planHash: string }[];
  canary: number;
  ratePerMinute: number;
  stopOnFailure: boolean;
}): string {
  return sha256Hex(
    canonicalJson({
      kind: "reprocess",
      items: p.items.map((i) => [i.deadLetterId, i.planHash]),
      canary: p.canary,
      ratePerMinute: p.ratePerMinute,
      stopOnFailure: p.stopOnFailure,
    }),
  );
}

/** Items the approval's subject lists (the rest are counted): the inbox shows them. */
const SUBJECT_ITEMS = 50;

/**
 * Asks for a reprocess job: plans a resume replay of every selected dead letter's run (the
 * request is refused, and nothing is written, when one cannot be planned), then records the job
 * with its frozen items and its `reprocess` approval bound to the plan's hash, in one
 * transaction with their ledger entries.
 */
export async function requestReprocess(
  deps: DeadLetterDeps,
  actor: Actor,
  input: ReprocessInput,
): Promise<{
  job: ReprocessJobView;
  approval: { id: string; status: string; planHash: string };
}> {
  mayChange(actor, "reprocess dead letters");
  const rows = await selected(deps.db, actor, input);
  const jobId = randomUUID();
  const { approvalId, planHash } = await deps.transactor.transaction(async (tx) => {
    // Planned in the transaction (PGlite has one connection); a run's plan serves all of its
    // dead letters.
    const plans = new Map<string, string>();
    const problems: string[] = [];
    for (const r of rows) {
      if (plans.has(r.runId)) continue;
      try {
        const run = await sourceRun(tx.runs, actor.workspaceId, r.runId);
        plans.set(r.runId, (await plan(tx.versions, tx.runs, run, RESUME)).plan.hash);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        problems.push(`dead letter ${r.id} (run ${r.runId}): ${e.message}`);
      }
    }
    if (problems.length)
      throw new AppError("PRECONDITION_FAILED", {
        message: `${problems.length} dead letter(s) cannot be reprocessed: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? "; …" : ""}`,
        details: { field: input.ids ? "ids" : "filter" },
      });
    const items = rows.map((r, position) => ({
      id: randomUUID(),
      deadLetterId: r.id,
      runId: r.runId,
      position,
      planHash: plans.get(r.runId)!,
    }));
    const planHash = reprocessPlanHash({ ...input, items });
    const runIds = [...new Set(rows.map((r) => r.runId))];
    const workflowIds = await tx.runs.getRun(runIds[0]!).then((r) => r?.workflowId ?? null);
    const selection = input.ids ? { ids: input.ids } : { filter: filterOf(input.filter ?? {}) };
    const canary = Math.min(input.canary, items.length);
    const approval = await requestApproval(tx, {
      workspaceId: actor.workspaceId,
      kind: "reprocess",
      // One run (or one flow) concerned: the inbox links it.
      runId: runIds.length === 1 ? runIds[0] : null,
      workflowId: runIds.length === 1 ? workflowIds : null,
      requester: { userId: actor.userId, label: actor.label },
      approvers: { role: "approver" },
      minApprovals: 1,
      subject: {
        message: reprocessMessage(items.length, runIds.length, { ...input, canary }),
        reprocess: { jobId },
        // What the inbox shows as the request's details: the job, its pace, its dead letters.
        inputs: {
          job: jobId,
          total: items.length,
          runs: runIds.length,
          canary,
          ratePerMinute: input.ratePerMinute,
          stopOnFailure: input.stopOnFailure,
          selection,
          deadLetters: items.slice(0, SUBJECT_ITEMS).map((i) => {
            const r = rows[i.position]!;
            return {
              deadLetterId: i.deadLetterId,
              runId: i.runId,
              stepId: r.stepId,
              block: r.blockId,
              planHash: i.planHash,
            };
          }),
          ...(items.length > SUBJECT_ITEMS ? { more: items.length - SUBJECT_ITEMS } : {}),
        },
      },
      planHash,
    });
    const now = Date.now();
    const job: Parameters<TxScope["reprocess"]["insertJob"]>[0] = {
      id: jobId,
      workspaceId: actor.workspaceId,
      requesterId: actor.userId,
      requesterLabel: actor.label,
      approvalId: approval.id,
      selection,
      planHash,
      canary,
      ratePerMinute: input.ratePerMinute,
      stopOnFailure: input.stopOnFailure,
      state: "pending-approval",
      stopReason: null,
      total: items.length,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      createdAt: now,
    };
    await tx.reprocess.insertJob(job, items);
    await tx.audit.append(actor, {
      action: "deadletter.reprocess.request",
      subjectType: "reprocess-job",
      subjectId: jobId,
      payload: {
        approvalId: approval.id,
        planHash,
        total: items.length,
        deadLetters: items.map((i) => i.deadLetterId),
        canary,
        ratePerMinute: input.ratePerMinute,
        stopOnFailure: input.stopOnFailure,
        ...(input.filter ? { filter: selection.filter } : {}),
      },
    });
    return { approvalId: approval.id, planHash };
  });
  return {
    job: await getReprocessJob(deps, actor, { id: jobId }).then(({ items: _i, ...job }) => job),
    approval: { id: approvalId, status: "pending", planHash },
  };
}

function reprocessMessage(
  total: number,
  runs: number,
  p: { canary: number; ratePerMinute: number; stopOnFailure: boolean },
): string {
  return (
    `Reprocess ${total} dead letter(s) of ${runs} run(s): each run resumed from its ` +
    `dead-lettered step (recorded outputs reused, completed writes not redone); ` +
    (p.canary > 0 ? `${p.canary} first as a canary, the rest once they succeeded; ` : "") +
    `at most ${p.ratePerMinute} per minute` +
    (p.stopOnFailure ? "; the first failure stops the job." : "; failures do not stop the job.")
  );
}

// ---------------------------------------------------------------------------------------------
// The approval's effect

/**
 * The `reprocess` effect of approvals, in the transaction that records the final decision: an
 * approved job starts (its canary first: state `canary`, or `running` without one) and a
 * worker advances it; a rejected one is `rejected` and nothing runs.
 */
export function reprocessApprovalEffect(): ApprovalEffect {
  return async (tx, approval, outcome) => {
    const job = await tx.reprocess.lockJobOfApproval(approval.id);
    if (!job)
      throw new AppError("PRECONDITION_FAILED", {
        message: "This reprocess approval names no reprocess job: nothing was decided.",
      });
    if (job.state !== "pending-approval") return;
    const actor = {
      workspaceId: job.workspaceId,
      label: outcome.by.join(", "),
      userId: null,
    };
    if (outcome.decision !== "approved") {
      const reason = `rejected by ${outcome.by.join(", ")}${outcome.comment ? `: ${outcome.comment}` : ""}`;
      await tx.reprocess.updateJob(
        job.id,
        { state: "rejected", stopReason: reason, finishedAt: outcome.at },
        outcome.at,
      );
      await tx.audit.append(actor, {
        action: "deadletter.reprocess.reject",
        subjectType: "reprocess-job",
        subjectId: job.id,
        payload: { approvalId: approval.id, reason },
      });
      return;
    }
    const state: ReprocessJobState = job.canary > 0 ? "canary" : "running";
    await tx.reprocess.updateJob(job.id, { state, nextStartAt: outcome.at }, outcome.at);
    await tx.audit.append(actor, {
      action: "deadletter.reprocess.approve",
      subjectType: "reprocess-job",
      subjectId: job.id,
      payload: { approvalId: approval.id, planHash: approval.planHash, state },
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Discarding, pausing, resuming, cancelling

/**
 * Discards open dead letters with a reason: all of them or none (one that is not open, or not
 * of the workspace, refuses the whole request). One ledger entry per dead letter.
 */
export async function discardDeadLetters(
  deps: DeadLetterDeps,
  actor: Actor,
  input: DiscardInput,
): Promise<{ discarded: string[] }> {
  mayChange(actor, "discard dead letters");
  const reason = input.reason.trim();
  if (!reason)
    throw new AppError("INVALID_INPUT", {
      message: "Say why they are discarded.",
      details: { field: "reason" },
    });
  const discarded = await deps.transactor.transaction(async (tx) => {
    const now = Date.now();
    const done = await tx.reprocess.discard(actor.workspaceId, input.ids, {
      label: actor.label,
      reason,
      at: now,
    });
    if (done.length !== input.ids.length)
      throw new AppError("CONFLICT", {
        message: `${input.ids.length - done.length} of the selected dead letters are not open (or not in this workspace): nothing was discarded.`,
        details: { field: "ids" },
      });
    for (const id of done)
      await tx.audit.append(actor, {
        action: "deadletter.discard",
        subjectType: "dead-letter",
        subjectId: id,
        payload: { reason },
      });
    return done;
  });
  return { discarded };
}

type JobAction = "pause" | "resume" | "cancel";

const ALLOWED_FROM: Record<JobAction, readonly ReprocessJobState[]> = {
  pause: ["canary", "running"],
  resume: ["paused"],
  cancel: ["pending-approval", "canary", "running", "paused"],
};

/**
 * Pauses a started job (no item starts; running ones finish and are recorded), resumes a paused
 * one (its canary is checked again first), or cancels a job that has not ended (`stopped`; a
 * pending approval is voided). Editors; a ledger entry each.
 */
export async function changeReprocessJob(
  deps: DeadLetterDeps,
  actor: Actor,
  input: { id: string; action: JobAction },
): Promise<ReprocessJobView> {
  mayChange(actor, `${input.action} reprocess jobs`);
  const known = await deps.db.reprocessJob.findFirst({
    where: { id: input.id, workspaceId: actor.workspaceId },
    select: { approvalId: true },
  });
  if (!known) throw notFound("Reprocess job");
  await deps.transactor.transaction(async (tx) => {
    // The approval first, then the job: the order a decision takes them in (no deadlock).
    if (known.approvalId) await tx.approvals.lock(known.approvalId, actor.workspaceId);
    const job = await tx.reprocess.lockJob(input.id);
    if (!job || job.workspaceId !== actor.workspaceId) throw notFound("Reprocess job");
    if (!ALLOWED_FROM[input.action].includes(job.state))
      throw new AppError("CONFLICT", {
        message: `The job is ${job.state}: it cannot be ${input.action === "pause" ? "paused" : input.action === "resume" ? "resumed" : "cancelled"}.`,
      });
    const now = Date.now();
    const patch = patchFor(job, input.action, actor, now);
    await tx.reprocess.updateJob(job.id, patch, now);
    if (input.action === "cancel" && job.state === "pending-approval" && job.approvalId)
      await tx.approvals.setStatus(job.approvalId, "voided", now);
    await tx.audit.append(actor, {
      action: `deadletter.reprocess.${input.action}`,
      subjectType: "reprocess-job",
      subjectId: job.id,
      payload: { from: job.state, to: patch.state },
    });
  });
  return getReprocessJob(deps, actor, { id: input.id });
}

function patchFor(job: ReprocessJobRecord, action: JobAction, actor: Actor, now: number) {
  if (action === "pause") return { state: "paused" as const };
  // A resumed job proves its canary again (the runner moves on at once when it passed).
  if (action === "resume")
    return { state: job.canary > 0 ? ("canary" as const) : ("running" as const), nextStartAt: now };
  return { state: "stopped" as const, stopReason: `cancelled by ${actor.label}`, finishedAt: now };
}
