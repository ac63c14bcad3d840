/**
 * Failover across the router's candidates: each model in the plan's order (skipping those whose
 * API key is not set) until one answers; a transient failure (5xx, 429, connection, timeout,
 * 401/403) is recorded for cooldown and the next model tried, unless a tool already ran (tools
 * may have side effects: the engine retries the whole attempt instead). What every model failed
 * with becomes one error that says what happens next.
 */
import { EngineError, NonRetryableError, RetryAfterError } from "@/server/engine/errors";
import type { AgentLogger } from "./ports";
import { AgentOutputError } from "./answer-check";
import type { ModelConfig } from "./config";
import type { Clock, ModelRouter } from "./router";
import type { ToolState } from "./tool-loop";

export interface Tried {
  model: string;
  outcome: string;
}

/** Whether another model may succeed where this error's model failed. */
export function fallsOver(e: Error): boolean {
  if (!(e instanceof EngineError)) return false;
  if (e instanceof AgentOutputError) return false;
  if (e.retryable) return true;
  // A bad key or a forbidden model is that model's problem: another one may work.
  const auth = e.classification.category === "auth" || e.classification.category === "authz";
  return auth && !("pii" in (e.detail ?? {}));
}

/** One error for every model's failure: rate limited, retryable, or not. */
export function combineFailures(failures: Error[], tried: Tried[]): Error {
  const summary = tried.map((t) => `${t.model}: ${t.outcome}`).join("; ");
  const rateLimited = failures.filter((f): f is RetryAfterError => f instanceof RetryAfterError);
  if (rateLimited.length === failures.length && rateLimited.length) {
    const ms = Math.min(...rateLimited.map((f) => f.retryAfterMs));
    return new RetryAfterError(ms, `Every model was rate limited (${summary}).`);
  }
  const retryable = failures.find((f) => f instanceof EngineError && f.retryable) as
    EngineError | undefined;
  if (retryable) {
    return new EngineError(`Every model failed (${summary}).`, true, retryable.classification, {
      cause: retryable,
      detail: { tried },
    });
  }
  const first = failures[0] as EngineError | undefined;
  return new NonRetryableError(`Every model failed (${summary}).`, {
    classification: first?.classification ?? { category: "integration", severity: "high" },
    cause: first,
    detail: { tried },
  });
}

/** Why a plan has no candidate: a budget, every model cooling down, or no model for the task. */
export function noCandidateError(
  plan: ReturnType<ModelRouter["plan"]>,
  task: string,
  clock: Clock,
): Error {
  if (plan.budgetExceeded) {
    const b = plan.budgetExceeded;
    return new NonRetryableError(
      `The ${b.budget} of $${b.limitUsd} would be exceeded: $${b.spentUsd.toFixed(6)} spent, and the cheapest model that can do ${task} needs about $${b.cheapestUsd.toFixed(6)}.`,
      {
        classification: { category: "validation", severity: "high" },
        detail: { budget: b.budget, limitUsd: b.limitUsd, spentUsd: b.spentUsd },
      },
    );
  }
  if (plan.coolingDownUntil !== undefined) {
    return new RetryAfterError(
      Math.max(1, plan.coolingDownUntil - clock.now()),
      `Every model that can do ${task} is cooling down after repeated failures.`,
    );
  }
  return new NonRetryableError(
    `No configured model can do ${task}: add "${task}" to capabilities.tasks of a model in TRUSTFLOW_MODELS.`,
    {
      classification: { category: "system", severity: "high" },
      detail: { setting: "TRUSTFLOW_MODELS" },
    },
  );
}

/**
 * The first answer among `candidates`, in order. `progress.lastModel` names the last model
 * called (usage is recorded under it, whatever happens); `tried` lists every outcome.
 */
export async function firstAnswer<T>(c: {
  candidates: Array<{ model: ModelConfig }>;
  blockId: string;
  env: Record<string, string | undefined>;
  router: ModelRouter;
  log: AgentLogger;
  logCtx: Record<string, unknown>;
  signal: AbortSignal;
  tried: Tried[];
  progress: { lastModel: string };
  ask: (m: ModelConfig, apiKey: string | undefined, state: ToolState) => Promise<T>;
}): Promise<{ answer: T; model: ModelConfig }> {
  const { tried } = c;
  const failures: Error[] = [];
  const missingKeys: string[] = [];
  for (const candidate of c.candidates) {
    const m = candidate.model;
    const apiKey = m.apiKeyEnv ? c.env[m.apiKeyEnv] : undefined;
    if (m.apiKeyEnv && !apiKey) {
      missingKeys.push(m.apiKeyEnv);
      tried.push({ model: m.name, outcome: `skipped: ${m.apiKeyEnv} is not set` });
      continue;
    }
    c.progress.lastModel = m.name;
    const state: ToolState = { toolCallsRun: 0 };
    try {
      const answer = await c.ask(m, apiKey, state);
      c.router.recordSuccess(m.name);
      tried.push({ model: m.name, outcome: "ok" });
      return { answer, model: m };
    } catch (err) {
      const e = err as Error;
      if (!fallsOver(e) || state.toolCallsRun > 0 || c.signal.aborted) throw e;
      c.router.recordFailure(m.name);
      failures.push(e);
      tried.push({ model: m.name, outcome: `failed: ${e.message}` });
      c.log.warn(
        { ...c.logCtx, model: m.name, error: e.message },
        "agent model failed; falling over",
      );
    }
  }
  if (!failures.length && missingKeys.length) {
    throw new NonRetryableError(
      `No API key for the models that could run ${c.blockId}: set ${[...new Set(missingKeys)].join(", ")} in the server's environment.`,
      {
        classification: { category: "auth", severity: "high" },
        detail: { setting: missingKeys },
      },
    );
  }
  throw combineFailures(failures, tried);
}
