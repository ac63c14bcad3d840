/**
 * The agent runtime's tool loop: registry blocks offered to the model as OpenAI functions, each
 * call validated and run through the tool executor (results PII-guarded), bounded per step
 * attempt; past the bound the model must answer.
 */
import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import type { BlockDefinition } from "@/dsl";
import type { AgentExecution, AgentToolExecutor, PiiPolicy } from "@/server/domain/agent/ports";
import { NonRetryableError } from "@/server/engine/errors";
import { repairJson } from "@/server/engine/runtimes/json-repair";
import type { PiiGuard } from "./agent-pii";
import type { ChatResponse } from "./chat-client";
import { guardPii } from "./pii";
import type { AgentDecision } from "./ports";
import { describeErrors, validatorFor } from "./tasks";

/** Function names allowed by OpenAI: `^[a-zA-Z0-9_-]{1,64}$`. */
export const toolName = (b: BlockDefinition) =>
  `${b.id.replace(/\./g, "_")}_v${b.version.split(".")[0]}`.slice(0, 64);

/** The blocks as OpenAI function tools. */
export function openAiTools(tools: BlockDefinition[]): ChatCompletionFunctionTool[] {
  return tools.map((b) => ({
    type: "function",
    function: {
      name: toolName(b),
      description: `${b.title}: ${b.docs}`.slice(0, 1000),
      parameters: b.inputSchema,
    },
  }));
}

/** Tool calls executed so far in this attempt with one model (a failover after one is unsafe). */
export interface ToolState {
  toolCallsRun: number;
}

export interface ToolLoopContext {
  exec: AgentExecution;
  modelName: string;
  tools: BlockDefinition[];
  toolExecutor: AgentToolExecutor | undefined;
  maxToolCalls: number;
  messages: ChatCompletionMessageParam[];
  state: ToolState;
  pii: PiiGuard;
  policy: PiiPolicy;
  decisions: AgentDecision[];
  logCtx: Record<string, unknown>;
}

/**
 * Answers the model's tool calls until it replies without any: at most `maxToolCalls` are
 * executed; past the bound each call gets an error and the model is asked to answer with
 * `toolChoice: "none"`; a model that still calls tools fails the step. Returns the last reply.
 */
export async function runToolLoop(
  c: ToolLoopContext,
  first: ChatResponse,
  call: (toolChoice: "auto" | "none") => Promise<ChatResponse>,
): Promise<ChatResponse> {
  const { maxToolCalls, messages } = c;
  const toolDefs = new Map(c.tools.map((b) => [toolName(b), b]));
  let r = first;
  let limitReached = false;
  let rounds = 0;
  while (r.toolCalls.length) {
    if (limitReached || ++rounds > maxToolCalls + 1) {
      throw new NonRetryableError(
        `${c.modelName} kept calling tools after the limit of ${maxToolCalls} tool calls per step.`,
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
      } else if (!def || !c.toolExecutor) {
        result = { error: `Unknown tool ${t.name}.` };
      } else {
        result = await runTool(c, c.toolExecutor, def, t.arguments);
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
  return r;
}

/** One tool call: arguments repaired and validated, the block run, its result PII-guarded. */
async function runTool(
  c: ToolLoopContext,
  toolExecutor: AgentToolExecutor,
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
    const out = await toolExecutor.execute(
      {
        block: { id: def.id, version: def.version, major: Number(def.version.split(".")[0]) },
        inputs: parsed.value as Record<string, unknown>,
        idempotencyKey: `${c.exec.idempotencyKey}:tool:${n}`,
      },
      c.exec,
    );
    const g = guardPii(out, c.policy, "tool");
    c.pii.record(g.decision, c.decisions, c.logCtx);
    if (g.decision.action === "blocked")
      return { error: "The result contains personal data and the PII policy is block." };
    return { output: g.value };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
