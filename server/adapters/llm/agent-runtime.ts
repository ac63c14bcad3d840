/**
 * The agent runtime: runs agent.classify/extract/summarize/draft/route through the `openai` SDK
 * against any OpenAI-compatible server.
 *
 * One attempt:
 * 1. build the task prompt (tasks.ts) and guard it for PII (redact, block or allow);
 * 2. add the flow's memory (nearest flow first, capped);
 * 3. ask the router for a plan within the run and workspace budgets;
 * 4. call the first candidate; on a transient failure (5xx, 429, connection, timeout, 401/403)
 *    record it for cooldown and fall over to the next candidate, unless a tool already ran
 *    (tools may have side effects: the engine retries the whole attempt instead);
 * 5. run the tool loop (bounded), then validate the answer: structural JSON repair, then ONE
 *    repair request with the validation errors, then a validation error naming the fields;
 * 6. guard the output for PII, record usage, remember the answer as flow context.
 *
 * The SDK never retries (`maxRetries: 0`): the engine owns retries.
 */
import type OpenAI from "openai";
import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import type { BlockDefinition } from "@/dsl/types";
import { toBlockExecution } from "@/server/adapters/connectors/execution";
import { EngineError, NonRetryableError, RetryAfterError } from "@/server/engine/errors";
import type { BlockRuntime, RunInfo, RuntimeRequest } from "@/server/engine/ports";
import { chatOnce, createClientCache, type ChatRequest, type ChatResponse } from "./chat-client";
import { loadModels, MODELS_FILE, type ModelConfig } from "./config";
import { repairJson } from "./json-repair";
import { guardPii, type PiiDecision, type PiiPolicy } from "./pii";
import type {
  AgentDecision,
  AgentExecution,
  AgentLogger,
  AgentMemoryPort,
  AgentResult,
  AgentToolExecutor,
  AgentUsageRow,
  AgentUsageSink,
  MemoryItem,
} from "./ports";
import {
  costUsd,
  createModelRouter,
  estimateCostUsd,
  estimateTokens,
  systemClock,
  type BudgetState,
  type Clock,
  type ModelRouter,
} from "./router";
import { agentBlock, buildTaskPrompt, describeErrors, errorFields, validatorFor } from "./tasks";

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
  /** Characters of memory injected into a prompt. Default 2 000. */
  memoryMaxChars?: number;
  /** Store each answer as `context` memory of the flow. Default true when `memory` is set. */
  rememberContext?: boolean;
  logger?: AgentLogger;
  /** For {@link AgentRuntime.blockRuntime}: the flow chain of a run (sub-flows inherit memory). */
  flowChainOf?: (run: RunInfo) => Promise<string[]>;
  /** Test seam: builds the SDK client of a model. */
  clientFor?: (m: ModelConfig, apiKey: string | undefined) => OpenAI;
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

/** The answer of the model failed validation after structural repair and one repair request. */
export class AgentOutputError extends EngineError {
  constructor(
    message: string,
    readonly fields: string[],
    readonly errors: string[],
  ) {
    // Retryable: a model may well answer correctly on the engine's next attempt.
    super(
      message,
      true,
      { severity: "medium", category: "validation" },
      { detail: { fields, errors } },
    );
    this.name = "AgentOutputError";
  }
}

const silentLogger: AgentLogger = { info() {}, warn() {} };

/** An in-process usage sink: fine for tests and single-process budgets. */
export function createInMemoryUsageSink(): AgentUsageSink & { rows: AgentUsageRow[] } {
  const rows: AgentUsageRow[] = [];
  return {
    rows,
    async record(row) {
      const i = rows.findIndex(
        (r) => r.runId === row.runId && r.stepId === row.stepId && r.attempt === row.attempt,
      );
      if (i >= 0) rows[i] = row;
      else rows.push(row);
    },
    async spent({ workspaceId, runId, since }) {
      let runUsd = 0;
      let workspaceUsd = 0;
      for (const r of rows) {
        if (r.runId === runId) runUsd += r.costUsd;
        if (r.workspaceId === workspaceId && r.at >= since) workspaceUsd += r.costUsd;
      }
      return { runUsd, workspaceUsd };
    },
  };
}

const startOfUtcMonth = (ms: number) => {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
};

/** Function names allowed by OpenAI: `^[a-zA-Z0-9_-]{1,64}$`. */
const toolName = (b: BlockDefinition) =>
  `${b.id.replace(/\./g, "_")}_v${b.version.split(".")[0]}`.slice(0, 64);

export function createAgentRuntime(opts: AgentRuntimeOptions = {}): AgentRuntime {
  const models = opts.models ?? opts.router?.models.slice() ?? loadModels().models;
  const clock = opts.clock ?? systemClock;
  const router = opts.router ?? createModelRouter({ models, clock });
  const usageSink = opts.usageSink ?? createInMemoryUsageSink();
  const env = opts.env ?? process.env;
  const clientFor = opts.clientFor ?? createClientCache();
  const log = opts.logger ?? silentLogger;
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
    const policy = piiPolicyOf(block, exec);
    const guardedInputs = guard(exec.inputs, policy, "prompt", decisions, logCtx);
    const prompt = buildTaskPrompt(block, guardedInputs);

    // 2. Memory.
    const flows = exec.flowChain?.length
      ? [...exec.flowChain].reverse()
      : exec.flow
        ? [exec.flow]
        : [];
    let memoryText = "";
    if (opts.memory && flows.length) {
      const items = await opts.memory.recall({ workspaceId: exec.workspaceId, flows, limit: 50 });
      memoryText = renderMemory(items, memoryMaxChars);
      if (memoryText) {
        const guardedMemory = guard(memoryText, policy, "prompt", decisions, logCtx);
        memoryText = guardedMemory;
        decisions.push({ type: "memory", items: items.length, chars: memoryText.length });
      }
    }
    const messages: ChatCompletionMessageParam[] = [
      { role: "system", content: prompt.system },
      ...(memoryText
        ? [
            {
              role: "system" as const,
              content: `What this flow remembers (most relevant first):\n${memoryText}`,
            },
          ]
        : []),
      { role: "user", content: prompt.user },
    ];

    // 3. Budgets and plan.
    const since = startOfUtcMonth(clock.now());
    const spent = await usageSink.spent({
      workspaceId: exec.workspaceId,
      runId: exec.runId,
      since,
    });
    const budgets: BudgetState[] = [];
    if (exec.model?.budgetUsd !== undefined) {
      budgets.push({
        name: "run budget (model.budget_usd of the step)",
        limitUsd: exec.model.budgetUsd,
        spentUsd: spent.runUsd,
      });
    }
    const wsLimit = await opts.workspaceBudgetUsd?.(exec.workspaceId);
    if (wsLimit !== undefined) {
      budgets.push({
        name: "workspace monthly budget",
        limitUsd: wsLimit,
        spentUsd: spent.workspaceUsd,
      });
    }
    const schemaText = JSON.stringify(prompt.answerSchema);
    const plan = router.plan({
      task: prompt.task,
      promptChars: messages.reduce((n, m) => n + String(m.content).length, 0),
      schemaChars: schemaText.length,
      step: exec.model,
      budgets,
    });
    if (!plan.candidates.length) throw noCandidateError(plan, prompt.task, clock);

    // 4. Candidates in order.
    const tools = opts.toolExecutor?.toolsFor(exec) ?? [];
    const tried: Array<{ model: string; outcome: string }> = [];
    const failures: Error[] = [];
    const missingKeys: string[] = [];
    const totals = { tokensIn: 0, tokensOut: 0, costUsd: 0 };
    let lastModel = plan.candidates[0]!.model.name;
    try {
      for (const candidate of plan.candidates) {
        const m = candidate.model;
        const apiKey = m.apiKeyEnv ? env[m.apiKeyEnv] : undefined;
        if (m.apiKeyEnv && !apiKey) {
          missingKeys.push(m.apiKeyEnv);
          tried.push({ model: m.name, outcome: `skipped: ${m.apiKeyEnv} is not set` });
          continue;
        }
        lastModel = m.name;
        const state: ConversationState = { toolCallsRun: 0 };
        try {
          const answer = await converse({
            exec,
            model: m,
            client: clientFor(m, apiKey),
            messages: [...messages],
            prompt,
            tools: m.capabilities.tools ? tools : [],
            decisions,
            totals,
            budgets,
            state,
            policy,
            logCtx,
          });
          router.recordSuccess(m.name);
          tried.push({ model: m.name, outcome: "ok" });
          decisions.unshift({
            type: "route",
            task: plan.task,
            complexity: plan.complexity,
            model: m.name,
            tried,
            skipped: plan.skipped,
          });
          const output = guard(answer, policy, "output", decisions, logCtx);
          await remember(exec, flows[0], block.id, output);
          log.info(
            {
              ...logCtx,
              model: m.name,
              tokensIn: totals.tokensIn,
              tokensOut: totals.tokensOut,
              costUsd: totals.costUsd,
            },
            "agent step answered",
          );
          return { output, usage: { model: m.name, ...totals }, decisions };
        } catch (err) {
          const e = err as Error;
          if (!fallsOver(e) || state.toolCallsRun > 0 || exec.signal.aborted) throw e;
          router.recordFailure(m.name);
          failures.push(e);
          tried.push({ model: m.name, outcome: `failed: ${e.message}` });
          log.warn(
            { ...logCtx, model: m.name, error: e.message },
            "agent model failed; falling over",
          );
        }
      }
      if (!failures.length && missingKeys.length) {
        throw new NonRetryableError(
          `No API key for the models that could run ${block.id}: set ${[...new Set(missingKeys)].join(", ")} in the server's environment.`,
          {
            classification: { category: "auth", severity: "high" },
            detail: { setting: missingKeys },
          },
        );
      }
      throw combine(failures, tried);
    } finally {
      if (totals.tokensIn + totals.tokensOut > 0) {
        await usageSink.record({
          workspaceId: exec.workspaceId,
          runId: exec.runId,
          stepId: exec.stepId,
          attempt: exec.attempt,
          flow: exec.flow ?? "",
          model: lastModel,
          ...totals,
          at: new Date(clock.now()),
        });
      }
    }
  }

  interface ConversationState {
    toolCallsRun: number;
  }

  async function converse(c: {
    exec: AgentExecution;
    model: ModelConfig;
    client: OpenAI;
    messages: ChatCompletionMessageParam[];
    prompt: ReturnType<typeof buildTaskPrompt>;
    tools: BlockDefinition[];
    decisions: AgentDecision[];
    totals: { tokensIn: number; tokensOut: number; costUsd: number };
    budgets: BudgetState[];
    state: ConversationState;
    policy: PiiPolicy;
    logCtx: Record<string, unknown>;
  }): Promise<Record<string, unknown>> {
    const { model: m, messages, prompt } = c;
    const toolDefs = new Map(c.tools.map((b) => [toolName(b), b]));
    const openAiTools: ChatCompletionFunctionTool[] = c.tools.map((b) => ({
      type: "function",
      function: {
        name: toolName(b),
        description: `${b.title}: ${b.docs}`.slice(0, 1000),
        parameters: b.inputSchema,
      },
    }));
    const responseFormat: ChatRequest["responseFormat"] =
      m.capabilities.json === "json_schema"
        ? {
            type: "json_schema",
            json_schema: {
              name: prompt.block.id.replace(/\./g, "_"),
              schema: prompt.answerSchema,
              strict: false,
            },
          }
        : m.capabilities.json === "json_object"
          ? { type: "json_object" }
          : undefined;
    let calls = 0;
    const call = async (toolChoice?: "auto" | "none"): Promise<ChatResponse> => {
      // Later calls of the same attempt (tool rounds, the repair request) must fit the budgets too.
      if (calls++ > 0) checkBudget(m, messages, c.budgets, c.totals);
      const r = await chatOnce(
        c.client,
        m,
        {
          messages,
          maxTokens: m.maxTokens,
          responseFormat,
          ...(openAiTools.length ? { tools: openAiTools, toolChoice } : {}),
        },
        c.exec.signal,
      );
      c.totals.tokensIn += r.tokensIn;
      c.totals.tokensOut += r.tokensOut;
      c.totals.costUsd += costUsd(m, r.tokensIn, r.tokensOut);
      return r;
    };

    // Tool loop: at most maxToolCalls executed; past the bound the model must answer.
    let r = await call(openAiTools.length ? "auto" : undefined);
    let limitReached = false;
    let rounds = 0;
    while (r.toolCalls.length) {
      if (limitReached || ++rounds > maxToolCalls + 1) {
        throw new NonRetryableError(
          `${m.name} kept calling tools after the limit of ${maxToolCalls} tool calls per step.`,
          {
            classification: { category: "validation", severity: "medium" },
            detail: { limit: maxToolCalls },
          },
        );
      }
      messages.push({
        role: "assistant",
        content: r.content,
        tool_calls: r.toolCalls.map((t) => ({
          id: t.id,
          type: "function" as const,
          function: { name: t.name, arguments: t.arguments },
        })),
      });
      for (const t of r.toolCalls) {
        let result: unknown;
        const def = toolDefs.get(t.name);
        if (c.state.toolCallsRun >= maxToolCalls) {
          limitReached = true;
          result = {
            error: `Tool call limit of ${maxToolCalls} per step reached. Answer now with what you have.`,
          };
        } else if (!def || !opts.toolExecutor) {
          result = { error: `Unknown tool ${t.name}.` };
        } else {
          result = await runTool(c, def, t.arguments);
        }
        messages.push({ role: "tool", tool_call_id: t.id, content: JSON.stringify(result) });
      }
      r = await call(limitReached ? "none" : "auto");
    }
    if (c.tools.length && (c.state.toolCallsRun > 0 || limitReached)) {
      c.decisions.push({
        type: "tools",
        calls: c.state.toolCallsRun,
        limit: maxToolCalls,
        limitReached,
      });
    }

    // Validation: structural repair, then one repair request, then a validation error.
    const validate = validatorFor(prompt.answerSchema);
    const check = (text: string | null) => {
      const parsed = repairJson(text ?? "");
      if (!parsed.ok)
        return { ok: false as const, errors: [`(root): ${parsed.error}`], changes: parsed.changes };
      if (!validate(parsed.value)) {
        return {
          ok: false as const,
          errors: describeErrors(validate.errors),
          changes: parsed.changes,
        };
      }
      return {
        ok: true as const,
        value: parsed.value as Record<string, unknown>,
        changes: parsed.changes,
        repaired: parsed.repaired,
      };
    };
    const first = check(r.content);
    if (first.ok) {
      if (first.repaired)
        c.decisions.push({ type: "repair", stage: "structural", changes: first.changes });
      return prompt.finish(first.value);
    }
    c.decisions.push({
      type: "repair",
      stage: "request",
      changes: first.changes,
      errors: first.errors,
    });
    messages.push({ role: "assistant", content: r.content ?? "" });
    messages.push({
      role: "user",
      content: `Your answer is not valid:\n${first.errors.map((e) => `- ${e}`).join("\n")}\nReply with the corrected JSON object only.`,
    });
    const second = check((await call(openAiTools.length ? "none" : undefined)).content);
    if (second.ok) return prompt.finish(second.value);
    const fields = errorFields(second.errors);
    throw new AgentOutputError(
      `${m.name} returned an invalid answer for ${prompt.block.id} even after a repair request: ${second.errors.join("; ")}`,
      fields,
      second.errors,
    );
  }

  async function runTool(
    c: {
      exec: AgentExecution;
      state: { toolCallsRun: number };
      policy: PiiPolicy;
      decisions: AgentDecision[];
      logCtx: Record<string, unknown>;
    },
    def: BlockDefinition,
    rawArgs: string,
  ): Promise<unknown> {
    const parsed = repairJson(rawArgs || "{}");
    if (!parsed.ok || typeof parsed.value !== "object" || parsed.value === null) {
      return { error: "The arguments are not a JSON object." };
    }
    const v = validatorFor(def.inputSchema);
    if (!v(parsed.value))
      return { error: `Invalid arguments: ${describeErrors(v.errors).join("; ")}` };
    const n = c.state.toolCallsRun++;
    try {
      const out = await opts.toolExecutor!.execute(
        {
          block: { id: def.id, version: def.version, major: Number(def.version.split(".")[0]) },
          inputs: parsed.value as Record<string, unknown>,
          idempotencyKey: `${c.exec.idempotencyKey}:tool:${n}`,
        },
        c.exec,
      );
      const g = guardPii(out, c.policy, "tool");
      record(g.decision, c.decisions, c.logCtx);
      if (g.decision.action === "blocked")
        return { error: "The result contains personal data and the PII policy is block." };
      return { output: g.value };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  function guard<T>(
    value: T,
    policy: PiiPolicy,
    where: PiiDecision["where"],
    decisions: AgentDecision[],
    logCtx: Record<string, unknown>,
  ): T {
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
  }

  function record(d: PiiDecision, decisions: AgentDecision[], logCtx: Record<string, unknown>) {
    if (d.action === "none") return;
    decisions.push(d);
    // Kinds and counts only: the values never reach the logs.
    log.info(
      { ...logCtx, where: d.where, policy: d.policy, action: d.action, counts: d.counts },
      "agent PII decision",
    );
  }

  async function remember(
    exec: AgentExecution,
    flow: string | undefined,
    blockId: string,
    output: Record<string, unknown>,
  ) {
    if (!opts.memory || !rememberContext || !flow) return;
    try {
      await opts.memory.remember({
        workspaceId: exec.workspaceId,
        flow,
        kind: "context",
        key: `${exec.runId}:${exec.stepId}`,
        content: `${blockId} (${exec.stepId}): ${JSON.stringify(output)}`.slice(0, 2000),
      });
    } catch (err) {
      log.warn(
        { runId: exec.runId, stepId: exec.stepId, error: (err as Error).message },
        "agent memory write failed",
      );
    }
  }

  function piiPolicyOf(block: BlockDefinition, exec: AgentExecution): PiiPolicy {
    const props = (block.inputSchema.properties ?? {}) as Record<string, unknown>;
    const fromInputs = "pii" in props ? exec.inputs.pii : undefined;
    const ok = (p: unknown): p is PiiPolicy => p === "redact" || p === "block" || p === "allow";
    if (ok(fromInputs)) return fromInputs;
    if (ok(exec.pii)) return exec.pii;
    return opts.pii ?? "redact";
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

/** Facts first (nearest flow wins on a key), then recent context, within `maxChars`. */
export function renderMemory(items: MemoryItem[], maxChars: number): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  const ordered = [
    ...items.filter((i) => i.kind === "fact"),
    ...items.filter((i) => i.kind === "context"),
  ];
  let used = 0;
  for (const i of ordered) {
    if (i.kind === "fact") {
      if (seen.has(i.key)) continue;
      seen.add(i.key);
    }
    const line = i.kind === "fact" ? `- fact ${i.key}: ${i.content}` : `- recent: ${i.content}`;
    if (used + line.length + 1 > maxChars) break;
    lines.push(line);
    used += line.length + 1;
  }
  return lines.join("\n");
}

function fallsOver(e: Error): boolean {
  if (!(e instanceof EngineError)) return false;
  if (e instanceof AgentOutputError) return false;
  if (e.retryable) return true;
  // A bad key or a forbidden model is that model's problem: another one may work.
  const auth = e.classification.category === "auth" || e.classification.category === "authz";
  return auth && !("pii" in (e.detail ?? {}));
}

function combine(failures: Error[], tried: Array<{ model: string; outcome: string }>): Error {
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

function noCandidateError(
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

function checkBudget(
  m: ModelConfig,
  messages: ChatCompletionMessageParam[],
  budgets: BudgetState[],
  totals: { costUsd: number },
) {
  const est = estimateCostUsd(m, estimateTokens(JSON.stringify(messages).length));
  const over = budgets.find((b) => b.spentUsd + totals.costUsd + est > b.limitUsd);
  if (over) {
    throw new NonRetryableError(
      `The ${over.name} of $${over.limitUsd} would be exceeded by another call to ${m.name} in this step.`,
      {
        classification: { category: "validation", severity: "high" },
        detail: { budget: over.name, limitUsd: over.limitUsd },
      },
    );
  }
}
