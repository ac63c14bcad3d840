/**
 * What the runner of an eval run is given (`evals-start.ts` builds it from the suite and the
 * eval run), and how a dataset row becomes a run's inputs.
 */
import type { Assertion, EvalTarget, EvalVariant } from "./evals-schemas";

/** What a runner needs of its eval run and suite. */
export interface EvalPlan {
  evalRunId: string;
  workspaceId: string;
  sessionId: string;
  target: EvalTarget;
  inputMap: Record<string, string> | null;
  assertions: Assertion[];
  repetitions: number;
  variant: EvalVariant;
  rows: Record<string, unknown>[];
}

/** The run inputs of a row: the mapped columns, or the whole row. */
export function inputsOf(
  row: Record<string, unknown>,
  inputMap: Record<string, string> | null,
): Record<string, unknown> {
  if (!inputMap) return { ...row };
  const out: Record<string, unknown> = {};
  for (const [input, column] of Object.entries(inputMap)) {
    if (Object.hasOwn(row, column)) out[input] = row[column];
  }
  return out;
}
