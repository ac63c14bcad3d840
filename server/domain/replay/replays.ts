/**
 * Replay use cases: preview a replay's plan (`previewReplay`, viewers), request it
 * (`requestReplay`, editors: a `replay` approval bound to the plan's hash, decided by another
 * person with the approver or admin role), and the approval's effect (`replayApprovalEffect`)
 * that starts the replay run once approved, after checking that the plan still holds: the same
 * request planned again must give the same hash (a new latest version, another source state:
 * the approval is void and nothing runs).
 *
 * A replay run is a new run of the target version linked to its source (`Run.replayOfRunId`,
 * `Run.replayPlanHash`); its reused steps are recorded as succeeded with the source's outputs
 * in the transaction that creates it (`server/engine/replay.ts`), so no worker executes them.
 */
import { randomUUID } from "node:crypto";
import type { FlowIR } from "@/dsl";
import { reuseCheckpoint } from "@/server/engine/replay";
import { isDraftRun } from "@/server/engine/run-kind";
import { isTerminalRun, type RunRecord } from "@/server/engine/types";
import { requestApproval } from "../approval/approvals";
import type { ApprovalEffect } from "../approval/ports";
import type { ApprovalRecord } from "../approval/types";
import { AppError, notFound } from "../errors";
import type { RunDeps, TxScope, WorkflowVersionReader } from "../run/ports";
import type { Actor, Db } from "../types";
import { compileFlowCached, serverRegistry } from "../workflow/compile-flow";
import { planReplay, plannedKeys, reusedSteps, type ReplayPlan } from "./plan";
import type { ReplayInput } from "./schemas";

/** What the replay use cases need. */
export type ReplayDeps = Pick<RunDeps, "db" | "runs" | "transactor" | "notifier">;

/** The replay's request as stored with its approval: planned again before the run starts. */
export type ReplayRequest = Omit<ReplayInput, "runId">;

/** The run the replay starts from: one of the workspace's finished version runs. */
export async function sourceRun(
  runs: RunDeps["runs"],
  workspaceId: string,
  runId: string,
): Promise<RunRecord> {
  const run = await runs.getRun(runId);
  if (!run || run.workspaceId !== workspaceId) throw notFound("Run");
  if (isDraftRun(run))
    throw new AppError("PRECONDITION_FAILED", {
      message:
        "A draft run cannot be replayed: draft runs are experiments. Save a version and run it.",
    });
  if (!isTerminalRun(run.status))
    throw new AppError("CONFLICT", {
      message: `The run is still ${run.status}: only a finished run can be replayed.`,
    });
  return run;
}

/** {@link WorkflowVersionReader} outside a transaction, on the Prisma client. */
function prismaVersions(db: Db): WorkflowVersionReader {
  return {
    find: (workspaceId, workflowId, version) =>
      db.workflowVersion.findFirst({
        where: {
          workflowId,
          workflow: { workspaceId, deletedAt: null },
          ...(version === "latest" ? {} : { version }),
        },
        orderBy: { createdAt: "desc" },
        select: { id: true, version: true, dsl: true },
      }),
  };
}

/** The flow version a replay runs: the run's own IR, the latest saved version, or a named one. */
async function targetOf(
  versions: WorkflowVersionReader,
  run: RunRecord,
  selector: string,
): Promise<{ version: string | null; ir: FlowIR }> {
  if (selector === "run" || selector === run.version) return { version: run.version, ir: run.ir };
  const v = run.workflowId ? await versions.find(run.workspaceId, run.workflowId, selector) : null;
  if (!v)
    throw new AppError("NOT_FOUND", {
      message:
        selector === "latest"
          ? "The workflow has no saved version (or was deleted)."
          : `Version ${selector} of this workflow was not found.`,
      details: { field: "version" },
    });
  // A version's text is immutable: its id names the compile.
  const compiled = compileFlowCached(`version:${v.id}`, v.dsl);
  if (!compiled.ir)
    throw new AppError("PRECONDITION_FAILED", {
      message: `Version ${v.version} does not compile: ${compiled.problems.join("; ")}.`,
      details: { field: "version" },
    });
  return { version: v.version, ir: compiled.ir };
}

/** The output schema of a target step: its block's, as the server's registry defines it. */
function outputSchemaOf(step: FlowIR["steps"][number]) {
  return serverRegistry().get(step.block.id, step.block.major)?.outputSchema;
}

/**
 * Plans `request` on `run` (read through `runs`): what preview, request and effect share, and
 * the dead letters' reprocess jobs (`server/domain/deadletter/`).
 */
export async function plan(
  versions: WorkflowVersionReader,
  runs: RunDeps["runs"],
  run: RunRecord,
  request: ReplayRequest,
): Promise<{ plan: ReplayPlan; target: { version: string | null; ir: FlowIR } }> {
  const target = await targetOf(versions, run, request.version);
  const attempts = await runs.listAttempts(run.id);
  return {
    target,
    plan: planReplay(
      run,
      attempts,
      { ...target, outputSchemaOf },
      {
        mode: request.mode,
        ...(request.fromStep !== undefined ? { fromStep: request.fromStep } : {}),
        inputsPatch: request.inputsPatch,
        redo: request.redo,
      },
    ),
  };
}

const requestOf = (input: ReplayInput): ReplayRequest => {
  const { runId: _r, ...request } = input;
  return request;
};

/** The plan of a replay, without any side effect. */
export async function previewReplay(
  deps: Pick<ReplayDeps, "db" | "runs">,
  actor: Actor,
  input: ReplayInput,
): Promise<ReplayPlan> {
  const run = await sourceRun(deps.runs, actor.workspaceId, input.runId);
  return (await plan(prismaVersions(deps.db), deps.runs, run, requestOf(input))).plan;
}

/**
 * Asks for a replay: plans it and creates the `replay` approval bound to the plan's hash (the
 * requester never approves it; an approver or admin does), with a ledger entry.
 */
export async function requestReplay(deps: ReplayDeps, actor: Actor, input: ReplayInput) {
  const run = await sourceRun(deps.runs, actor.workspaceId, input.runId);
  const request = requestOf(input);
  const { plan: p } = await plan(prismaVersions(deps.db), deps.runs, run, request);
  const approval = await deps.transactor.transaction(async (tx) => {
    const approval = await requestApproval(tx, {
      workspaceId: actor.workspaceId,
      kind: "replay",
      runId: run.id,
      workflowId: run.workflowId,
      requester: { userId: actor.userId, label: actor.label },
      approvers: { role: "approver" },
      minApprovals: 1,
      subject: {
        message: replayMessage(p),
        flow: run.ir.name,
        inputs: p.inputs,
        plan: p,
        request,
      },
      planHash: p.hash,
    });
    await tx.audit.append(actor, {
      action: "run.replay.request",
      subjectType: "run",
      subjectId: run.id,
      payload: {
        approvalId: approval.id,
        planHash: p.hash,
        mode: p.mode,
        fromStep: p.fromStep,
        version: p.version,
        inputsPatch: p.inputsPatch,
        redo: p.redo,
      },
    });
    return approval;
  });
  return { plan: p, approval: { id: approval.id, status: approval.status, planHash: p.hash } };
}

function replayMessage(p: ReplayPlan): string {
  const how =
    p.mode === "resume"
      ? "resume from the failed step"
      : p.mode === "from-step"
        ? `restart from step ${p.fromStep}`
        : "rerun in full";
  const counts = (a: string) => p.steps.filter((s) => s.action === a).length;
  const redo = p.steps.filter((s) => s.redoesSideEffect).map((s) => s.id);
  return (
    `Replay run ${p.sourceRunId} (${how}) on version ${p.version ?? "draft"}: ` +
    `${counts("reuse")} step(s) reused, ${counts("execute")} executed, ${counts("skip")} skipped` +
    (redo.length ? `; writes done again: ${redo.join(", ")}` : "") +
    (p.inputsPatch.length ? `; inputs edited (${p.inputsPatch.length} operation(s))` : "") +
    "."
  );
}

/**
 * The `replay` effect of approvals: an approved replay starts its run in the transaction that
 * records the approval, once the same request planned again still gives the approved hash;
 * otherwise (a new latest version, a version or run that changed) the approval is voided, with
 * a ledger entry, and nothing runs. A rejection starts nothing.
 */
export function replayApprovalEffect(deps: Pick<ReplayDeps, "notifier">): ApprovalEffect {
  return async (tx, approval, outcome) => {
    if (outcome.decision !== "approved") return;
    const started = await startApprovedReplay(tx, approval, outcome.at);
    if (!started.runId) return;
    const runId = started.runId;
    return { afterCommit: () => deps.notifier.runDue(runId) };
  };
}

/**
 * Starts the replay run of an approved `approval` in `tx`: its id, or null with the reason when
 * the plan no longer holds (the approval is then voided).
 */
export async function startApprovedReplay(
  tx: TxScope,
  approval: ApprovalRecord,
  now: number,
): Promise<{ runId: string | null; void?: string }> {
  const subject = approval.subject as { request?: ReplayRequest };
  if (!approval.runId || !subject.request || !approval.planHash)
    throw new Error(`approval ${approval.id} is not a replay request`);
  const requester = {
    workspaceId: approval.workspaceId,
    label: approval.requesterLabel ?? "replay",
    userId: approval.requesterId,
  };
  let planned: Awaited<ReturnType<typeof plan>> | null = null;
  let why: string;
  try {
    const run = await sourceRun(tx.runs, approval.workspaceId, approval.runId);
    // Read in the transaction (PGlite has one connection).
    planned = await plan(tx.versions, tx.runs, run, subject.request);
    why =
      planned.plan.hash === approval.planHash
        ? ""
        : "the plan changed since it was requested (the version, the inputs or the run's steps)";
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    why = e.message;
  }
  if (why || !planned) {
    await tx.approvals.setStatus(approval.id, "voided", now);
    await tx.audit.append(requester, {
      action: "run.replay.void",
      subjectType: "approval",
      subjectId: approval.id,
      payload: { runId: approval.runId, planHash: approval.planHash, reason: why },
    });
    return { runId: null, void: why };
  }
  const { runId } = await startReplayRun(tx, {
    workspaceId: approval.workspaceId,
    workflowId: approval.workflowId,
    sourceRunId: approval.runId,
    planned,
    // One run per approval, however often the effect runs.
    idempotencyKey: `replay:${approval.id}`,
    requester,
    ledger: { approvalId: approval.id },
    now,
  });
  return { runId };
}

/**
 * Starts a replay run of `sourceRunId` as `planned` in `tx` (an approved replay, an item of a
 * reprocess job): the run linked to its source, its reused steps recorded as succeeded with the
 * run, before any worker can claim it, and `run.replay.start` in the ledger (with `ledger`'s
 * fields). `idempotencyKey` makes it one run however often this is called: `created` is false
 * when the run existed, and nothing else is written then.
 */
export async function startReplayRun(
  tx: TxScope,
  s: {
    workspaceId: string;
    workflowId: string | null;
    sourceRunId: string;
    planned: Awaited<ReturnType<typeof plan>>;
    idempotencyKey: string;
    requester: { workspaceId: string; label: string; userId: string | null };
    ledger: Record<string, unknown>;
    now: number;
  },
): Promise<{ runId: string; created: boolean }> {
  const { plan: p, target } = s.planned;
  const source = s.sourceRunId;
  const reuse = reusedSteps(p, await tx.runs.listAttempts(source));
  const { run: replay, created } = await tx.runs.createRun({
    id: randomUUID(),
    workspaceId: s.workspaceId,
    workflowId: s.workflowId,
    version: target.version,
    ir: target.ir,
    inputs: p.inputs,
    idempotencyKey: s.idempotencyKey,
    startedBy: s.requester.label,
    startedByUserId: s.requester.userId,
    replay: { ofRunId: source, planHash: p.hash, keys: plannedKeys(p) },
    now: s.now,
  });
  if (!created) return { runId: replay.id, created };
  // The reused steps are recorded with the run, before any worker can claim it.
  if (reuse.length) await tx.runs.commit(replay.id, null, reuseCheckpoint(replay.id, reuse, s.now));
  await tx.audit.append(s.requester, {
    action: "run.replay.start",
    subjectType: "run",
    subjectId: replay.id,
    payload: {
      replayOf: source,
      ...s.ledger,
      planHash: p.hash,
      version: target.version,
      reused: reuse.map((r) => r.stepId),
    },
  });
  return { runId: replay.id, created };
}
