/**
 * The rule "fallback model" (issue 18, item 3), pure: an agent step failing on a model outage,
 * a rate limit or a slow model gets `model.fallback` naming the configured models the router
 * knows for the same task (capability) that the failure did not involve and the step does not
 * name yet. The router then tries them right after the step's primary model, in that order
 * (before the merely compatible ones), and with a cooling-down primary goes to them at once.
 * The models come from the router's configuration (`ProposalContext.fallbackModels`); without it
 * (or with no other capable model) the rule proposes nothing.
 */
import type { FlowEdit, FlowIR } from "@/dsl";
import type { FailureRecord } from "./fingerprint";
import type { Triage } from "./triage";

/** Fallback models a proposal names at most. */
const MAX_FALLBACKS = 2;

/** Whether a failure of an agent step is the model's (outage, rate limit, slowness). */
export function isModelFailure(t: Triage, f: FailureRecord): boolean {
  if (!f.blockId.startsWith("agent.")) return false;
  return t.class === "resilience" && t.resilience !== "breaker";
}

/**
 * The `model.fallback` edit for an agent step, with what it says; undefined: nothing to add.
 *
 * @example
 * fallbackFor(ir, failure, ["gpt-4o-mini", "llama-local"]); // { edit, added: ["llama-local"] }
 */
export function fallbackFor(
  ir: FlowIR,
  f: FailureRecord,
  capable: readonly string[],
): { edit: FlowEdit; added: string[]; had: string[] } | undefined {
  const step = ir.steps.find((s) => s.id === f.stepId);
  if (!step) return undefined;
  const had = step.model?.fallback ?? [];
  const route = step.model?.route;
  // The models the failure names (`model gpt-4o-mini (openai …) answered 429`, `Every model …`).
  const failed = capable.filter((name) => f.message.includes(name));
  const added = capable
    .filter((name) => name !== route && !had.includes(name) && !failed.includes(name))
    .slice(0, MAX_FALLBACKS);
  if (!added.length) return undefined;
  return {
    edit: {
      type: "set-field",
      id: f.stepId,
      path: ["model", "fallback"],
      value: [...had, ...added],
    },
    added,
    had: [...had],
  };
}
