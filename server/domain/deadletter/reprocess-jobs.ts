/**
 * A reprocess job's life after its request: its views (list, get with its items), the effect
 * of its approval's decision (an approved job starts, a rejected one ends), and the editors'
 * controls (pause, resume, cancel). A worker advances a started job (`runner.ts`).
 */
import type { ReprocessItemState, ReprocessJobState } from "@/lib/enums";
import type { ApprovalEffect } from "../approval/ports";
import { AppError, notFound } from "../errors";
import type { Actor, Db } from "../types";
import { mayChange, obj, type DeadLetterDeps } from "./common";
import type { DeadLetterFilter, ListReprocessJobsInput } from "./schemas";
import type { ReprocessJobRecord } from "./types";

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
