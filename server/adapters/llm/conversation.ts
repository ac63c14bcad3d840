/**
 * One conversation with one model for one step attempt: the calls (response format, tools,
 * budgets checked before every further call, usage counted), the tool loop, then the answer's
 * validation.
 */
import type OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { BlockDefinition } from "@/dsl";
import type { AgentExecution, AgentToolExecutor, PiiPolicy } from "@/server/domain/agent/ports";
import { checkBudget, type UsageTotals } from "./agent-budgets";
import type { PiiGuard } from "./agent-pii";
import { settleAnswer } from "./answer-check";
import { chatOnce, type ChatRequest, type ChatResponse } from "./chat-client";
import type { ModelConfig } from "./config";
import { promptHashOf } from "./demo-model/scripted-hash";
import type { AgentDecision } from "./ports";
import { costUsd, type BudgetState } from "./router";
import type { TaskPrompt } from "./tasks";
import { openAiTools, runToolLoop, type ToolState } from "./tool-loop";

export interface Conversation {
  exec: AgentExecution;
  model: ModelConfig;
  client: OpenAI;
  /** The conversation so far; grows with tool rounds and the repair request. */
  messages: ChatCompletionMessageParam[];
  prompt: TaskPrompt;
  /** The blocks this model may call (none when it has no tool capability). */
  tools: BlockDefinition[];
  toolExecutor: AgentToolExecutor | undefined;
  maxToolCalls: number;
  decisions: AgentDecision[];
  totals: UsageTotals;
  budgets: BudgetState[];
  state: ToolState;
  pii: PiiGuard;
  policy: PiiPolicy;
  logCtx: Record<string, unknown>;
}

/** How the model is asked for JSON: its schema, any JSON object, or only by the prompt. */
function responseFormatOf(m: ModelConfig, prompt: TaskPrompt): ChatRequest["responseFormat"] {
  return m.capabilities.json === "json_schema"
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
}

/** Runs the conversation to a valid, finished answer (or throws). */
export async function converse(c: Conversation): Promise<Record<string, unknown>> {
  const { model: m, messages, prompt } = c;
  const tools = openAiTools(c.tools);
  const responseFormat = responseFormatOf(m, prompt);
  let calls = 0;
  const call = async (toolChoice?: "auto" | "none"): Promise<ChatResponse> => {
    // Later calls of the same attempt (tool rounds, the repair request) must fit the budgets too.
    if (calls++ > 0) checkBudget(m, messages, c.budgets, c.totals);
    // Recorded with the attempt (issue 16): a sandbox session replays it by prompt hash.
    const hash = c.exec.request?.answers ? promptHashOf(messages) : undefined;
    const r = await chatOnce(
      c.client,
      m,
      {
        messages,
        maxTokens: m.maxTokens,
        responseFormat,
        ...(tools.length ? { tools, toolChoice } : {}),
      },
      c.exec.signal,
    );
    c.totals.tokensIn += r.tokensIn;
    c.totals.tokensOut += r.tokensOut;
    c.totals.costUsd += costUsd(m, r.tokensIn, r.tokensOut);
    if (hash) {
      c.exec.request?.answers?.add({
        promptHash: hash,
        model: m.model,
        content: r.content,
        tokensIn: r.tokensIn,
        tokensOut: r.tokensOut,
      });
    }
    return r;
  };

  const first = await call(tools.length ? "auto" : undefined);
  const r = await runToolLoop(
    {
      exec: c.exec,
      modelName: m.name,
      tools: c.tools,
      toolExecutor: c.toolExecutor,
      maxToolCalls: c.maxToolCalls,
      messages,
      state: c.state,
      pii: c.pii,
      policy: c.policy,
      decisions: c.decisions,
      logCtx: c.logCtx,
    },
    first,
    call,
  );
  return settleAnswer({
    modelName: m.name,
    prompt,
    content: r.content,
    messages,
    decisions: c.decisions,
    ask: async () => (await call(tools.length ? "none" : undefined)).content,
  });
}
