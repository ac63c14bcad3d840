/**
 * Run use cases: start (manual trigger), list, get, cancel, resume a waiting human step. Each
 * mutation writes the audit ledger in the same transaction as its change.
 */
import type { z } from "zod";
import { offsetToPosition } from "@/dsl";
import type { DeadLetterStatus } from "@/lib/enums";
import { pinCheckpoint, pinsForFlow } from "@/server/engine/pins";
import { DRAFT_VERSION, isDraftRun } from "@/server/engine/run-kind";
import { validatorFor } from "@/server/engine/runtimes/support";
import { isTerminalRun, type RunStatus } from "@/server/engine/types";
import { modelLabel } from "../agent/constants";
import { decideStep, deciderOf } from "../approval/approvals";
import type { ApprovalDeps } from "../approval/ports";
import { syncApprovals } from "../approval/sync-approvals";
import { AppError, notFound } from "../errors";
import { workspaceDirectory } from "../group/workspace-directory";
import { runLineage } from "../replay/lineage";
import { pinnedOutputs } from "../sandbox/pins";
import { sessionForRun } from "../sandbox/sessions";
import type { Actor, Db } from "../types";
import { compileFlow } from "../workflow/compile-flow";
import { runOutcome, type RunOutcome } from "./outcome";
import type { RunDeps } from "./ports";
import type {
  ZCancelRunInput,
  ZListRunsInput,
  ZResumeStepInput,
  ZRunId,
  ZStartRunInput,
} from "./schemas";
import { randomUUID } from "node:crypto";

/**
 * Compiles the workflow's chosen text and starts a run of it, through admission control
 * (`admission.ts`): refused with `RATE_LIMITED` when the process is saturated or the workspace
 * has its maximum of active runs; a refused start writes nothing.
 */
export function startRun(deps: RunDeps, actor: Actor, input: z.infer<typeof ZStartRunInput>) {
  return deps.admission.gate.run(() => startAdmittedRun(deps, actor, input));
}

/**
 * The text a start runs and the version the run records: the text on screen (`dsl`) or the
 * stored draft, both recorded as {@link DRAFT_VERSION}; a named saved version; else the latest
 * saved version, or the draft when none is saved.
 */
async function textToRun(
  db: Db,
  wf: { id: string; draft: string },
  input: z.infer<typeof ZStartRunInput>,
): Promise<{ text: string; version: string }> {
  if (input.dsl !== undefined) return { text: input.dsl, version: DRAFT_VERSION };
  if (input.draft) return { text: wf.draft, version: DRAFT_VERSION };
  if (input.version) {
    const v = await db.workflowVersion.findFirst({
      where: { workflowId: wf.id, version: input.version },
    });
    if (!v)
      throw new AppError("NOT_FOUND", {
        message: `Version ${input.version} of this workflow was not found.`,
        details: { field: "version" },
      });
    return { text: v.dsl, version: v.version };
  }
  const latest = await db.workflowVersion.findFirst({
    where: { workflowId: wf.id },
    orderBy: { createdAt: "desc" },
  });
  return latest
    ? { text: latest.dsl, version: latest.version }
    : { text: wf.draft, version: DRAFT_VERSION };
}

async function startAdmittedRun(
  deps: RunDeps,
  actor: Actor,
  input: z.infer<typeof ZStartRunInput>,
) {
  const { db } = deps;
  const wf = await db.workflow.findFirst({
    where: { id: input.workflowId, workspaceId: actor.workspaceId, deletedAt: null },
  });
  if (!wf) throw notFound("Workflow");
  const { text, version } = await textToRun(db, wf, input);
  // A draft is checked against the workspace's groups and members (TF3060) before it runs; a
  // published version was checked when it was published and runs as it is, even if a group it
  // addresses was deleted since (as triggers run it, see `compileFlowCached`).
  const compiled = compileFlow(
    text,
    isDraftRun({ version }) ? { directory: await workspaceDirectory(db, actor.workspaceId) } : {},
  );
  if (!compiled.ok || !compiled.ir) {
    const errors = compiled.diagnostics.filter((d) => d.severity === "error");
    const list = errors
      .slice(0, 3)
      .map((d) => `${d.code} at line ${offsetToPosition(text, d.span.start).line}: ${d.message}`)
      .join("; ");
    throw new AppError("PRECONDITION_FAILED", {
      message: `The flow does not compile (${errors.length} error${errors.length === 1 ? "" : "s"}): ${list}. Fix it in the editor before running it.`,
      details: { diagnostics: errors.slice(0, 20) },
    });
  }
  const ir = compiled.ir;
  const validate = validatorFor(ir.inputsSchema);
  if (!validate(input.inputs)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || "inputs"} ${e.message ?? "is invalid"}`);
    throw new AppError("INVALID_INPUT", {
      message: `The run's inputs do not match the flow: ${problems.join("; ")}.`,
      details: { field: "inputs" },
    });
  }
  const sandboxSessionId = input.sandboxSessionId
    ? await sessionForRun(db, actor, input.sandboxSessionId)
    : null;
  if (input.usePins && !isDraftRun({ version })) {
    throw new AppError("INVALID_INPUT", {
      message: "Pinned outputs apply only to draft runs: run the draft, not a saved version.",
      details: { field: "usePins" },
    });
  }
  // Pinned outputs (issue 16): only for a draft run in a session; steps the draft no longer has
  // are ignored.
  const pins =
    input.usePins && sandboxSessionId ? pinsForFlow(ir, await pinnedOutputs(db, actor, wf.id)) : [];
  await deps.admission.assertActiveRunCapacity(deps.runs, actor.workspaceId);
  const run = await deps.transactor.transaction(async (tx) => {
    const { run } = await tx.runs.createRun({
      id: randomUUID(),
      workspaceId: actor.workspaceId,
      workflowId: wf.id,
      version,
      ir,
      inputs: input.inputs,
      startedBy: actor.label,
      // The requester the four-eyes guard refuses (a token's creator for a token).
      startedByUserId: actor.userId,
      sandboxSessionId,
      now: Date.now(),
    });
    // The pinned steps are recorded with the run, before any worker can claim it.
    if (pins.length)
      await tx.runs.commit(
        run.id,
        null,
        pinCheckpoint({ id: run.id, sandboxSessionId }, ir, pins, Date.now()),
      );
    await tx.audit.append(actor, {
      action: "run.start",
      subjectType: "run",
      subjectId: run.id,
      payload: {
        workflowId: wf.id,
        flow: ir.name,
        version,
        irHash: ir.hash,
        draft: isDraftRun({ version }),
        ...(input.dsl !== undefined ? { source: "editor" } : {}),
        ...(sandboxSessionId ? { sandboxSessionId } : {}),
        ...(pins.length ? { pinned: pins.map((p) => p.stepId) } : {}),
      },
    });
    return run;
  });
  deps.notifier.runDue(run.id);
  return { id: run.id, status: run.status, version, irHash: run.irHash };
}

const summary = {
  id: true,
  workflowId: true,
  version: true,
  irHash: true,
  status: true,
  startedBy: true,
  parentRunId: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  error: true,
} as const;

/** Lists the workspace's runs, newest first, with filters and cursor paging. */
export async function listRuns(db: Db, actor: Actor, input: z.infer<typeof ZListRunsInput>) {
  const where = {
    workspaceId: actor.workspaceId,
    ...(input.status ? { status: input.status } : {}),
    ...outcomeFilter(input.outcome),
    ...(input.workflowId ? { workflowId: input.workflowId } : {}),
    ...(input.version ? { version: input.version } : {}),
    ...(input.from || input.to
      ? {
          createdAt: {
            ...(input.from ? { gte: new Date(input.from) } : {}),
            ...(input.to ? { lt: new Date(input.to) } : {}),
          },
        }
      : {}),
  };
  const rows = await db.run.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    select: summary,
  });
  const page = rows.slice(0, input.limit);
  const dead = await deadLetterCounts(
    db,
    page.filter((r) => r.status === "succeeded").map((r) => r.id),
  );
  const items = page.map((r) => {
    const deadLetters = dead.get(r.id) ?? 0;
    return {
      ...r,
      draft: isDraftRun(r),
      deadLetters,
      outcome: runOutcome(r.status as RunStatus, deadLetters),
    };
  });
  return { items, nextCursor: rows.length > input.limit ? (items.at(-1)?.id ?? null) : null };
}

/** The `where` of an outcome: statuses as they are, successes split by their dead letters. */
function outcomeFilter(outcome: RunOutcome | undefined) {
  if (!outcome) return {};
  if (outcome === "succeeded_with_dead_letters")
    return { status: "succeeded" as const, deadLetters: { some: {} } };
  if (outcome === "succeeded") return { status: "succeeded" as const, deadLetters: { none: {} } };
  return { status: outcome };
}

/**
 * Dead letters per run, for the runs given (only successes need counting: the outcome of any
 * other status is the status). One grouped query on the (runId, stepId) unique index.
 */
export async function deadLetterCounts(db: Db, runIds: string[]): Promise<Map<string, number>> {
  if (runIds.length === 0) return new Map();
  const rows = await db.deadLetter.groupBy({
    by: ["runId"],
    where: { runId: { in: runIds } },
    _count: { _all: true },
  });
  return new Map(rows.map((r) => [r.runId, r._count._all]));
}

async function ownedRun(runs: RunDeps["runs"], actor: Actor, id: string) {
  const run = await runs.getRun(id);
  if (!run || run.workspaceId !== actor.workspaceId) throw notFound("Run");
  return run;
}

/**
 * A run with its attempts, events, dead letters and the agent usage of each attempt (model,
 * tokens, cost: the run view shows cost per step; `model.usageByRun` gives the totals), its
 * workflow's name and whether it is a draft run (titles: "<name> v1.2.0", "<name> (draft)").
 */
export async function getRun(
  { db, runs: store }: Pick<RunDeps, "db" | "runs">,
  actor: Actor,
  input: z.infer<typeof ZRunId>,
) {
  const run = await ownedRun(store, actor, input.id);
  const [attempts, events, letters, letterStates, usage, workflow, reconciled] = await Promise.all([
    store.listAttempts(run.id),
    store.listEvents(run.id, 0, 2000),
    store.listDeadLetters({ runId: run.id }),
    // What became of each dead letter (the queue's page decides it: reprocessed, discarded).
    db.deadLetter.findMany({
      where: { runId: run.id, workspaceId: actor.workspaceId },
      select: {
        id: true,
        status: true,
        discardedBy: true,
        discardReason: true,
        reprocessedRunId: true,
      },
      take: 100,
    }),
    db.agentUsage.findMany({
      where: { workspaceId: actor.workspaceId, runId: run.id },
      orderBy: [{ stepId: "asc" }, { attempt: "asc" }],
      select: {
        stepId: true,
        attempt: true,
        model: true,
        tokensIn: true,
        tokensOut: true,
        costUsd: true,
      },
      take: 2000,
    }),
    run.workflowId
      ? db.workflow.findFirst({
          where: { id: run.workflowId, workspaceId: actor.workspaceId },
          select: { name: true, deletedAt: true },
        })
      : null,
    db.run.findUnique({
      where: { id: run.id },
      select: {
        reconciledAt: true,
        findings: {
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
          take: 200,
          select: { id: true, kind: true, stepId: true, detail: true, createdAt: true },
        },
      },
    }),
  ]);
  const { leaseOwner: _o, leaseExpiresAt: _e, idempotencyKey: _k, replay: _r, ...rest } = run;
  const stateOf = new Map(letterStates.map((l) => [l.id, l]));
  const deadLetters = letters.map((d) => {
    const st = stateOf.get(d.id);
    return {
      ...d,
      status: (st?.status ?? "open") as DeadLetterStatus,
      discardedBy: st?.discardedBy ?? null,
      discardReason: st?.discardReason ?? null,
      reprocessedRunId: st?.reprocessedRunId ?? null,
    };
  });
  // Replays: the run this one replays, and this run's replays (issue 15).
  const lineage = await runLineage(db, run);
  // `label`: what the UI shows for the model ("demo model (no AI)" for the built-in one).
  const agentUsage = usage.map((u) => ({
    ...u,
    costUsd: Number(u.costUsd),
    label: modelLabel(u.model),
  }));
  return {
    ...rest,
    outcome: runOutcome(run.status, deadLetters.length),
    // The workflow's name (run titles) and whether it still exists ("Open in studio").
    workflowName: workflow?.name ?? null,
    workflowDeleted: workflow ? workflow.deletedAt !== null : true,
    draft: isDraftRun(run),
    attempts,
    events,
    deadLetters,
    agentUsage,
    lineage,
    replayApproval: replayApprovalOf(run),
    reconciliation: reconciliationOf(run.ir.steps.length, reconciled),
  };
}

/**
 * For a replay run, the approved plan's hash and the approval that started it (the run is
 * created under the idempotency key `replay:<approval id>`): the run view says which plan ran
 * and who approved it. Null for any other run.
 */
function replayApprovalOf(run: {
  replay?: { planHash: string } | null;
  idempotencyKey: string | null;
}): { planHash: string; approvalId: string | null } | null {
  if (!run.replay) return null;
  const key = run.idempotencyKey ?? "";
  return {
    planHash: run.replay.planHash,
    approvalId: key.startsWith("replay:") ? key.slice("replay:".length) : null,
  };
}

/**
 * A run's reconciliation against its flow (`reconcile.ts`, checked in the background after the
 * run ends): `pending` until checked, then `clean` (every step accounted for) or `findings`.
 */
function reconciliationOf(
  steps: number,
  row: {
    reconciledAt: Date | null;
    findings: Array<{
      id: string;
      kind: string;
      stepId: string | null;
      detail: unknown;
      createdAt: Date;
    }>;
  } | null,
) {
  const findings = (row?.findings ?? []).map((f) => ({
    id: f.id,
    kind: f.kind,
    stepId: f.stepId,
    detail: f.detail,
    at: f.createdAt.toISOString(),
  }));
  const status: "pending" | "clean" | "findings" = !row?.reconciledAt
    ? "pending"
    : findings.length
      ? "findings"
      : "clean";
  return { status, checkedAt: row?.reconciledAt?.toISOString() ?? null, steps, findings };
}

/** Cancels an unfinished run. */
export async function cancelRun(
  deps: RunDeps,
  actor: Actor,
  input: z.infer<typeof ZCancelRunInput>,
) {
  const result = await deps.transactor.transaction(async (tx) => {
    const run = await ownedRun(tx.runs, actor, input.id);
    if (isTerminalRun(run.status)) {
      throw new AppError("CONFLICT", {
        message: `The run already ${run.status === "cancelled" ? "was cancelled" : `finished (${run.status})`}.`,
      });
    }
    const reason = input.reason || `cancelled by ${actor.label}`;
    const after = await tx.runs.cancelRun(run.id, Date.now(), reason);
    // Its pending approvals are void from now on, not from the next sweep.
    await syncApprovals(tx, { workspaceId: actor.workspaceId, runId: run.id });
    await tx.audit.append(actor, {
      action: "run.cancel",
      subjectType: "run",
      subjectId: run.id,
      payload: { reason },
    });
    return after!;
  });
  if (result.parentRunId && result.parentStepId) {
    await deps.runs.signal(result.parentRunId, {
      id: randomUUID(),
      runId: result.parentRunId,
      stepId: result.parentStepId,
      kind: "child",
      dueAt: Date.now(),
      payload: { runId: result.id, status: "cancelled", output: null, error: result.error },
      createdAt: Date.now(),
    });
    deps.notifier.runDue(result.parentRunId);
  }
  return { id: result.id, status: result.status as RunStatus };
}

const DECIDABLE = new Set(["human.approval", "human.form", "policy.check"]);

/**
 * Approves or rejects a human step that is waiting (approval, form, policy exception): the
 * step's approval (`server/domain/approval/`) decided through the same guard and quorum as the
 * approvals inbox. The engine is signalled once the approval is final.
 */
export async function resumeStep(
  deps: ApprovalDeps,
  actor: Actor,
  input: z.infer<typeof ZResumeStepInput>,
) {
  const decider = await deciderOf(deps.db, actor);
  const after = await deps.transactor.transaction(async (tx) => {
    const run = await ownedRun(tx.runs, actor, input.runId);
    if (isTerminalRun(run.status))
      throw new AppError("CONFLICT", { message: `The run already finished (${run.status}).` });
    const step = run.ir.steps.find((s) => s.id === input.stepId);
    if (!step || !DECIDABLE.has(step.block.id)) {
      throw new AppError("NOT_FOUND", {
        message: `The run has no human step "${input.stepId}".`,
        details: { field: "stepId" },
      });
    }
    const attempts = await tx.runs.listAttempts(run.id);
    const latest = attempts
      .filter((a) => a.stepId === input.stepId)
      .sort((a, b) => b.attempt - a.attempt)[0];
    if (!latest || latest.status !== "waiting") {
      throw new AppError("CONFLICT", {
        message: `Step "${input.stepId}" is not waiting for a decision.`,
        details: { field: "stepId" },
      });
    }
    return decideStep(
      tx,
      deps,
      actor,
      decider,
      { runId: run.id, stepId: input.stepId, attempt: latest.attempt },
      { decision: input.decision, comment: input.comment },
    );
  });
  after.afterCommit?.();
  return { runId: input.runId, stepId: input.stepId, decision: input.decision };
}
