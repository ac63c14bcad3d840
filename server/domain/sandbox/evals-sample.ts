/**
 * One sample of an eval run (a dataset row × one repetition): its run in the suite's sandbox
 * session (a flow suite starts the workflow through the run domain's `startRun`; a block suite
 * starts a one-step flow around its agent block, `evals-sample-run.ts`), then its checks, model
 * route, cost (the agent usage table) and latency (the step attempts, or the run), stored with
 * the eval run's progress and heartbeat as it ends.
 */
import { randomUUID } from "node:crypto";
import type { RunRecord } from "@/server/engine/types";
import { AppError } from "../errors";
import { startRun } from "../run/runs";
import type { Actor } from "../types";
import { allPass, checkAssertion, type CheckResult } from "./evals-assertions";
import { EVAL_STEP_ID } from "./evals-blocks";
import { inputsOf, type EvalPlan } from "./evals-plan";
import type { EvalDeps } from "./evals-ports";
import { gradeRubric } from "./evals-rubric";
import {
  DEFAULT_RUN_TIMEOUT_MS,
  startBlockRun,
  usageOf,
  waitForEnd,
  withRoom,
} from "./evals-sample-run";
import type { EvalTarget } from "./evals-schemas";

/** Characters of a stored sample output (bigger ones are stored as a note). */
const MAX_STORED_OUTPUT_CHARS = 64 * 1024;

/** The output a suite checks, and the sample's latency (the target step's attempts, or the run). */
async function outputAndLatency(deps: EvalDeps, run: RunRecord, target: EvalTarget) {
  const runMs = run.finishedAt !== null ? run.finishedAt - (run.startedAt ?? run.createdAt) : 0;
  if (target.kind === "flow") return { output: run.output, latencyMs: Math.max(0, runMs) };
  const attempts = (await deps.runs.listAttempts(run.id)).filter((a) => a.stepId === EVAL_STEP_ID);
  const last = attempts.reduce<(typeof attempts)[number] | undefined>(
    (a, b) => (!a || b.attempt > a.attempt ? b : a),
    undefined,
  );
  const stepMs = attempts.reduce((t, a) => t + (a.durationMs ?? 0), 0);
  return { output: last?.output ?? null, latencyMs: attempts.length ? stepMs : Math.max(0, runMs) };
}

/** A stored output: the value, or a note when it is too large to keep. */
function storable(output: unknown): unknown {
  try {
    const text = JSON.stringify(output ?? null);
    return text.length <= MAX_STORED_OUTPUT_CHARS
      ? (output ?? null)
      : { note: `output of ${text.length} characters not kept` };
  } catch {
    return { note: "output not serialisable" };
  }
}

/** Whether an error of a start ends the whole eval run (the session or the flow is gone). */
function isFatal(e: unknown): boolean {
  return (
    e instanceof AppError &&
    (e.code === "PRECONDITION_FAILED" || e.code === "NOT_FOUND" || e.code === "FORBIDDEN")
  );
}

/** A start error that ends the whole eval run (see {@link isFatal}). */
export class FatalStart extends Error {}

/** Runs one sample and stores its result. */
export async function runSample(
  deps: EvalDeps,
  actor: Actor,
  plan: EvalPlan,
  rowIndex: number,
  repetition: number,
): Promise<void> {
  const row = plan.rows[rowIndex]!;
  const inputs = inputsOf(row, plan.inputMap);
  const record = async (r: {
    runId: string | null;
    runStatus: string;
    checks: CheckResult[];
    route: string;
    costUsd: number;
    tokensIn: number;
    tokensOut: number;
    latencyMs: number;
    output: unknown;
    error: string | null;
  }) => {
    const now = new Date(deps.now?.() ?? Date.now());
    await deps.db.$transaction([
      deps.db.evalResult.upsert({
        where: {
          evalRunId_rowIndex_repetition: { evalRunId: plan.evalRunId, rowIndex, repetition },
        },
        update: {},
        create: {
          id: randomUUID(),
          evalRunId: plan.evalRunId,
          rowIndex,
          repetition,
          runId: r.runId,
          runStatus: r.runStatus,
          passed: allPass(r.checks),
          checks: r.checks as object[],
          route: r.route,
          costUsd: r.costUsd,
          tokensIn: r.tokensIn,
          tokensOut: r.tokensOut,
          latencyMs: Math.round(r.latencyMs),
          output: storable(r.output) as object,
          error: r.error,
        },
      }),
      deps.db.evalRun.update({
        where: { id: plan.evalRunId },
        data: { done: { increment: 1 }, heartbeatAt: now },
      }),
    ]);
  };
  const failedChecks = (message: string): CheckResult[] =>
    plan.assertions.map((a) => ({ kind: a.kind, path: a.path ?? "", pass: false, message }));

  let runId: string;
  try {
    runId = await withRoom(() =>
      plan.target.kind === "flow"
        ? startRun(deps, actor, {
            workflowId: plan.target.workflowId,
            ...(plan.variant.version ? { version: plan.variant.version } : {}),
            draft: plan.variant.draft ?? false,
            inputs,
            sandboxSessionId: plan.sessionId,
          }).then((r) => r.id)
        : startBlockRun(
            deps,
            actor,
            plan.sessionId,
            plan.target.block,
            { ...plan.target.with, ...inputs },
            plan.variant.route,
            plan.evalRunId,
          ),
    );
  } catch (e) {
    if (isFatal(e)) throw new FatalStart((e as Error).message);
    const message = `the run could not start: ${(e as Error).message}`;
    await record({
      runId: null,
      runStatus: "not_started",
      checks: failedChecks(message),
      route: "",
      costUsd: 0,
      tokensIn: 0,
      tokensOut: 0,
      latencyMs: 0,
      output: null,
      error: message,
    });
    return;
  }
  const run = await waitForEnd(deps, runId, deps.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS);
  const usage = await usageOf(deps.db, runId);
  if (!run || run.status !== "succeeded") {
    const message = run
      ? `the run ended ${run.status}: ${run.error?.message ?? "no error recorded"}`
      : `the run did not finish within ${Math.round((deps.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS) / 1000)} s`;
    const latency = run ? await outputAndLatency(deps, run, plan.target) : { latencyMs: 0 };
    await record({
      runId,
      runStatus: run?.status ?? "timed_out",
      checks: failedChecks(message),
      ...usage,
      latencyMs: latency.latencyMs,
      output: null,
      error: message,
    });
    return;
  }
  const { output, latencyMs } = await outputAndLatency(deps, run, plan.target);
  const checks: CheckResult[] = [];
  for (const a of plan.assertions) {
    checks.push(
      a.kind === "rubric"
        ? await gradeRubric(deps, actor, plan, a, output)
        : checkAssertion(a, output, row),
    );
  }
  await record({
    runId,
    runStatus: run.status,
    checks,
    ...usage,
    latencyMs,
    output,
    error: null,
  });
}
