/**
 * Reading one proof run (issue 18, item 4), pure: which of its steps were answered by a
 * recording and which by the session's mocks, whether the step that failed now succeeds with an
 * output its block's contract accepts, and the proof's verdict over all its runs.
 */
import type { FlowIR } from "@/dsl";
import type { AttemptRecord } from "@/server/engine/types";
import { validatorFor } from "@/server/engine/runtimes/support";
import { pickConnectorAnswer, type ConnectorAnswer } from "../sandbox/from-run";
import { requestHash } from "../sandbox/recorded-answers";
import { serverRegistry } from "../workflow/compile-flow";

/** Where a step's answers came from in the proof's session. */
export type StepSource = "recording" | "mock" | "recorded-model" | "demo-model" | "computed";

/** One step of a proof run. */
export interface ProofStep {
  stepId: string;
  blockId: string;
  status: string;
  attempts: number;
  /** The source of most of its attempts (`recording` when any attempt was not a mock's). */
  source: StepSource;
  /** Attempts answered by a recording and by the session's mocks (connector steps). */
  recorded: number;
  mocked: number;
}

/** The step that failed in the group, as the proof run left it. */
export interface FailingStepResult {
  stepId: string;
  status: string;
  /** `valid`: its output matches the block's output schema; `none`: the block declares none. */
  contract: "valid" | "invalid" | "none" | "not-reached";
  error: string | null;
}

/** One run of a proof: a recorded failing input, or a recent successful run (regression set). */
export interface ProofRun {
  kind: "failing" | "regression";
  sourceRunId: string;
  proofRunId: string | null;
  sessionId: string | null;
  runStatus: string | null;
  /**
   * failing: fixed | not-fixed | refused (the patched flow's stricter input schema refuses the
   * recorded input when the run starts: it can no longer fail at the step; counted as fixed);
   * regression: passed | regressed; both: error (it could not run).
   */
  outcome: "fixed" | "not-fixed" | "refused" | "passed" | "regressed" | "error";
  failingStep: FailingStepResult | null;
  steps: ProofStep[];
  note: string | null;
}

/** A proposal's proof as stored in `GuardianProposal.proof`. */
export interface Proof {
  status: "passed" | "failed" | "error";
  fixed: number;
  of: number;
  regressions: number;
  regressionOf: number;
  runs: ProofRun[];
  sessionIds: string[];
  /** Who asked: `guardian` (in the background) or a member's label. */
  by: string;
  startedAt: string;
  finishedAt: string;
  /** The rule the verdict applies. */
  passRule: string;
  note: string | null;
}

/** Recorded failing inputs a proof runs (the group's newest failed runs). */
export const PROOF_FAILING_RUNS = 10;

/**
 * The failing runs of `sources` (the group's newest, newest first) a proof has not run yet, as
 * many as it still has room for: none once it ran {@link PROOF_FAILING_RUNS}.
 */
export function uncovered(proof: Pick<Proof, "runs"> | null, sources: readonly string[]): string[] {
  const covered = new Set(
    (proof?.runs ?? []).filter((r) => r.kind === "failing").map((r) => r.sourceRunId),
  );
  return sources
    .filter((id) => !covered.has(id))
    .slice(0, Math.max(0, PROOF_FAILING_RUNS - covered.size));
}

/** Share of the failing inputs a passing proof fixes (with no regression). */
export const PASS_SHARE = 0.9;
export const PASS_RULE = `at least ${PASS_SHARE * 100}% of the recorded failing inputs fixed and no regression in the successful runs`;

/** The verdict over a proof's runs. */
export function verdict(
  runs: readonly ProofRun[],
): Pick<Proof, "status" | "fixed" | "of" | "regressions" | "regressionOf"> {
  const failing = runs.filter((r) => r.kind === "failing");
  const regression = runs.filter((r) => r.kind === "regression");
  const fixed = failing.filter((r) => r.outcome === "fixed" || r.outcome === "refused").length;
  const regressions = regression.filter((r) => r.outcome !== "passed").length;
  const of = failing.length;
  const status = of > 0 && fixed / of >= PASS_SHARE && regressions === 0 ? "passed" : "failed";
  return { status, fixed, of, regressions, regressionOf: regression.length };
}

/** Whether `output` satisfies the output schema of the block `step` uses. */
export function contractOf(
  ir: FlowIR,
  stepId: string,
  output: unknown,
): "valid" | "invalid" | "none" {
  const step = ir.steps.find((s) => s.id === stepId);
  const schema = step ? serverRegistry().get(step.block.id, step.block.major)?.outputSchema : null;
  if (!schema) return "none";
  return validatorFor(schema)(output) ? "valid" : "invalid";
}

/**
 * The steps of a proof run with their sources: a connector attempt was answered by a recording
 * when the session held an answer for its request at that repetition (as the sandbox's runtime
 * picks it), else by the session's mock; an agent step by the run's recorded model answers when
 * the session has them, else the demo model; every other step is computed in the process.
 */
export function proofSteps(
  ir: FlowIR,
  attempts: readonly AttemptRecord[],
  answers: readonly ConnectorAnswer[],
  hasModelAnswers: boolean,
): ProofStep[] {
  const kindOf = new Map(ir.steps.map((s) => [s.id, s.block.kind]));
  const seen = new Map<string, number>();
  const byStep = new Map<string, ProofStep>();
  const ordered = [...attempts].sort((a, b) => a.startedAt - b.startedAt || a.attempt - b.attempt);
  for (const a of ordered) {
    const kind = kindOf.get(a.stepId);
    let step = byStep.get(a.stepId);
    if (!step) {
      step = {
        stepId: a.stepId,
        blockId: a.blockId,
        status: a.status,
        attempts: 0,
        source: "computed",
        recorded: 0,
        mocked: 0,
      };
      byStep.set(a.stepId, step);
    }
    step.attempts++;
    step.status = a.status;
    if (kind === "connector") {
      const hash = requestHash(a.blockId, a.inputs ?? {});
      const key = `${a.blockId}\u0000${hash}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (pickConnectorAnswer(answers, a.blockId, hash, n)) step.recorded++;
      else step.mocked++;
      step.source = step.recorded > 0 ? "recording" : "mock";
    } else if (kind === "agent") {
      step.source = hasModelAnswers ? "recorded-model" : "demo-model";
    }
  }
  return [...byStep.values()];
}

/** The group's failing step in a proof run: its last attempt, and its output against the contract. */
export function failingStepOf(
  ir: FlowIR,
  stepId: string,
  attempts: readonly AttemptRecord[],
): FailingStepResult {
  const last = attempts.filter((a) => a.stepId === stepId).sort((a, b) => b.attempt - a.attempt)[0];
  if (!last) return { stepId, status: "not-reached", contract: "not-reached", error: null };
  return {
    stepId,
    status: last.status,
    contract: last.status === "succeeded" ? contractOf(ir, stepId, last.output) : "not-reached",
    error: last.error?.message.slice(0, 500) ?? null,
  };
}

/** A failing input's outcome: fixed when the failing step succeeded with a valid (or no) contract. */
export function failingOutcome(f: FailingStepResult): "fixed" | "not-fixed" {
  return f.status === "succeeded" && (f.contract === "valid" || f.contract === "none")
    ? "fixed"
    : "not-fixed";
}
