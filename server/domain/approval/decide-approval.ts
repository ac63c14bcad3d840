/**
 * Deciding an approval: every decision goes through the ONE guard (`guard.ts`), is an
 * `ApprovalDecision` row and a ledger entry, in one transaction with its effect (the kind's
 * `ApprovalEffect`, once the approval is final).
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { schemaErrors } from "@/server/engine/runtimes/support";
import { AppError, notFound } from "../errors";
import { notifyApprovalEvent } from "../notification/notify";
import type { TxScope } from "../run/ports";
import type { Actor } from "../types";
import { deciderOf } from "./deciders";
import { checkDecider, type Decider } from "./guard";
import { getApproval } from "./list-approvals";
import type { ApprovalDeps, ApprovalOutcome } from "./ports";
import type { ZBreakGlassInput, ZDecideApprovalInput } from "./schemas";
import { syncApprovals } from "./sync-approvals";
import type { ApprovalDecisionRecord, ApprovalRecord, ApprovalStatus, DecisionKind } from "./types";

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
