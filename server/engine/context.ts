/**
 * Evaluation of a step's compiled inputs and `if:` condition with the DSL's `evaluate()` over
 * `{ inputs, steps.<id>.output, run, secrets, item, index }`. Only the steps an expression
 * references are put in its context, so a long chain does not convert every earlier output
 * into CEL values at each step (that would make a 100-step chain quadratic).
 */
import { evaluate, type EvalContext } from "@/dsl";
import type { CompiledExpr, CompiledValue } from "@/dsl";
import { NonRetryableError } from "./errors";

/** Step ids referenced by compiled values, or `"all"` when an expression reads `steps` whole. */
export function referencedSteps(values: Array<CompiledValue | undefined>): Set<string> | "all" {
  const out = new Set<string>();
  let all = false;
  const visit = (v: CompiledValue | undefined): void => {
    if (!v || all) return;
    switch (v.kind) {
      case "expr":
        for (const r of v.refs) {
          if (r.root !== "steps") continue;
          if (r.stepId === undefined) all = true;
          else out.add(r.stepId);
        }
        // CEL strings inside literals (branch conditions, transform fields) are evaluated by
        // runtimes with the full context; their refs are found at run time.
        return;
      case "template":
        for (const p of v.parts) if (p.kind === "expr") visit(p);
        return;
      case "object":
        for (const x of Object.values(v.entries)) visit(x);
        return;
      case "array":
        for (const x of v.items) visit(x);
        return;
      case "literal":
        return;
    }
  };
  for (const v of values) visit(v);
  return all ? "all" : out;
}

/** What the engine knows when it evaluates a step's expressions. */
export interface ContextSource {
  inputs: Record<string, unknown>;
  run: Record<string, unknown>;
  secrets: Record<string, unknown>;
  /** Output of a finished step, undefined when it has none (skipped, failed, not run). */
  output(stepId: string): { output: unknown } | undefined;
  /** Every step id of the flow. */
  stepIds: readonly string[];
}

/** Builds the CEL context for a step, restricted to `refs`. */
export function buildContext(
  src: ContextSource,
  refs: Set<string> | "all",
  extra?: { item?: unknown; index?: number },
): EvalContext {
  const steps: Record<string, { output: unknown } | undefined> = {};
  const ids = refs === "all" ? src.stepIds : refs;
  for (const id of ids) {
    const o = src.output(id);
    if (o) steps[id] = o;
  }
  const ctx: EvalContext = { inputs: src.inputs, steps, run: src.run, secrets: src.secrets };
  if (extra?.item !== undefined) ctx.item = extra.item;
  if (extra?.index !== undefined) ctx.index = extra.index;
  return ctx;
}

/** Evaluates compiled inputs to a plain object. Expression failures are non-retryable. */
export function evaluateInputs(
  value: CompiledValue | undefined,
  ctx: EvalContext,
): Record<string, unknown> {
  if (!value) return {};
  const v = evaluate(value, ctx);
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : { value: v };
}

/** Evaluates an `if:` condition; anything but a boolean is an error. */
export function evaluateCondition(cond: CompiledExpr, ctx: EvalContext): boolean {
  const v = evaluate(cond, ctx);
  if (typeof v !== "boolean") {
    throw new NonRetryableError(
      `condition \`${cond.source.trim()}\` must be a boolean, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}
