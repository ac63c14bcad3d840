/**
 * The runs behind an eval run's samples and rubric grades: starting them in the suite's sandbox
 * session (a block suite and a grader start a one-step flow around an agent block,
 * `evals-blocks.ts`), trying again while the process or workspace is saturated, waiting for
 * their end, and reading their model usage.
 */
import { randomUUID } from "node:crypto";
import { isTerminalRun } from "@/server/engine/types";
import { validatorFor } from "@/server/engine/runtimes/support";
import { AppError } from "../errors";
import type { Actor, Db } from "../types";
import { compileFlow } from "../workflow/compile-flow";
import { blockFlow } from "./evals-blocks";
import type { EvalDeps } from "./evals-ports";
import { sessionForRun } from "./sessions";

/** Default time one sample's run may take. */
export const DEFAULT_RUN_TIMEOUT_MS = 5 * 60_000;
/** Times a start refused for load (RATE_LIMITED) is tried again, and the wait between. */
const START_RETRIES = 20;
const START_RETRY_MS = 250;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `fn`, trying again while the process or workspace is saturated (RATE_LIMITED). */
export async function withRoom<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof AppError && e.code === "RATE_LIMITED") || i >= START_RETRIES) throw e;
      await sleep(START_RETRY_MS * Math.min(8, i + 1));
    }
  }
}

/** Starts the one-step flow around an agent block in the session; returns the run id. */
export async function startBlockRun(
  deps: EvalDeps,
  actor: Actor,
  sessionId: string,
  block: string,
  inputs: Record<string, unknown>,
  route: string | undefined,
  evalRunId: string,
): Promise<string> {
  const flow = blockFlow(block, inputs, route);
  const compiled = compileFlow(flow.text);
  if (!compiled.ok || !compiled.ir) {
    const first = compiled.diagnostics.find((d) => d.severity === "error");
    throw new AppError("INVALID_INPUT", {
      message: `The row's inputs do not fit ${block}: ${first?.message ?? "the flow does not compile"}.`,
    });
  }
  const ir = compiled.ir;
  const validate = validatorFor(ir.inputsSchema);
  if (!validate(flow.inputs)) {
    const problems = (validate.errors ?? [])
      .slice(0, 3)
      .map((e) => `${e.instancePath || "inputs"} ${e.message ?? "is invalid"}`);
    throw new AppError("INVALID_INPUT", {
      message: `The row's inputs do not fit ${block}: ${problems.join("; ")}.`,
    });
  }
  return deps.admission.gate.run(async () => {
    const sandboxSessionId = await sessionForRun(deps.db, actor, sessionId);
    await deps.admission.assertActiveRunCapacity(deps.runs, actor.workspaceId);
    const run = await deps.transactor.transaction(async (tx) => {
      const { run } = await tx.runs.createRun({
        id: randomUUID(),
        workspaceId: actor.workspaceId,
        workflowId: null,
        version: null,
        ir,
        inputs: flow.inputs,
        startedBy: actor.label,
        startedByUserId: actor.userId,
        sandboxSessionId,
        now: Date.now(),
      });
      await tx.audit.append(actor, {
        action: "run.start",
        subjectType: "run",
        subjectId: run.id,
        payload: { flow: ir.name, irHash: ir.hash, block, evalRunId, sandboxSessionId },
      });
      return run;
    });
    deps.notifier.runDue(run.id);
    return run.id;
  });
}

/** Waits for a run's end (the notifier, checked against the store); null past the timeout. */
export async function waitForEnd(
  deps: Pick<EvalDeps, "notifier" | "runs">,
  runId: string,
  timeoutMs: number,
  /** Aborted (the process stops): the wait ends at once, throwing the signal's reason. */
  signal?: AbortSignal,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const left = deadline - Date.now();
    const wait = deps.notifier.waitForRunEnd(runId, Math.max(1, Math.min(2_000, left)), signal);
    const run = await deps.runs.getRun(runId);
    if (run && isTerminalRun(run.status)) {
      wait.cancel();
      return run;
    }
    if (left <= 0) {
      wait.cancel();
      return null;
    }
    await wait.promise;
  }
}

/** Cost, tokens and the route of a run's model calls (the agent usage table). */
export async function usageOf(db: Db, runId: string) {
  const rows = await db.agentUsage.findMany({
    where: { runId },
    select: { model: true, tokensIn: true, tokensOut: true, costUsd: true },
  });
  const models = [...new Set(rows.map((r) => r.model))].sort();
  return {
    route: models.join("+"),
    costUsd: rows.reduce((t, r) => t + Number(r.costUsd), 0),
    tokensIn: rows.reduce((t, r) => t + r.tokensIn, 0),
    tokensOut: rows.reduce((t, r) => t + r.tokensOut, 0),
  };
}
