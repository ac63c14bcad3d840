/**
 * The agent runtime: runs agent.classify/extract/summarize/draft/route through the `openai` SDK
 * against any OpenAI-compatible server.
 *
 * One attempt (this file orchestrates; each part is its own module):
 * 1. build the task prompt (`tasks.ts`) and guard it for PII: redact, block or allow
 *    (`agent-pii.ts`);
 * 2. add the flow's memory, nearest flow first, capped (`memory-context.ts`);
 * 3. ask the router for a plan within the run and workspace budgets (`agent-budgets.ts`);
 * 4. call the first candidate; on a transient failure (5xx, 429, connection, timeout, 401/403)
 *    record it for cooldown and fall over to the next candidate, unless a tool already ran
 *    (tools may have side effects: the engine retries the whole attempt instead) (`failover.ts`);
 * 5. run the tool loop (bounded, `tool-loop.ts`), then validate the answer: structural JSON
 *    repair, then ONE repair request with the validation errors, then a validation error naming
 *    the fields (`answer-check.ts`); the calls themselves: `conversation.ts`;
 * 6. guard the output for PII, record usage, remember the answer as flow context.
 *
 * The SDK never retries (`maxRetries: 0`): the engine owns retries. Real models are called
 * through the egress guard bound to the run's workspace (`egress`, `model-egress.ts`); a runtime
 * without it reaches only the built-in demo model.
 */
import type OpenAI from "openai";
import type { EgressGuard } from "@/server/adapters/egress/guard";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { toBlockExecution } from "@/server/adapters/connectors/execution";
import type {
  AgentExecution,
  AgentMemoryPort,
  AgentRoutePreference,
  AgentToolExecutor,
  AgentUsageSink,
  PiiPolicy,
} from "@/server/domain/agent/ports";
import { NonRetryableError } from "@/server/engine/errors";
import type { BlockRuntime, RunInfo, RuntimeRequest } from "@/server/engine/ports";
import { budgetsFor, createInMemoryUsageSink, type UsageTotals } from "./agent-budgets";
import { createPiiGuard } from "./agent-pii";
import { createClientCache } from "./chat-client";
import { MEMORY_MESSAGE_PREFIX } from "./demo-model/scripted-hash";
import { loadModels, MODELS_FILE, type ModelConfig } from "./config";
import { converse } from "./conversation";
import { firstAnswer, noCandidateError, type Tried } from "./failover";
import { memoryFlows, recallMemory, rememberAnswer } from "./memory-context";
import { modelEgress } from "./model-egress";
import type { AgentDecision, AgentLogger, AgentResult } from "./ports";
import { createModelRouter, systemClock, type Clock, type ModelRouter } from "./router";
import { agentBlock, buildTaskPrompt } from "./tasks";

export { AgentOutputError } from "./answer-check";
export { createInMemoryUsageSink } from "./agent-budgets";
export { renderMemory } from "./memory-context";

export interface AgentRuntimeOptions {
  /** Configured models (default: {@link loadModels} from the environment). */
  models?: ModelConfig[];
  /** Default: a router over `models` with default cooldowns. */
  router?: ModelRouter;
  clock?: Clock;
  memory?: AgentMemoryPort;
  /** Default: an in-process sink (budgets then only see this process's spend). */
  usageSink?: AgentUsageSink;
  toolExecutor?: AgentToolExecutor;
  /** Tool calls allowed per step attempt. Default 5. */
  maxToolCallsPerStep?: number;
  /** Where API keys are read (`apiKeyEnv`). Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Default PII policy when neither the step nor the flow sets one. Default `redact`. */
  pii?: PiiPolicy;
  /** Monthly (UTC calendar month) budget of a workspace, USD; undefined: none. */
  workspaceBudgetUsd?: (workspaceId: string) => number | undefined | Promise<number | undefined>;
  /** Evaluation suites' recommended model per block (the router tries it first). */
  routePreference?: AgentRoutePreference;
  /** Characters of memory injected into a prompt. Default 2 000. */
  memoryMaxChars?: number;
  /** Store each answer as `context` memory of the flow. Default true when `memory` is set. */
  rememberContext?: boolean;
  logger?: AgentLogger;
  /** For {@link AgentRuntime.blockRuntime}: the flow chain of a run (sub-flows inherit memory). */
  flowChainOf?: (run: RunInfo) => Promise<string[]>;
  /**
   * The egress guard real models are called through, bound to the run's workspace, with the
   * operator's entries for the hosts and ports of `models`. Without it (and without
   * `clientFor`), only the built-in demo model answers.
   */
  egress?: Pick<EgressGuard, "fetchFor" | "limits">;
  /** Builds the SDK client of a model for a run of a workspace (in-process modes, tests). */
  clientFor?: (m: ModelConfig, apiKey: string | undefined, workspaceId: string) => OpenAI;
}

export interface AgentRuntime {
  execute(exec: AgentExecution): Promise<AgentResult>;
  /** The engine's BlockRuntime for the agent blocks: returns the output, records usage. */
  blockRuntime(): BlockRuntime;
  readonly router: ModelRouter;
  readonly blockIds: readonly string[];
}

export const AGENT_BLOCK_IDS = [
  "agent.classify",
  "agent.extract",
  "agent.summarize",
  "agent.draft",
  "agent.route",
] as const;

const silentLogger: AgentLogger = { info() {}, warn() {} };

export function createAgentRuntime(opts: AgentRuntimeOptions = {}): AgentRuntime {
  const models = opts.models ?? opts.router?.models.slice() ?? loadModels().models;
  const clock = opts.clock ?? systemClock;
  const router = opts.router ?? createModelRouter({ models, clock });
  const usageSink = opts.usageSink ?? createInMemoryUsageSink();
  const env = opts.env ?? process.env;
  const clientFor =
    opts.clientFor ??
    createClientCache(opts.egress ? { fetchFor: modelEgress(opts.egress, models) } : {});
  const log = opts.logger ?? silentLogger;
  const pii = createPiiGuard(log, opts.pii);
  const maxToolCalls = opts.maxToolCallsPerStep ?? 5;
  const memoryMaxChars = opts.memoryMaxChars ?? 2000;
  const rememberContext = opts.rememberContext ?? true;

  async function execute(exec: AgentExecution): Promise<AgentResult> {
    const block = agentBlock(exec.block.id, exec.block.major) ?? agentBlock(exec.block.id);
    if (!block) {
      throw new NonRetryableError(`${exec.block.id}@${exec.block.major} is not an agent block`, {
        classification: { category: "system", severity: "high" },
      });
    }
    if (router.models.length === 0) {
      throw new NonRetryableError(
        `No language model is configured, so ${block.id} cannot run. Set TRUSTFLOW_MODELS to a JSON array of models (or create ${MODELS_FILE} in the server's working directory); an empty array turns even the built-in demo model off. See server/adapters/llm/README.md.`,
        {
          classification: { category: "system", severity: "high" },
          detail: { setting: "TRUSTFLOW_MODELS" },
        },
      );
    }
    const decisions: AgentDecision[] = [];
    const logCtx = {
      runId: exec.runId,
      stepId: exec.stepId,
      attempt: exec.attempt,
      block: block.id,
    };

    // 1. Prompt, PII guard.
    const policy = pii.policyOf(block, exec);
    const guardedInputs = pii.guard(exec.inputs, policy, "prompt", decisions, logCtx);
    const prompt = buildTaskPrompt(block, guardedInputs);

    // 2. Memory.
    const flows = memoryFlows(exec);
    const memoryText = await recallMemory({
      memory: opts.memory,
      exec,
      flows,
      maxChars: memoryMaxChars,
      pii,
      policy,
      decisions,
      logCtx,
    });
    const messages: ChatCompletionMessageParam[] = [
      { role: "system", content: prompt.system },
      ...(memoryText
        ? [
            {
              role: "system" as const,
              content: `${MEMORY_MESSAGE_PREFIX}${memoryText}`,
            },
          ]
        : []),
      { role: "user", content: prompt.user },
    ];

    // 3. Budgets and plan.
    const budgets = await budgetsFor({
      exec,
      usageSink,
      workspaceBudgetUsd: opts.workspaceBudgetUsd,
      clock,
    });
    // An evaluation's recommendation for this block; a failed lookup only costs the hint.
    const evaluated = opts.routePreference
      ? await opts.routePreference
          .preferredModel({ workspaceId: exec.workspaceId, blockId: block.id })
          .catch(() => null)
      : null;
    const plan = router.plan({
      ...(evaluated ? { evaluated } : {}),
      task: prompt.task,
      promptChars: messages.reduce((n, m) => n + String(m.content).length, 0),
      schemaChars: JSON.stringify(prompt.answerSchema).length,
      step: exec.model,
      budgets,
    });
    if (!plan.candidates.length) throw noCandidateError(plan, prompt.task, clock);

    // 4. Candidates in order; 5. the conversation with each.
    const tools = opts.toolExecutor?.toolsFor(exec) ?? [];
    const tried: Tried[] = [];
    const totals: UsageTotals = { tokensIn: 0, tokensOut: 0, costUsd: 0 };
    const progress = { lastModel: plan.candidates[0]!.model.name };
    try {
      const { answer, model } = await firstAnswer({
        candidates: plan.candidates,
        blockId: block.id,
        env,
        router,
        log,
        logCtx,
        signal: exec.signal,
        tried,
        progress,
        ask: (m, apiKey, state) =>
          converse({
            exec,
            model: m,
            client: clientFor(m, apiKey, exec.workspaceId),
            messages: [...messages],
            prompt,
            tools: m.capabilities.tools ? tools : [],
            toolExecutor: opts.toolExecutor,
            maxToolCalls,
            decisions,
            totals,
            budgets,
            state,
            pii,
            policy,
            logCtx,
          }),
      });
      decisions.unshift({
        type: "route",
        task: plan.task,
        complexity: plan.complexity,
        model: model.name,
        tried,
        skipped: plan.skipped,
        ...(evaluated &&
        plan.candidates[0]?.reason === "evaluated" &&
        model.name === evaluated.model
          ? { evaluated: evaluated.detail }
          : {}),
      });

      // 6. Output guard, memory.
      const output = pii.guard(answer, policy, "output", decisions, logCtx);
      await rememberAnswer({
        memory: opts.memory,
        enabled: rememberContext,
        log,
        exec,
        flow: flows[0],
        blockId: block.id,
        output,
      });
      log.info(
        {
          ...logCtx,
          model: model.name,
          tokensIn: totals.tokensIn,
          tokensOut: totals.tokensOut,
          costUsd: totals.costUsd,
        },
        "agent step answered",
      );
      return { output, usage: { model: model.name, ...totals }, decisions };
    } finally {
      if (totals.tokensIn + totals.tokensOut > 0) {
        await usageSink.record({
          workspaceId: exec.workspaceId,
          runId: exec.runId,
          stepId: exec.stepId,
          attempt: exec.attempt,
          flow: exec.flow ?? "",
          model: progress.lastModel,
          ...totals,
          at: new Date(clock.now()),
        });
      }
    }
  }

  return {
    router,
    blockIds: AGENT_BLOCK_IDS,
    execute,
    blockRuntime(): BlockRuntime {
      return {
        async execute(req: RuntimeRequest) {
          const chain = opts.flowChainOf ? await opts.flowChainOf(req.run) : undefined;
          const result = await execute(toExecution(req, chain));
          // The recorded answer's usage (issue 16); the model calls were reported as they came.
          req.answers?.add({ usage: result.usage });
          return result.output;
        },
      };
    },
  };
}

/** Maps the engine's request to an {@link AgentExecution}. */
export function toExecution(req: RuntimeRequest, flowChain?: string[]): AgentExecution {
  return {
    ...toBlockExecution(req),
    ...(req.step.source.model ? { model: req.step.source.model } : {}),
    flow: req.run.flow,
    ...(flowChain ? { flowChain } : {}),
    request: req,
  };
}
