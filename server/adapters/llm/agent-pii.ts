/**
 * The agent runtime's PII guarding: which policy a step runs under, and guarding a value (the
 * prompt, the memory, a tool's result, the answer) with {@link guardPii}, recording each decision
 * and logging kinds and counts only (the values never reach the logs).
 */
import type { BlockDefinition } from "@/dsl";
import type { AgentExecution, PiiPolicy } from "@/server/domain/agent/ports";
import { NonRetryableError } from "@/server/engine/errors";
import { guardPii, type PiiDecision } from "./pii";
import type { AgentDecision, AgentLogger } from "./ports";

export interface PiiGuard {
  /** The step's policy: the block input `pii`, else the flow's, else the runtime's default. */
  policyOf(block: BlockDefinition, exec: AgentExecution): PiiPolicy;
  /**
   * `value` with personal data handled per `policy`; throws a non-retryable `authz` error when
   * the policy is `block` and the prompt or the answer holds personal data.
   */
  guard<T>(
    value: T,
    policy: PiiPolicy,
    where: PiiDecision["where"],
    decisions: AgentDecision[],
    logCtx: Record<string, unknown>,
  ): T;
  /** Records a decision (unless nothing was found) and logs its kinds and counts. */
  record(d: PiiDecision, decisions: AgentDecision[], logCtx: Record<string, unknown>): void;
}

const isPolicy = (p: unknown): p is PiiPolicy => p === "redact" || p === "block" || p === "allow";

/** A guard that reports to `log`; `defaultPolicy` applies when neither step nor flow sets one. */
export function createPiiGuard(log: AgentLogger, defaultPolicy: PiiPolicy = "redact"): PiiGuard {
  function record(d: PiiDecision, decisions: AgentDecision[], logCtx: Record<string, unknown>) {
    if (d.action === "none") return;
    decisions.push(d);
    // Kinds and counts only: the values never reach the logs.
    log.info(
      { ...logCtx, where: d.where, policy: d.policy, action: d.action, counts: d.counts },
      "agent PII decision",
    );
  }

  return {
    record,
    policyOf(block, exec) {
      const props = (block.inputSchema.properties ?? {}) as Record<string, unknown>;
      const fromInputs = "pii" in props ? exec.inputs.pii : undefined;
      if (isPolicy(fromInputs)) return fromInputs;
      if (isPolicy(exec.pii)) return exec.pii;
      return defaultPolicy;
    },
    guard(value, policy, where, decisions, logCtx) {
      const g = guardPii(value, policy, where);
      record(g.decision, decisions, logCtx);
      if (g.decision.action === "blocked") {
        const kinds = Object.entries(g.decision.counts)
          .map(([k, n]) => `${k}: ${n}`)
          .join(", ");
        throw new NonRetryableError(
          `The ${where === "prompt" ? "prompt" : "model's answer"} contains personal data (${kinds}) and the flow's PII policy is block.`,
          { classification: { category: "authz", severity: "high" }, detail: { pii: g.decision } },
        );
      }
      return g.value;
    },
  };
}
