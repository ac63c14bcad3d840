/**
 * The model-graded rubric check of an evaluation suite: a grading run of agent.classify in the
 * suite's sandbox session labels the output pass or fail (the other checks are pure,
 * `evals-assertions.ts`).
 */
import type { Actor } from "../types";
import { rubricText, type CheckResult } from "./evals-assertions";
import type { EvalPlan } from "./evals-plan";
import type { EvalDeps } from "./evals-ports";
import {
  DEFAULT_RUN_TIMEOUT_MS,
  startBlockRun,
  usageOf,
  waitForEnd,
  withRoom,
} from "./evals-sample-run";
import type { Assertion } from "./evals-schemas";

/** The labels a rubric grading run chooses from. */
export const RUBRIC_LABELS = ["pass", "fail"] as const;
const RUBRIC_INSTRUCTIONS =
  "You grade an answer against a rubric. Choose pass only when the answer meets every point of the rubric; otherwise fail.";

/** Grades `output` against a rubric with a grading run of agent.classify in the session. */
export async function gradeRubric(
  deps: EvalDeps,
  actor: Actor,
  plan: EvalPlan,
  a: Extract<Assertion, { kind: "rubric" }>,
  output: unknown,
): Promise<CheckResult> {
  const path = a.path ?? "";
  const fail = (message: string): CheckResult => ({ kind: "rubric", path, pass: false, message });
  let runId: string;
  try {
    runId = await withRoom(() =>
      startBlockRun(
        deps,
        actor,
        plan.sessionId,
        "agent.classify",
        {
          text: rubricText(a.rubric, output, path),
          labels: [...RUBRIC_LABELS],
          instructions: RUBRIC_INSTRUCTIONS,
        },
        undefined,
        plan.evalRunId,
      ),
    );
  } catch (e) {
    return fail(`the grading run could not start: ${(e as Error).message}`);
  }
  const run = await waitForEnd(deps, runId, deps.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS);
  if (!run) return fail("the grading run did not finish in time");
  if (run.status !== "succeeded") {
    return fail(`the grading run ${run.status}: ${run.error?.message ?? "no error recorded"}`);
  }
  const verdict = (run.output as { result?: { label?: unknown; rationale?: unknown } } | null)
    ?.result;
  const label = typeof verdict?.label === "string" ? verdict.label : "";
  const rationale = typeof verdict?.rationale === "string" ? verdict.rationale : "";
  const usage = await usageOf(deps.db, runId);
  const by = usage.route ? ` (graded by ${usage.route})` : "";
  return {
    kind: "rubric",
    path,
    pass: label === "pass",
    message: `${label || "no verdict"}${by}${rationale ? `: ${rationale.slice(0, 300)}` : ""}`,
  };
}
