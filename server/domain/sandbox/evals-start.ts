/**
 * Starting an eval run of a suite (issue 16, item 8): the checks before anything runs, the
 * eval run's row and ledger entry, then the runner (`evals-runner.ts`) in this process.
 */
import { randomUUID } from "node:crypto";
import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import type { Actor } from "../types";
import type { EvalPlan } from "./evals-plan";
import type { EvalDeps } from "./evals-ports";
import {
  evalRunView,
  sessionNames,
  suiteView,
  variantLabel,
  type EvalRunView,
} from "./evals-records";
import { executeEvalRun } from "./evals-runner";
import { MAX_ACTIVE_EVAL_RUNS, ZStartEvalRunInput, type StartEvalRunInput } from "./evals-schemas";
import { requireEditor, rowsOf, suiteOf } from "./evals-suites";
import { resumeInterruptedEvalRuns } from "./evals-sweep";
import { needsOptIn, sessionModelRoutes } from "./model-routes";
import { sessionForRun } from "./sessions";

/**
 * Starts an eval run of a suite in a sandbox session (editor): checks the suite, the session,
 * the dataset version (its hash must still be the suite's) and the variant, records the eval
 * run and its ledger entry, then runs it in this process (see `evals-runner.ts`). Returns at
 * once; progress shows in `getEvalRun` (`evals-results.ts`).
 */
export async function startEvalRun(
  deps: EvalDeps,
  actor: Actor,
  raw: StartEvalRunInput,
): Promise<EvalRunView> {
  requireEditor(actor);
  const input = ZStartEvalRunInput.parse(raw);
  const { db } = deps;
  const suite = suiteView(await suiteOf(db, actor, input.suiteId));
  if (suite.archivedAt) {
    throw new AppError("PRECONDITION_FAILED", { message: "This suite is archived." });
  }
  const variant = input.variant;
  if (suite.target.kind === "block" && (variant.version || variant.draft)) {
    throw new AppError("INVALID_INPUT", {
      message: "A suite of one agent block compares model routes, not flow versions.",
      details: { field: "variant" },
    });
  }
  if (suite.target.kind === "flow" && variant.route) {
    throw new AppError("INVALID_INPUT", {
      message:
        "A flow suite compares flow versions: its steps' own model settings choose the route.",
      details: { field: "variant" },
    });
  }
  if (suite.target.kind === "flow" && variant.version) {
    const v = await db.workflowVersion.findFirst({
      where: { workflowId: suite.target.workflowId, version: variant.version },
      select: { id: true },
    });
    if (!v) {
      throw new AppError("NOT_FOUND", {
        message: `Version ${variant.version} of this workflow was not found.`,
        details: { field: "variant" },
      });
    }
  }
  const sessionId = await sessionForRun(db, actor, input.sessionId, deps.now?.() ?? Date.now());
  const optedIn = await sessionModelRoutes(db, actor.workspaceId, sessionId);
  if (suite.target.kind === "block" && needsOptIn(variant.route, optedIn)) {
    throw new AppError("PRECONDITION_FAILED", {
      message: `The session is not opted in to the model route ${JSON.stringify(variant.route)}: a workspace admin can let it reach real models (Sandbox → Sessions → Real model routes). Without that, its agent steps answer from the demo model.`,
      details: { field: "variant" },
    });
  }
  const dataset = await deps.datasets(db, actor.workspaceId, suite.datasetVersionId);
  if (!dataset) {
    throw new AppError("PRECONDITION_FAILED", {
      message: "The suite's dataset version no longer exists.",
    });
  }
  if (dataset.hash !== suite.datasetHash) {
    throw new AppError("PRECONDITION_FAILED", {
      message: `The suite's dataset version changed (hash ${dataset.hash.slice(0, 12)}, the suite was made on ${suite.datasetHash.slice(0, 12)}): create the suite again.`,
    });
  }
  const rows = rowsOf(dataset.rows);
  // Runs a stopped server left behind continue (or fail) before the count of running ones.
  await resumeInterruptedEvalRuns(deps);
  const now = new Date(deps.now?.() ?? Date.now());
  const label = variantLabel(suite.target, variant);
  const created = await db.$transaction(async (tx) => {
    const running = await tx.evalRun.count({
      where: { workspaceId: actor.workspaceId, status: "running" },
    });
    if (running >= MAX_ACTIVE_EVAL_RUNS) {
      throw new AppError("RATE_LIMITED", {
        message: `A workspace runs at most ${MAX_ACTIVE_EVAL_RUNS} suites at once: wait for one to end.`,
      });
    }
    const r = await tx.evalRun.create({
      data: {
        id: randomUUID(),
        suiteId: suite.id,
        workspaceId: actor.workspaceId,
        sessionId,
        variant: variant as object,
        label,
        datasetHash: dataset.hash,
        status: "running",
        total: rows.length * suite.repetitions,
        startedBy: actor.userId,
        heartbeatAt: now,
        createdAt: now,
      },
    });
    await appendAudit(tx, actor, {
      action: "eval.run",
      subjectType: "eval_suite",
      subjectId: suite.id,
      payload: {
        evalRunId: r.id,
        sandboxSessionId: sessionId,
        variant,
        datasetHash: dataset.hash,
        samples: r.total,
      },
    });
    return r;
  });
  const plan: EvalPlan = {
    evalRunId: created.id,
    workspaceId: actor.workspaceId,
    sessionId,
    target: suite.target,
    inputMap: suite.inputMap,
    assertions: suite.assertions,
    repetitions: suite.repetitions,
    variant,
    rows,
  };
  void executeEvalRun(deps, actor, plan);
  return evalRunView(created, await sessionNames(db, [sessionId]));
}
