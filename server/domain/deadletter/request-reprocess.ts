/**
 * Requesting a reprocess job: the selected dead letters are frozen as the job's ordered items,
 * each with the hash of its resume replay's plan, and the job's `reprocess` approval is bound
 * to a hash over all of it (`reprocessPlanHash`), in one transaction with the ledger entries.
 */
import { randomUUID } from "node:crypto";
import { canonicalJson, sha256Hex } from "@/dsl";
import { requestApproval } from "../approval/request-approval";
import { AppError } from "../errors";
import type { TxScope } from "../run/ports";
import { plan, sourceRun } from "../replay/replays";
import type { Actor, Db } from "../types";
import { mayChange, resumeOn, whereOf, type DeadLetterDeps } from "./common";
import { getReprocessJob, type ReprocessJobView } from "./reprocess-jobs";
import { MAX_JOB_ITEMS, type DeadLetterFilter, type ReprocessInput } from "./schemas";

/** A filter as stored with a job: only its set fields. */
function filterOf(input: DeadLetterFilter): DeadLetterFilter {
  return Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  ) as DeadLetterFilter;
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
        plans.set(
          r.runId,
          (await plan(tx.versions, tx.runs, run, resumeOn(input.version))).plan.hash,
        );
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
    const selection: { ids?: string[]; filter?: DeadLetterFilter; version?: string } = {
      ...(input.ids ? { ids: input.ids } : { filter: filterOf(input.filter ?? {}) }),
      // The version the runs resume on, when not their own (the runner plans with it again).
      ...(input.version && input.version !== "run" ? { version: input.version } : {}),
    };
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
  p: { canary: number; ratePerMinute: number; stopOnFailure: boolean; version?: string },
): string {
  const on = p.version && p.version !== "run" ? ` on version ${p.version}` : "";
  return (
    `Reprocess ${total} dead letter(s) of ${runs} run(s): each run resumed from its ` +
    `dead-lettered step${on} (recorded outputs reused, completed writes not redone); ` +
    (p.canary > 0 ? `${p.canary} first as a canary, the rest once they succeeded; ` : "") +
    `at most ${p.ratePerMinute} per minute` +
    (p.stopOnFailure ? "; the first failure stops the job." : "; failures do not stop the job.")
  );
}
