/**
 * Proof before review (issue 18, item 4): a fix proposal is run on the group's recorded failing
 * inputs and on a regression set of the flow's recent successful runs, each in a fresh sandbox
 * session (`sandbox.fromRun`'s copy, closed once its run ended):
 *
 * - connectors answer from the source run's recorded answers, the Nth identical call with the
 *   Nth answer, so the fault that failed it (the recorded 429s, 5xx, timeouts) is replayed; past
 *   the last recorded answer, and for a request the fix changed that no recording answers, the
 *   call goes to the session's stateful mocks (the service has recovered);
 * - agent steps answer from the run's recorded model answers (a scripted model), else the demo
 *   model; nothing leaves the process (the sandbox routing, `server/wiring/sandbox-runtimes.ts`).
 *
 * A failing input counts as fixed when the failing step succeeds and its output validates
 * against its block's output schema; a successful run regresses when its proof run does not
 * succeed. The proof (fixed n/m, regressions, per-run and per-step detail, session ids) is
 * stored in `GuardianProposal.proof`. A passing proof ({@link PASS_RULE}) makes the proposal
 * `proven` and puts it before a second person (an approval of kind `fix`, `review.ts`).
 */
import { COUNTED_RUNS_WHERE } from "@/server/engine/run-kind";
import { compileFlow } from "../workflow/compile-flow";
import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import type { RunDeps } from "../run/ports";
import { ZStartRunInput } from "../run/schemas";
import { startRun } from "../run/runs";
import { waitForEnd, withRoom } from "../sandbox/evals-sample-run";
import { connectorAnswersOf, sessionFromRun } from "../sandbox/from-run";
import type { SandboxDeps } from "../sandbox/ports";
import { sessionAnswers } from "../sandbox/scripted-models";
import { closeSession } from "../sandbox/sessions";
import type { Actor, Db } from "../types";
import {
  failingOutcome,
  failingStepOf,
  PASS_RULE,
  PROOF_FAILING_RUNS,
  proofSteps,
  uncovered,
  verdict,
  type Proof,
  type ProofRun,
} from "./proof-evaluate";
import { requestFixApproval } from "./review";
import { guardianActor, requireStatus, voidIfStale, workspaceProposal } from "./review-state";

/** Recent successful runs of the flow a proof runs (the regression set). */
export const PROOF_REGRESSION_RUNS = 5;
/** How long one proof run may take before it counts as not finished. */
export const PROOF_RUN_TIMEOUT_MS = 3 * 60_000;
/** A proof's sessions live this long at most (each is closed when its run ended). */
const PROOF_SESSION_TTL_MS = 60 * 60_000;

/** What a proof needs: starting runs, waiting for their ends, sandbox sessions. */
export type ProofDeps = RunDeps & { sandbox: SandboxDeps };

/**
 * The recorded failing runs a proof replays: the group's newest failed runs of the version the
 * fix patches (a group may span versions), at most {@link PROOF_FAILING_RUNS}.
 */
export async function failingSources(
  db: Db,
  p: { groupId: string; baseIrHash: string },
): Promise<string[]> {
  const members = await db.guardianMember.findMany({
    where: { groupId: p.groupId, recovered: false, irHash: p.baseIrHash },
    orderBy: { seenAt: "desc" },
    select: { runId: true },
    take: 500,
  });
  return [...new Set(members.map((m) => m.runId))].slice(0, PROOF_FAILING_RUNS);
}

/** The runs a proof replays: the group's failed runs and the flow's recent successful ones. */
async function proofSources(
  db: Db,
  p: { groupId: string; workflowId: string; baseIrHash: string },
) {
  const failing = await failingSources(db, p);
  const succeeded = await db.run.findMany({
    where: {
      AND: [
        COUNTED_RUNS_WHERE,
        { workflowId: p.workflowId, status: "succeeded", sandboxSessionId: null },
      ],
    },
    orderBy: { createdAt: "desc" },
    select: { id: true },
    take: PROOF_REGRESSION_RUNS,
  });
  return { failing, regression: succeeded.map((r) => r.id) };
}

/** Runs the proposal's text on one source run in a fresh session; the run's result. */
async function proveOn(
  deps: ProofDeps,
  actor: Actor,
  p: { id: string; workflowId: string; text: string; stepId: string },
  source: { kind: ProofRun["kind"]; runId: string },
  ir: NonNullable<ReturnType<typeof compileFlow>["ir"]>,
  signal?: AbortSignal,
): Promise<ProofRun> {
  const base: ProofRun = {
    kind: source.kind,
    sourceRunId: source.runId,
    proofRunId: null,
    sessionId: null,
    runStatus: null,
    outcome: "error",
    failingStep: null,
    steps: [],
    note: null,
  };
  let sessionId: string | null = null;
  try {
    const copy = await sessionFromRun(
      deps.db,
      deps.sandbox,
      actor,
      { runId: source.runId },
      {
        name: `Guardian proof ${p.id.slice(0, 8)} on run ${source.runId.slice(0, 8)}`,
        sharedWith: "workspace",
        ttlMs: PROOF_SESSION_TTL_MS,
        pastLast: "mock",
      },
    );
    sessionId = copy.sessionId;
    base.sessionId = sessionId;
    const input = ZStartRunInput.parse({
      workflowId: p.workflowId,
      dsl: p.text,
      inputs: copy.inputs,
      sandboxSessionId: sessionId,
    });
    const started = await withRoom(() => startRun(deps, actor, input));
    base.proofRunId = started.id;
    const ended = await waitForEnd(deps, started.id, PROOF_RUN_TIMEOUT_MS, signal);
    const attempts = await deps.runs.listAttempts(started.id);
    const held = await sessionAnswers(deps.db, actor.workspaceId, sessionId);
    base.runStatus = ended?.status ?? "running";
    base.steps = proofSteps(
      ir,
      attempts,
      connectorAnswersOf(held?.connectorAnswers),
      !!held?.scriptedModelId,
    );
    if (!ended) {
      base.note = `The run did not finish within ${PROOF_RUN_TIMEOUT_MS / 60_000} minutes.`;
      return base;
    }
    if (source.kind === "failing") {
      base.failingStep = failingStepOf(ir, p.stepId, attempts);
      base.outcome = failingOutcome(base.failingStep);
    } else {
      base.outcome = ended.status === "succeeded" ? "passed" : "regressed";
      if (ended.status !== "succeeded") base.note = ended.error?.message?.slice(0, 500) ?? null;
    }
    return base;
  } catch (e) {
    // The process stops: the proof is not over (the caller puts it back in the queue).
    if (signal?.aborted) throw e;
    base.note = e instanceof Error ? e.message.slice(0, 500) : String(e).slice(0, 500);
    // The patch's stricter input schema refuses the recorded failing input at the start.
    if (
      source.kind === "failing" &&
      base.proofRunId === null &&
      e instanceof AppError &&
      e.code === "INVALID_INPUT" &&
      e.details?.field === "inputs"
    )
      base.outcome = "refused";
    return base;
  } finally {
    if (sessionId) {
      await closeSession(deps.db, deps.sandbox, actor, { id: sessionId }).catch(() => undefined);
    }
  }
}

/**
 * Proves a proposal the caller has already claimed (status `proving`): runs it, stores the proof
 * and moves it to `proven` (and requests its approval) or `unproven`. Voids it instead when a
 * newer version of the flow was saved. Returns the stored proof (null when voided). When `signal`
 * aborts (the process stops) it throws the signal's reason and stores nothing: the proof is run
 * again from its start.
 */
export async function runProof(
  deps: ProofDeps,
  actor: Actor,
  proposalId: string,
  signal?: AbortSignal,
): Promise<Proof | null> {
  const { db } = deps;
  const p = await workspaceProposal(db, actor, proposalId);
  if (await voidIfStale(db, p)) return null;
  const group = await db.guardianGroup.findUniqueOrThrow({
    where: { id: p.groupId },
    select: { stepId: true },
  });
  const startedAt = new Date();
  const compiled = compileFlow(p.text);
  const runs: ProofRun[] = [];
  let note: string | null = null;
  if (!compiled.ok || !compiled.ir) {
    note = "The patched flow does not compile.";
  } else {
    const sources = await proofSources(db, p);
    const fix = { id: p.id, workflowId: p.workflowId, text: p.text, stepId: group.stepId };
    for (const runId of sources.failing) {
      signal?.throwIfAborted();
      runs.push(await proveOn(deps, actor, fix, { kind: "failing", runId }, compiled.ir, signal));
    }
    for (const runId of sources.regression) {
      signal?.throwIfAborted();
      runs.push(
        await proveOn(deps, actor, fix, { kind: "regression", runId }, compiled.ir, signal),
      );
    }
    // Failures of the group recorded while the proof ran are proved too, so the proof stored
    // covers every failure recorded by then (up to PROOF_FAILING_RUNS; one run more at least per
    // round, so the rounds are bounded). A failure recorded after it is stored makes the guardian
    // prove again (`reprove.ts`).
    for (let more = uncovered({ runs }, await failingSources(db, p)); more.length;) {
      for (const runId of more) {
        signal?.throwIfAborted();
        runs.push(await proveOn(deps, actor, fix, { kind: "failing", runId }, compiled.ir, signal));
      }
      more = uncovered({ runs }, await failingSources(db, p));
    }
    if (!runs.some((r) => r.kind === "failing"))
      note = "The group holds no failed run to prove the fix on.";
  }
  signal?.throwIfAborted();
  const v = verdict(runs);
  const errored = runs.length > 0 && runs.every((r) => r.outcome === "error");
  const proof: Proof = {
    ...v,
    status: note || errored ? "error" : v.status,
    runs,
    sessionIds: runs.flatMap((r) => (r.sessionId ? [r.sessionId] : [])),
    by: actor.label,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    passRule: PASS_RULE,
    note: note ?? (errored ? (runs[0]?.note ?? null) : null),
  };
  // A version saved while the proof ran voids it too.
  const fresh = await workspaceProposal(db, actor, proposalId);
  if (await voidIfStale(db, fresh)) return null;
  const status = proof.status === "passed" ? "proven" : "unproven";
  await db.$transaction(async (tx) => {
    const done = await tx.guardianProposal.updateMany({
      where: { id: p.id, status: "proving" },
      data: { status, proof: proof as object, updatedAt: new Date() },
    });
    if (!done.count) return;
    await appendAudit(tx, actor, {
      action: "guardian.proposal.prove",
      subjectType: "guardian_proposal",
      subjectId: p.id,
      payload: {
        groupId: p.groupId,
        status: proof.status,
        fixed: proof.fixed,
        of: proof.of,
        regressions: proof.regressions,
        regressionOf: proof.regressionOf,
        sessions: proof.sessionIds.length,
      },
    });
  });
  if (status === "proven") await requestFixApproval(deps, p.id);
  return proof;
}

/**
 * Claims a proposal for a proof (`proposed`, or on demand `unproven`, → `proving`); false when
 * another proof has it or its state does not allow one.
 */
export async function claimProof(
  db: Db,
  proposalId: string,
  from: readonly string[] = ["proposed"],
): Promise<boolean> {
  const done = await db.guardianProposal.updateMany({
    where: { id: proposalId, status: { in: [...from] } },
    data: { status: "proving", updatedAt: new Date() },
  });
  return done.count === 1;
}

/**
 * Claims a proposal for a proof on demand (editors): one not proven yet, or whose proof failed.
 * Throws a clear error otherwise (void, already proving, proven, decided).
 */
export async function claimProofNow(db: Db, actor: Actor, proposalId: string): Promise<void> {
  const p = await workspaceProposal(db, actor, proposalId);
  requireStatus(p, ["proposed", "unproven"], "proved again");
  if (!(await claimProof(db, p.id, ["proposed", "unproven"])))
    throw new AppError("CONFLICT", { message: "A proof of this proposal is already running." });
}

/**
 * Proves a proposal on demand as `actor` (claimed first unless `claimed`): returns the proof
 * (null: the proposal was void). A proof that throws leaves the proposal `unproven`.
 */
export async function proveProposal(
  deps: ProofDeps,
  actor: Actor,
  proposalId: string,
  opts: { claimed?: boolean } = {},
): Promise<Proof | null> {
  if (!opts.claimed) await claimProofNow(deps.db, actor, proposalId);
  try {
    return await runProof(deps, actor, proposalId);
  } catch (e) {
    await deps.db.guardianProposal.updateMany({
      where: { id: proposalId, status: "proving" },
      data: { status: "unproven" },
    });
    throw e;
  }
}

export { guardianActor };
