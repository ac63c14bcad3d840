/**
 * Approval use cases: list, count, get, decide, break-glass, and `requestApproval` (replays,
 * reprocess jobs, later the guardian). Every decision goes through the ONE guard (`guard.ts`),
 * is an `ApprovalDecision` row and a ledger entry, in one transaction with its effect.
 *
 * Step and form approvals are created where the wait begins: the worker that parked a run on a
 * human step syncs that run (`syncRunApprovals`, the engine's `onRunParked` hook) right after the
 * park committed. A periodic sweep in the worker (`sweepApprovals`) catches anything missed (a
 * crash between park and sync) and reconciles pending approvals with their step (expired by its
 * `onTimeout`, escalated, or void when the run ended without a decision) and replay and
 * reprocess approvals with their `expiresAt`. Lists and counts only read; `get` and `decide`
 * reconcile the one approval they touch. Every event notifies (`../notification/notify.ts`) in
 * its own transaction: a request its possible deciders, an escalation the admins, a decision
 * or an expiry the requester.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { schemaErrors } from "@/server/engine/runtimes/support";
import { isTerminalRun, type RunStatus } from "@/server/engine/types";
import { AppError, notFound } from "../errors";
import { notifyApprovalEvent } from "../notification/notify";
import type { TxScope } from "../run/ports";
import type { Actor, Db } from "../types";
import { checkDecider, type Decider } from "./guard";
import type { ApprovalDeps, ApprovalOutcome } from "./ports";
import type {
  ZApprovalId,
  ZBreakGlassInput,
  ZDecideApprovalInput,
  ZListApprovalsInput,
} from "./schemas";
import type {
  ApprovalDecisionRecord,
  ApprovalKind,
  ApprovalRecord,
  ApprovalStatus,
  ApproverSpec,
  DecisionKind,
  HumanWait,
  NewApproval,
} from "./types";

/** The human blocks a run parks on, and the kind of approval each one asks for. */
const HUMAN_BLOCKS: Record<string, "step" | "form"> = {
  "human.approval": "step",
  "policy.check": "step",
  "human.form": "form",
};
const HUMAN_BLOCK_IDS = Object.keys(HUMAN_BLOCKS);
/** Rows one sync creates or reconciles at most (the next read picks up the rest). */
const SYNC_BATCH = 200;
/** Pending approvals `count` evaluates for "for me" at most. */
const COUNT_SCAN = 1000;

const DECIDED: ApprovalStatus[] = ["approved", "rejected", "submitted", "expired", "voided"];

// ---------------------------------------------------------------------------------------------
// Approvers and deciders

const str = (v: unknown, max = 200) =>
  typeof v === "string" && v.trim() ? v.trim().slice(0, max) : undefined;

/** A step's `approvers` (or a form's `assignees`) as stored: only the keys the guard reads. */
export function approverSpecOf(value: unknown): ApproverSpec {
  const o = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  const spec: ApproverSpec = {};
  const role = str(o.role, 20);
  const group = str(o.group);
  if (role) spec.role = role;
  if (group) spec.group = group;
  if (Array.isArray(o.users)) {
    const users = o.users.flatMap((u) => (str(u) ? [str(u)!] : [])).slice(0, 50);
    if (users.length) spec.users = users;
  }
  return spec;
}

/** The actor as the guard sees it: email, role, groups and, for a token, its scopes. */
export async function deciderOf(db: Db, actor: Actor): Promise<Decider> {
  const [user, groups] = await Promise.all([
    actor.via === "session"
      ? { email: actor.label }
      : db.user.findUnique({ where: { id: actor.userId }, select: { email: true } }),
    db.workspaceGroupMember.findMany({
      where: { userId: actor.userId, group: { workspaceId: actor.workspaceId } },
      select: { group: { select: { name: true } } },
    }),
  ]);
  return {
    userId: actor.userId,
    email: user?.email ?? "",
    role: actor.role,
    groups: groups.map((g) => g.group.name),
    via: actor.via,
    scopes: actor.scopes,
  };
}

// ---------------------------------------------------------------------------------------------
// Sync: parked human steps become approvals; pending ones follow their step

/** The approval a parked human step asks for. */
export function approvalOfWait(w: HumanWait, id: string, now: number): NewApproval {
  const kind = HUMAN_BLOCKS[w.blockId] ?? "step";
  const inputs = w.inputs;
  const approvers =
    kind === "form"
      ? approverSpecOf(inputs.assignees)
      : Object.keys(approverSpecOf(inputs.approvers)).length
        ? approverSpecOf(inputs.approvers)
        : { role: "approver" };
  const min =
    w.blockId === "human.approval" && Number.isInteger(inputs.minApprovals)
      ? Math.min(10, Math.max(1, inputs.minApprovals as number))
      : 1;
  const subject: Record<string, unknown> = { flow: w.flow, block: w.blockId, inputs };
  if (kind === "form") {
    subject.form = {
      title: typeof inputs.title === "string" ? inputs.title : "",
      schema: inputs.schema ?? {},
      prefill: inputs.prefill && typeof inputs.prefill === "object" ? inputs.prefill : null,
    };
  } else {
    subject.message =
      typeof inputs.message === "string"
        ? inputs.message
        : w.blockId === "policy.check"
          ? `policy rule failed: ${String(inputs.rule ?? "")}`
          : "";
  }
  return {
    id,
    workspaceId: w.workspaceId,
    kind,
    runId: w.runId,
    workflowId: w.workflowId,
    stepId: w.stepId,
    attempt: w.attempt,
    requesterId: w.requesterId,
    requesterLabel: w.requesterLabel,
    approvers,
    minApprovals: min,
    subject,
    planHash: null,
    expiresAt: w.timeoutAt,
    now,
  };
}

const ENGINE_ACTOR = (workspaceId: string) => ({ workspaceId, label: "engine", userId: null });

/**
 * Creates the approvals of parked human steps that have none (idempotent: one per attempt), and
 * reconciles pending step and form approvals with their step: `expired` when the step's timeout
 * ended it (`onTimeout: reject | approve`), escalated (still pending, `escalatedAt` set, a
 * ledger entry) with `onTimeout: escalate`, `voided` when the run or step ended otherwise.
 * Scope: every workspace (the sweep), one workspace, one run (a park) or one approval. At most
 * `limit` of each; `full` says a batch was full (more may wait).
 */
export async function syncApprovals(
  tx: TxScope,
  scope: { workspaceId?: string; runId?: string; approvalId?: string; now?: number },
  limit = SYNC_BATCH,
): Promise<{ created: number; reconciled: number; full: boolean }> {
  const now = scope.now ?? Date.now();
  let created = 0;
  let full = false;
  if (!scope.approvalId) {
    const waits = await tx.approvals.humanWaitsWithoutApproval(
      { workspaceId: scope.workspaceId, runId: scope.runId },
      HUMAN_BLOCK_IDS,
      limit,
    );
    full = waits.length === limit;
    for (const w of waits) {
      const { approval, created: fresh } = await tx.approvals.insert(
        approvalOfWait(w, randomUUID(), now),
      );
      if (!fresh) continue;
      created++;
      await notifyApprovalEvent(tx, { type: "approval.requested", approval, at: now });
    }
  }
  const states = await tx.approvals.pendingStepStates(
    { workspaceId: scope.workspaceId, runId: scope.runId, approvalId: scope.approvalId },
    limit,
  );
  full ||= states.length === limit;
  let reconciled = 0;
  for (const s of states) {
    const runEnded = s.runStatus === null || isTerminalRun(s.runStatus as RunStatus);
    if (s.attemptStatus === "waiting" && !runEnded) {
      if (
        s.onTimeout === "escalate" &&
        s.timerFired &&
        s.escalatedAt === null &&
        (await tx.approvals.markEscalated(s.id, now))
      ) {
        reconciled++;
        await tx.audit.append(ENGINE_ACTOR(s.workspaceId), {
          action: "approval.escalate",
          subjectType: "approval",
          subjectId: s.id,
          payload: { reason: "timeout", onTimeout: "escalate" },
        });
        const approval = await tx.approvals.lock(s.id, s.workspaceId);
        if (approval)
          await notifyApprovalEvent(tx, { type: "approval.escalated", approval, at: now });
      }
      continue;
    }
    const finished = s.attemptStatus === "succeeded" || s.attemptStatus === "failed";
    const expired = finished && (s.timedOut || s.timerFired);
    if (!(await tx.approvals.setStatus(s.id, expired ? "expired" : "voided", now))) continue;
    reconciled++;
    if (!expired) continue;
    const approval = await tx.approvals.lock(s.id, s.workspaceId);
    if (approval) await notifyApprovalEvent(tx, { type: "approval.expired", approval, at: now });
  }
  return { created, reconciled, full };
}

/**
 * The run-parked hook (the worker, right after a run's park committed): creates the approvals
 * of the run's parked human steps and reconciles its pending ones, in one transaction.
 */
export async function syncRunApprovals(
  deps: Pick<ApprovalDeps, "transactor">,
  run: { workspaceId: string; runId: string },
): Promise<void> {
  await deps.transactor.transaction((tx) => syncApprovals(tx, run));
}

/**
 * The worker's periodic sweep over every workspace, at `now`: creates the approvals of parked
 * human steps the park hook missed (a crash between park and sync), reconciles pending step and
 * form approvals with their step (expiry, escalation, void), and expires replay and reprocess
 * approvals past their `expiresAt` (a ledger entry and the requester's notification each).
 * Bounded: at most `limit` of each per call; `more` says to call again soon.
 */
export async function sweepApprovals(
  deps: Pick<ApprovalDeps, "transactor">,
  opts: { now: number; limit?: number },
): Promise<{ created: number; reconciled: number; expired: number; more: boolean }> {
  const limit = opts.limit ?? SYNC_BATCH;
  const synced = await deps.transactor.transaction((tx) =>
    syncApprovals(tx, { now: opts.now }, limit),
  );
  const expired = await deps.transactor.transaction(async (tx) => {
    const due = await tx.approvals.expireDue(opts.now, limit);
    for (const approval of due) {
      await tx.audit.append(ENGINE_ACTOR(approval.workspaceId), {
        action: "approval.expire",
        subjectType: "approval",
        subjectId: approval.id,
        payload: { kind: approval.kind, expiresAt: approval.expiresAt },
      });
      await notifyApprovalEvent(tx, { type: "approval.expired", approval, at: opts.now });
    }
    return due.length;
  });
  return {
    created: synced.created,
    reconciled: synced.reconciled,
    expired,
    more: synced.full || expired === limit,
  };
}

// ---------------------------------------------------------------------------------------------
// Deciding

interface DecisionInput {
  decision: DecisionKind;
  comment?: string;
  planHash?: string;
  values?: Record<string, unknown>;
  breakGlass?: boolean;
  reason?: string;
}

function invalid(field: string, message: string, details: Record<string, unknown> = {}) {
  return new AppError("INVALID_INPUT", { message, details: { field, ...details } });
}

/** Checks a decision's input against its approval: comment, decision kind, plan hash, values. */
function checkInput(a: ApprovalRecord, input: DecisionInput): void {
  if (input.decision === "reject" && !input.comment?.trim())
    throw invalid("comment", "A rejection needs a comment: say why.");
  if (a.kind === "form") {
    if (input.breakGlass)
      throw invalid(
        "decision",
        "A form is filled in by its assignees; break-glass decides approvals.",
      );
    if (input.decision === "approve")
      throw invalid("decision", "A form is submitted with its values (or rejected), not approved.");
    if (input.decision === "submit") {
      if (!input.values) throw invalid("values", "Fill in the form's values to submit it.");
      const form = (a.subject.form ?? {}) as { schema?: unknown };
      let errors: Array<{ path: string; message: string }>;
      try {
        errors = schemaErrors(form.schema ?? {}, input.values);
      } catch (err) {
        throw new AppError("PRECONDITION_FAILED", {
          message: `The form's schema is not valid JSON Schema: ${(err as Error).message}`,
        });
      }
      if (errors.length)
        throw invalid(
          "values",
          `The values do not match the form: ${errors
            .slice(0, 5)
            .map((e) => `${e.path} ${e.message}`)
            .join("; ")}.`,
          { errors: errors.slice(0, 20) },
        );
    }
  } else if (input.decision === "submit") {
    throw invalid("decision", "Only a form is submitted; approve or reject this.");
  }
  if (a.kind === "replay" || a.kind === "reprocess") {
    if (!input.planHash)
      throw invalid("planHash", `Deciding a ${a.kind} needs the hash of the plan you reviewed.`);
    if (input.planHash !== a.planHash)
      throw new AppError("CONFLICT", {
        message: `Stale plan: the ${a.kind}'s plan changed since you reviewed it. Review it again.`,
        details: { field: "planHash" },
      });
  }
}

/** The ledger entry of a decision. */
function ledgerEntry(
  a: ApprovalRecord,
  d: ApprovalDecisionRecord,
  status: ApprovalStatus,
  approvals: number,
) {
  const onRun = (a.kind === "step" || a.kind === "form") && a.runId !== null;
  const payload = {
    approvalId: a.id,
    kind: a.kind,
    decision: d.decision,
    ...(onRun ? { stepId: a.stepId, attempt: a.attempt } : {}),
    comment: d.comment,
    approvals,
    minApprovals: a.minApprovals,
    status,
    ...(a.planHash ? { planHash: a.planHash } : {}),
    ...(d.breakGlass ? { breakGlass: true, reason: d.reason } : {}),
  };
  const action = d.breakGlass
    ? "approval.break-glass"
    : onRun
      ? `run.step.${d.decision}`
      : `approval.${d.decision}`;
  return onRun
    ? { action, subjectType: "run" as const, subjectId: a.runId!, payload }
    : { action, subjectType: "approval" as const, subjectId: a.id, payload };
}

/**
 * Decides the locked approval `a` in `tx`: the guard, the input checks, the decision row, the
 * ledger entry and, once final, the status and the kind's effect. Returns what to do after the
 * commit (wake a worker).
 */
export async function decideLocked(
  tx: TxScope,
  deps: Pick<ApprovalDeps, "approvalEffects">,
  actor: Actor,
  decider: Decider,
  a: ApprovalRecord,
  input: DecisionInput,
): Promise<{ afterCommit?: () => void }> {
  const decisions = await tx.approvals.decisions(a.id);
  const verdict = checkDecider({ ...a, decisions }, decider, { breakGlass: input.breakGlass });
  if (!verdict.ok) throw new AppError(verdict.code, { message: verdict.reason });
  checkInput(a, input);
  const now = Date.now();
  const d: ApprovalDecisionRecord = {
    id: randomUUID(),
    approvalId: a.id,
    userId: actor.userId,
    label: actor.label,
    decision: input.decision,
    comment: input.comment?.trim() || null,
    values: input.decision === "submit" ? (input.values ?? null) : null,
    breakGlass: Boolean(input.breakGlass),
    reason: input.breakGlass ? (input.reason ?? null) : null,
    createdAt: now,
  };
  if (!(await tx.approvals.addDecision(d)))
    throw new AppError("FORBIDDEN", {
      message: "You already decided this; each person decides once.",
    });
  const all = [...decisions, d];
  const approvers = all.filter((x) => x.decision === "approve");
  const distinct = new Set(approvers.map((x) => x.userId)).size;
  const status: ApprovalStatus = d.breakGlass
    ? d.decision === "approve"
      ? "approved"
      : "rejected"
    : d.decision === "reject"
      ? "rejected"
      : d.decision === "submit"
        ? "submitted"
        : distinct >= a.minApprovals
          ? "approved"
          : "pending";
  await tx.audit.append(actor, ledgerEntry(a, d, status, distinct));
  if (status === "pending") return {};
  await tx.approvals.setStatus(a.id, status, now);
  await notifyApprovalEvent(tx, {
    type: "approval.decided",
    approval: { ...a, status, decidedAt: now },
    at: now,
    decision: {
      status,
      by: status === "approved" && !d.breakGlass ? approvers.map((x) => x.label) : [d.label],
      byUserIds: all.map((x) => x.userId),
      comment: d.comment,
      breakGlass: d.breakGlass,
    },
  });
  const effect = deps.approvalEffects[a.kind === "form" ? "step" : a.kind];
  if (!effect)
    throw new AppError("PRECONDITION_FAILED", {
      message: `This server cannot carry out ${a.kind} approvals yet; nothing was decided.`,
    });
  const outcome: ApprovalOutcome = {
    decision: status as ApprovalOutcome["decision"],
    by: status === "approved" && !d.breakGlass ? approvers.map((x) => x.label) : [d.label],
    comment:
      status === "approved" && !d.breakGlass
        ? ([...approvers].reverse().find((x) => x.comment)?.comment ?? null)
        : d.comment,
    values: d.values,
    at: now,
    breakGlass: d.breakGlass,
  };
  return (await effect(tx, { ...a, status, decidedAt: now }, outcome)) ?? {};
}

async function decide(deps: ApprovalDeps, actor: Actor, id: string, input: DecisionInput) {
  const decider = await deciderOf(deps.db, actor);
  const after = await deps.transactor.transaction(async (tx) => {
    // The approval's step may have ended (timeout, cancelled run) since it was listed.
    await syncApprovals(tx, { workspaceId: actor.workspaceId, approvalId: id });
    const a = await tx.approvals.lock(id, actor.workspaceId);
    if (!a) throw notFound("Approval");
    return decideLocked(tx, deps, actor, decider, a, input);
  });
  after.afterCommit?.();
  return getApproval(deps, actor, { id });
}

/**
 * Decides an approval as `actor`: `approve` / `reject` (with a comment) a step, replay or
 * reprocess job (`planHash` for those two), `submit` a form's `values`. The approval is final
 * (and its effect runs) once `minApprovals` distinct people approved, or at the first rejection.
 */
export function decideApproval(
  deps: ApprovalDeps,
  actor: Actor,
  input: z.infer<typeof ZDecideApprovalInput>,
) {
  return decide(deps, actor, input.id, {
    decision: input.decision,
    comment: input.comment,
    planHash: input.planHash,
    values: input.values,
  });
}

/**
 * An admin's break-glass decision: final at once, whatever the approvers and the quorum, with a
 * reason; never on the admin's own request; flagged in the ledger (`approval.break-glass`).
 */
export function breakGlass(
  deps: ApprovalDeps,
  actor: Actor,
  input: z.infer<typeof ZBreakGlassInput>,
) {
  return decide(deps, actor, input.id, {
    decision: input.decision,
    comment: input.decision === "reject" ? input.reason : undefined,
    breakGlass: true,
    reason: input.reason,
  });
}

/**
 * Decides the approval of a parked human step of `runId` (the run view's `run.resume`): the
 * same guard and quorum as {@link decideApproval}. The caller has checked that the step waits.
 */
export async function decideStep(
  tx: TxScope,
  deps: Pick<ApprovalDeps, "approvalEffects">,
  actor: Actor,
  decider: Decider,
  step: { runId: string; stepId: string; attempt: number },
  input: { decision: "approve" | "reject"; comment?: string },
) {
  await syncApprovals(tx, { workspaceId: actor.workspaceId, runId: step.runId });
  const a = await tx.approvals.lockForAttempt(step.runId, step.stepId, step.attempt);
  if (!a || a.workspaceId !== actor.workspaceId)
    throw new AppError("CONFLICT", {
      message: `Step "${step.stepId}" is not waiting for a decision.`,
      details: { field: "stepId" },
    });
  // The run view approves a form without fields of its own: its values are then `{}`, checked
  // against the form's schema like any submission.
  const decision: DecisionInput =
    a.kind === "form" && input.decision === "approve"
      ? { decision: "submit", values: {}, comment: input.comment }
      : input;
  return decideLocked(tx, deps, actor, decider, a, decision);
}

// ---------------------------------------------------------------------------------------------
// Requesting (replays, reprocess jobs)

/** What {@link requestApproval} records. */
export interface ApprovalRequest {
  workspaceId: string;
  kind: Extract<ApprovalKind, "replay" | "reprocess">;
  /** The run concerned (a replay's source run). */
  runId?: string | null;
  workflowId?: string | null;
  /** Who asks: never decides it. */
  requester: { userId: string; label: string };
  /** Default: the workspace's approvers (`role: approver`, admins included). */
  approvers?: ApproverSpec;
  minApprovals?: number;
  /** What is decided: `{ plan, inputs, message? }` for a replay. */
  subject: Record<string, unknown>;
  /** The plan's hash: a decision must name it (a changed plan is stale). */
  planHash: string;
  expiresAt?: number | null;
}

/**
 * Creates a pending approval of a replay or reprocess job in `tx`, with its ledger entry
 * (`approval.request`). The caller's transaction also records what it requests.
 */
export async function requestApproval(
  tx: TxScope,
  request: ApprovalRequest,
): Promise<ApprovalRecord> {
  const now = Date.now();
  const { approval } = await tx.approvals.insert({
    id: randomUUID(),
    workspaceId: request.workspaceId,
    kind: request.kind,
    runId: request.runId ?? null,
    workflowId: request.workflowId ?? null,
    stepId: null,
    attempt: null,
    requesterId: request.requester.userId,
    requesterLabel: request.requester.label,
    approvers: request.approvers ?? { role: "approver" },
    minApprovals: Math.min(10, Math.max(1, Math.trunc(request.minApprovals ?? 1))),
    subject: request.subject,
    planHash: request.planHash,
    expiresAt: request.expiresAt ?? null,
    now,
  });
  await tx.audit.append(
    {
      workspaceId: request.workspaceId,
      label: request.requester.label,
      userId: request.requester.userId,
    },
    {
      action: "approval.request",
      subjectType: "approval",
      subjectId: approval.id,
      payload: {
        kind: approval.kind,
        runId: approval.runId,
        planHash: approval.planHash,
        approvers: approval.approvers,
        minApprovals: approval.minApprovals,
      },
    },
  );
  await notifyApprovalEvent(tx, { type: "approval.requested", approval, at: now });
  return approval;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** An approval as the inbox and the API show it. Dates are ISO strings. */
export interface ApprovalView {
  id: string;
  kind: ApprovalKind;
  status: ApprovalStatus;
  runId: string | null;
  stepId: string | null;
  attempt: number | null;
  workflow: { id: string; name: string; slug: string } | null;
  version: string | null;
  requester: { userId: string | null; label: string } | null;
  approvers: ApproverSpec;
  minApprovals: number;
  /** Distinct people who approved so far. */
  approvals: number;
  decisions: Array<{
    userId: string;
    label: string;
    decision: DecisionKind;
    comment: string | null;
    breakGlass: boolean;
    reason: string | null;
    at: string;
  }>;
  message: string | null;
  form: { title: string; schema: unknown; prefill: unknown } | null;
  inputs: unknown;
  plan: unknown;
  planHash: string | null;
  expiresAt: string | null;
  escalated: boolean;
  createdAt: string;
  decidedAt: string | null;
  /** Whether the caller may decide it now (the guard's verdict), and why not. */
  canDecide: boolean;
  whyNot: string | null;
}

const approvalInclude = {
  decisions: { orderBy: [{ createdAt: "asc" as const }, { id: "asc" as const }] },
};

/** An approval as Prisma reads it, with its decisions (the fields the views use). */
interface ApprovalRow {
  id: string;
  kind: string;
  status: string;
  runId: string | null;
  workflowId: string | null;
  stepId: string | null;
  attempt: number | null;
  requesterId: string | null;
  requesterLabel: string | null;
  approvers: unknown;
  minApprovals: number;
  subject: unknown;
  planHash: string | null;
  expiresAt: Date | null;
  escalatedAt: Date | null;
  createdAt: Date;
  decidedAt: Date | null;
  decisions: Array<{
    userId: string;
    label: string;
    decision: string;
    comment: string | null;
    breakGlass: boolean;
    reason: string | null;
    createdAt: Date;
  }>;
}

const slugOf = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);

async function views(db: Db, actor: Actor, rows: ApprovalRow[]): Promise<ApprovalView[]> {
  if (rows.length === 0) return [];
  const runIds = [...new Set(rows.flatMap((r) => (r.runId ? [r.runId] : [])))];
  const workflowIds = [...new Set(rows.flatMap((r) => (r.workflowId ? [r.workflowId] : [])))];
  const [decider, runs, workflows] = await Promise.all([
    deciderOf(db, actor),
    runIds.length
      ? db.run.findMany({
          where: { id: { in: runIds }, workspaceId: actor.workspaceId },
          select: { id: true, version: true },
        })
      : [],
    workflowIds.length
      ? db.workflow.findMany({
          where: { id: { in: workflowIds }, workspaceId: actor.workspaceId },
          select: { id: true, name: true },
        })
      : [],
  ]);
  const versionOf = new Map(runs.map((r) => [r.id, r.version]));
  const workflowOf = new Map(workflows.map((w) => [w.id, w]));
  return rows.map((r) => {
    const subject = (r.subject ?? {}) as Record<string, unknown>;
    const approvers = (r.approvers ?? {}) as ApproverSpec;
    const wf = r.workflowId ? workflowOf.get(r.workflowId) : undefined;
    const verdict = checkDecider(
      {
        kind: r.kind as ApprovalKind,
        status: r.status as ApprovalStatus,
        requesterId: r.requesterId,
        approvers,
        decisions: r.decisions,
      },
      decider,
    );
    const form = subject.form as ApprovalView["form"] | undefined;
    return {
      id: r.id,
      kind: r.kind as ApprovalKind,
      status: r.status as ApprovalStatus,
      runId: r.runId,
      stepId: r.stepId,
      attempt: r.attempt,
      workflow: wf ? { id: wf.id, name: wf.name, slug: slugOf(wf.name) } : null,
      version: r.runId ? (versionOf.get(r.runId) ?? null) : null,
      requester:
        r.requesterId || r.requesterLabel
          ? { userId: r.requesterId, label: r.requesterLabel ?? "" }
          : null,
      approvers,
      minApprovals: r.minApprovals,
      approvals: new Set(r.decisions.filter((d) => d.decision === "approve").map((d) => d.userId))
        .size,
      decisions: r.decisions.map((d) => ({
        userId: d.userId,
        label: d.label,
        decision: d.decision as DecisionKind,
        comment: d.comment,
        breakGlass: d.breakGlass,
        reason: d.reason,
        at: d.createdAt.toISOString(),
      })),
      message: typeof subject.message === "string" ? subject.message : null,
      form: form ?? null,
      inputs: subject.inputs ?? null,
      plan: subject.plan ?? null,
      planHash: r.planHash,
      expiresAt: r.expiresAt?.toISOString() ?? null,
      escalated: r.escalatedAt !== null,
      createdAt: r.createdAt.toISOString(),
      decidedAt: r.decidedAt?.toISOString() ?? null,
      canDecide: verdict.ok,
      whyNot: verdict.ok ? null : verdict.reason,
    };
  });
}

/** The workspace's approvals, newest first, with filters and cursor paging. */
export async function listApprovals(
  deps: ApprovalDeps,
  actor: Actor,
  input: z.infer<typeof ZListApprovalsInput>,
): Promise<{ items: ApprovalView[]; nextCursor: string | null }> {
  const rows = await deps.db.approval.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(input.status === "pending"
        ? { status: "pending" }
        : input.status === "decided"
          ? { status: { in: DECIDED } }
          : {}),
      ...(input.kind ? { kind: input.kind } : {}),
      ...(input.workflowId ? { workflowId: input.workflowId } : {}),
      ...(input.runId ? { runId: input.runId } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    include: approvalInclude,
  });
  const page = rows.slice(0, input.limit);
  const items = await views(deps.db, actor, page);
  return { items, nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}

/** Pending approvals of the workspace, and those of them the actor may decide now. Reads only. */
export async function countApprovals(
  deps: ApprovalDeps,
  actor: Actor,
): Promise<{ pending: number; forMe: number }> {
  const where = { workspaceId: actor.workspaceId, status: "pending" };
  const [pending, rows, decider] = await Promise.all([
    deps.db.approval.count({ where }),
    deps.db.approval.findMany({
      where,
      orderBy: { createdAt: "desc" },
      take: COUNT_SCAN,
      select: {
        kind: true,
        status: true,
        requesterId: true,
        approvers: true,
        decisions: { select: { userId: true } },
      },
    }),
    deciderOf(deps.db, actor),
  ]);
  const forMe = rows.filter(
    (r) =>
      checkDecider(
        {
          kind: r.kind as ApprovalKind,
          status: r.status as ApprovalStatus,
          requesterId: r.requesterId,
          approvers: (r.approvers ?? {}) as ApproverSpec,
          decisions: r.decisions,
        },
        decider,
      ).ok,
  ).length;
  return { pending, forMe };
}

/** One approval of the workspace. */
export async function getApproval(
  deps: Pick<ApprovalDeps, "db" | "transactor">,
  actor: Actor,
  input: z.infer<typeof ZApprovalId>,
): Promise<ApprovalView> {
  await deps.transactor.transaction((tx) =>
    syncApprovals(tx, { workspaceId: actor.workspaceId, approvalId: input.id }),
  );
  const row = await deps.db.approval.findFirst({
    where: { id: input.id, workspaceId: actor.workspaceId },
    include: approvalInclude,
  });
  if (!row) throw notFound("Approval");
  return (await views(deps.db, actor, [row]))[0]!;
}
