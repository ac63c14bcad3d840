/**
 * The model router: for one agent call, which configured models to try, in which order, and
 * which to skip (and why). Deterministic: state (consecutive failures, cooldowns) changes only
 * through {@link ModelRouter.recordFailure} / {@link ModelRouter.recordSuccess}, and time comes
 * from the injected clock.
 *
 * Order of the plan:
 * 1. the primary model:
 *    - `model.route` naming a configured model picks it;
 *    - otherwise, without a `preference`, the model an evaluation suite recommends for the block
 *      ({@link RouteRequest.evaluated}), when it is configured and capable of the task;
 *    - otherwise the task type (`model.route` naming a task type overrides the block's) selects
 *      the capable models, ranked by `preference` (cost: cheapest estimate first; latency: small
 *      tier first, then cheapest; quality: large tier first, then most expensive), or without a
 *      preference by complexity (a long prompt or a large output schema prefers the large tier,
 *      else the small tier; ties by cost);
 * 2. the step's `model.fallback` names, in order;
 * 3. every other model capable of the task, cheapest estimate first.
 *
 * Skipped: models in cooldown (after `failureThreshold` consecutive failures, for `cooldownMs`),
 * and models whose estimated cost does not fit a budget. When every capable model was skipped
 * for a budget, {@link RoutePlan.budgetExceeded} names the budget.
 */
import type { ModelConfig, TaskType } from "./config";
import { TASK_TYPES } from "./config";

/** The clock port: milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Rough token count: ~4 characters per token for English text with common tokenizers. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Worst-case cost of a call: the prompt's estimated tokens plus `maxTokens` of output. */
export function estimateCostUsd(m: ModelConfig, promptTokens: number, maxOutput = m.maxTokens) {
  return promptTokens * m.costPerInputToken + maxOutput * m.costPerOutputToken;
}

export function costUsd(m: ModelConfig, tokensIn: number, tokensOut: number): number {
  return tokensIn * m.costPerInputToken + tokensOut * m.costPerOutputToken;
}

/** A spend limit and what was already spent against it, in USD. */
export interface BudgetState {
  /** e.g. `run budget (model.budget_usd)`; used in messages. */
  name: string;
  limitUsd: number;
  spentUsd: number;
}

export interface RouteRequest {
  task: TaskType;
  /** Characters of the whole prompt (system, user, memory). */
  promptChars: number;
  /** Characters of the output JSON Schema (its size hints at the answer's complexity). */
  schemaChars: number;
  /** The step's `model:` settings. */
  step?: {
    route?: string;
    fallback?: string[];
    preference?: "cost" | "latency" | "quality";
  };
  budgets?: BudgetState[];
  /**
   * The model an evaluation suite's results recommend for this block (see
   * `AgentRoutePreference`): tried first when the step names no model route and no preference.
   */
  evaluated?: { model: string; detail: string };
}

export interface Candidate {
  model: ModelConfig;
  /** Worst-case cost of one call, USD. */
  estimatedUsd: number;
  /** Why it is in the plan. */
  reason: "route" | "evaluated" | "preferred" | "fallback" | "compatible";
}

export interface Skipped {
  model: string;
  reason: "cooldown" | "budget" | "unknown";
  detail: string;
}

export interface RoutePlan {
  task: TaskType;
  complexity: "low" | "high";
  promptTokens: number;
  candidates: Candidate[];
  skipped: Skipped[];
  /** Set when no candidate is left and at least one capable model was skipped for a budget. */
  budgetExceeded?: { budget: string; limitUsd: number; spentUsd: number; cheapestUsd: number };
  /** Set when no candidate is left because every capable model is cooling down. */
  coolingDownUntil?: number;
}

export interface RouterOptions {
  models: ModelConfig[];
  clock?: Clock;
  /** Consecutive failures after which a model cools down. Default 3. */
  failureThreshold?: number;
  /** How long a model is skipped after tripping, ms. Default 60 000. */
  cooldownMs?: number;
  /** Prompt tokens above which a request counts as complex. Default 2 000. */
  complexPromptTokens?: number;
  /** Output-schema characters above which a request counts as complex. Default 1 500. */
  complexSchemaChars?: number;
}

export interface ModelHealth {
  consecutiveFailures: number;
  coolingDownUntil: number | null;
}

export interface ModelRouter {
  plan(req: RouteRequest): RoutePlan;
  recordFailure(model: string): void;
  recordSuccess(model: string): void;
  health(model: string): ModelHealth;
  readonly models: readonly ModelConfig[];
}

const isTask = (s: string | undefined): s is TaskType =>
  s !== undefined && (TASK_TYPES as readonly string[]).includes(s);

export function createModelRouter(opts: RouterOptions): ModelRouter {
  const clock = opts.clock ?? systemClock;
  const threshold = opts.failureThreshold ?? 3;
  const cooldownMs = opts.cooldownMs ?? 60_000;
  const complexTokens = opts.complexPromptTokens ?? 2_000;
  const complexSchema = opts.complexSchemaChars ?? 1_500;
  const byName = new Map(opts.models.map((m) => [m.name, m]));
  const health = new Map<string, ModelHealth>();

  const healthOf = (name: string): ModelHealth => {
    let h = health.get(name);
    if (!h) {
      h = { consecutiveFailures: 0, coolingDownUntil: null };
      health.set(name, h);
    }
    if (h.coolingDownUntil !== null && h.coolingDownUntil <= clock.now()) {
      // Cooldown over: the model gets one more chance (half-open); one more failure trips it again.
      h.coolingDownUntil = null;
      h.consecutiveFailures = Math.max(0, threshold - 1);
    }
    return h;
  };

  return {
    models: opts.models,
    health: (name) => ({ ...healthOf(name) }),
    recordSuccess(name) {
      health.set(name, { consecutiveFailures: 0, coolingDownUntil: null });
    },
    recordFailure(name) {
      const h = healthOf(name);
      h.consecutiveFailures++;
      if (h.consecutiveFailures >= threshold) h.coolingDownUntil = clock.now() + cooldownMs;
    },
    plan(req) {
      const promptTokens = estimateTokens(req.promptChars);
      const complexity =
        promptTokens > complexTokens || req.schemaChars > complexSchema ? "high" : "low";
      const routeModel = req.step?.route ? byName.get(req.step.route) : undefined;
      const task = isTask(req.step?.route) ? req.step.route : req.task;
      const est = (m: ModelConfig) => estimateCostUsd(m, promptTokens);
      const capable = opts.models.filter((m) => m.capabilities.tasks.includes(task));

      const ranked = [...capable].sort((a, b) => {
        const pref = req.step?.preference;
        const tier = (m: ModelConfig) => (m.tier === "small" ? 0 : 1);
        if (pref === "cost") return est(a) - est(b);
        if (pref === "latency") return tier(a) - tier(b) || est(a) - est(b);
        if (pref === "quality") return tier(b) - tier(a) || est(b) - est(a);
        const want = complexity === "high" ? 1 : 0;
        return Math.abs(tier(a) - want) - Math.abs(tier(b) - want) || est(a) - est(b) || 0;
      });

      const ordered: Array<{ m: ModelConfig; reason: Candidate["reason"] }> = [];
      const skipped: Skipped[] = [];
      const add = (m: ModelConfig, reason: Candidate["reason"]) => {
        if (!ordered.some((o) => o.m.name === m.name)) ordered.push({ m, reason });
      };
      const evaluated =
        !routeModel && !req.step?.preference && req.evaluated
          ? capable.find((m) => m.name === req.evaluated!.model)
          : undefined;
      if (routeModel) add(routeModel, "route");
      else if (evaluated) add(evaluated, "evaluated");
      else if (ranked[0]) add(ranked[0], "preferred");
      for (const name of req.step?.fallback ?? []) {
        const m = byName.get(name);
        if (!m) skipped.push({ model: name, reason: "unknown", detail: "not configured" });
        else add(m, "fallback");
      }
      for (const m of [...capable].sort((a, b) => est(a) - est(b))) add(m, "compatible");

      const candidates: Candidate[] = [];
      let budgetExceeded: RoutePlan["budgetExceeded"];
      let coolingDownUntil: number | undefined;
      for (const { m, reason } of ordered) {
        const h = healthOf(m.name);
        if (h.coolingDownUntil !== null) {
          skipped.push({
            model: m.name,
            reason: "cooldown",
            detail: `${h.consecutiveFailures} consecutive failures; cooling down until ${new Date(h.coolingDownUntil).toISOString()}`,
          });
          coolingDownUntil = Math.min(coolingDownUntil ?? Infinity, h.coolingDownUntil);
          continue;
        }
        const cost = est(m);
        const over = (req.budgets ?? []).find((b) => b.spentUsd + cost > b.limitUsd);
        if (over) {
          skipped.push({
            model: m.name,
            reason: "budget",
            detail: `estimated $${cost.toFixed(6)} exceeds the ${over.name}: $${over.spentUsd.toFixed(6)} of $${over.limitUsd} spent`,
          });
          if (!budgetExceeded || cost < budgetExceeded.cheapestUsd) {
            budgetExceeded = {
              budget: over.name,
              limitUsd: over.limitUsd,
              spentUsd: over.spentUsd,
              cheapestUsd: cost,
            };
          }
          continue;
        }
        candidates.push({ model: m, estimatedUsd: cost, reason });
      }
      const plan: RoutePlan = { task, complexity, promptTokens, candidates, skipped };
      if (!candidates.length && budgetExceeded) plan.budgetExceeded = budgetExceeded;
      if (!candidates.length && !budgetExceeded && coolingDownUntil !== undefined) {
        plan.coolingDownUntil = coolingDownUntil;
      }
      return plan;
    },
  };
}
