/**
 * One chat completion through the official `openai` SDK against any OpenAI-compatible server,
 * streamed or not, with SDK errors mapped to the engine's error classes. The SDK never retries
 * (`maxRetries: 0`): retries belong to the engine, fallbacks to the agent runtime.
 */
import OpenAI, { AzureOpenAI } from "openai";
import type {
  ChatCompletionCreateParamsBase,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import {
  EngineError,
  NonRetryableError,
  RetryAfterError,
  TimeoutError,
} from "@/server/engine/errors";
import type { ModelConfig } from "./config";
import { demoModelFetch, isDemoModelUrl } from "./demo-model/in-process";
import { MODEL_DEFAULT_TIMEOUT_MS } from "./model-egress";
import { estimateTokens } from "./router";

export interface ChatRequest {
  messages: ChatCompletionMessageParam[];
  tools?: ChatCompletionFunctionTool[];
  toolChoice?: "auto" | "none";
  responseFormat?: ChatCompletionCreateParamsBase["response_format"];
  maxTokens: number;
}

export interface ToolCallRequest {
  id: string;
  name: string;
  /** The raw JSON text of the arguments, as the model wrote it. */
  arguments: string;
}

export interface ChatResponse {
  content: string | null;
  toolCalls: ToolCallRequest[];
  finishReason: string | null;
  tokensIn: number;
  tokensOut: number;
  /** True when the server reported no usage and the counts are chars/4 estimates. */
  usageEstimated: boolean;
}

/** SDK clients kept by one cache (per workspace, model and key); the oldest goes first. */
const MAX_CLIENTS = 256;
/** The SDK's own timeout waits this much longer than the guard's, which ends a call first. */
const SDK_TIMEOUT_SLACK_MS = 1000;

/** Where the SDK's requests go: the built-in demo model in-process, or a real model's fetch. */
export interface ClientCacheOptions {
  /**
   * The fetch of real model `m` called for `workspaceId`: the egress guard bound to the
   * workspace with the operator's entries (`modelEgress()`, `model-egress.ts`).
   */
  fetchFor?: (m: ModelConfig, workspaceId: string) => typeof fetch;
  /** One fetch for every real model (tests, in-process modes); `fetchFor` wins. */
  fetch?: typeof fetch;
}

/** The fetch of a cache with neither option: a real model is not called at all. */
const noEgress: typeof fetch = () =>
  Promise.reject(
    new NonRetryableError(
      "model calls have no egress guard here: real models are not called (only the built-in demo model answers)",
      { classification: { category: "system", severity: "high" } },
    ),
  );

/**
 * Builds (and caches, bounded) an SDK client per workspace, model and key. The built-in demo
 * model (`demo-model://…`) gets a `fetch` that serves it in-process: the same SDK, no socket.
 * Every other model is called through `opts.fetchFor` (the egress guard; its timeout is the
 * model's `timeoutMs`, the SDK's a second later as a backstop) or `opts.fetch`; with neither,
 * it is not called (a clear error), never through an unguarded global fetch.
 */
export function createClientCache(opts: ClientCacheOptions = {}) {
  const cache = new Map<string, OpenAI>();
  return (m: ModelConfig, apiKey: string | undefined, workspaceId?: string): OpenAI => {
    const demo = isDemoModelUrl(m.baseURL);
    if (!demo && opts.fetchFor && workspaceId === undefined) {
      throw new NonRetryableError(`model ${m.name} was asked for without the run's workspace`, {
        classification: { category: "system", severity: "high" },
      });
    }
    const key = `${opts.fetchFor && !demo ? workspaceId : ""}\u0000${m.name}\u0000${apiKey ?? ""}`;
    let client = cache.get(key);
    if (client) {
      // Most recently used last: the oldest entry is the first one dropped.
      cache.delete(key);
    } else {
      const fetch = demo
        ? demoModelFetch
        : opts.fetchFor
          ? opts.fetchFor(m, workspaceId!)
          : (opts.fetch ?? noEgress);
      const timeout =
        (m.timeoutMs ?? MODEL_DEFAULT_TIMEOUT_MS) + (opts.fetchFor ? SDK_TIMEOUT_SLACK_MS : 0);
      const common = { maxRetries: 0, timeout, fetch };
      client =
        m.provider === "azure"
          ? new AzureOpenAI({
              ...common,
              endpoint: m.baseURL,
              apiKey,
              apiVersion: m.apiVersion,
              deployment: m.model,
            })
          : new OpenAI({
              ...common,
              baseURL: m.baseURL ?? "https://api.openai.com/v1",
              // Local servers (Ollama, vLLM) ignore the key, but the SDK wants a non-empty one.
              apiKey: apiKey || "not-needed",
            });
      if (cache.size >= MAX_CLIENTS) cache.delete(cache.keys().next().value!);
    }
    cache.set(key, client);
    return client;
  };
}

/** Sends one request; assembles a streamed answer when the model is configured with `stream`. */
export async function chatOnce(
  client: OpenAI,
  m: ModelConfig,
  req: ChatRequest,
  signal: AbortSignal,
): Promise<ChatResponse> {
  const body: ChatCompletionCreateParamsBase = {
    model: m.model,
    messages: req.messages,
    ...(m.provider === "openai" || m.provider === "azure"
      ? { max_completion_tokens: req.maxTokens }
      : { max_tokens: req.maxTokens }),
    ...(m.temperature !== undefined ? { temperature: m.temperature } : {}),
    ...(req.responseFormat ? { response_format: req.responseFormat } : {}),
    ...(req.tools?.length ? { tools: req.tools, tool_choice: req.toolChoice ?? "auto" } : {}),
  };
  const promptChars = JSON.stringify(req.messages).length;
  try {
    if (!m.stream) {
      const r = await client.chat.completions.create({ ...body, stream: false }, { signal });
      const choice = r.choices[0];
      const content = choice?.message?.content ?? null;
      const toolCalls = (choice?.message?.tool_calls ?? []).flatMap((c) =>
        c.type === "function"
          ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }]
          : [],
      );
      return {
        content,
        toolCalls,
        finishReason: choice?.finish_reason ?? null,
        ...usageOf(r.usage, promptChars, (content ?? "") + JSON.stringify(toolCalls)),
      };
    }
    const stream = await client.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      { signal },
    );
    let content = "";
    let sawContent = false;
    let finishReason: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      if (choice.delta?.content) {
        content += choice.delta.content;
        sawContent = true;
      }
      for (const d of choice.delta?.tool_calls ?? []) {
        const c = (calls[d.index] ??= { id: "", name: "", arguments: "" });
        if (d.id) c.id = d.id;
        if (d.function?.name) c.name += d.function.name;
        if (d.function?.arguments) c.arguments += d.function.arguments;
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    const toolCalls = calls.filter(Boolean);
    return {
      content: sawContent ? content : null,
      toolCalls,
      finishReason,
      ...usageOf(usage, promptChars, content + JSON.stringify(toolCalls)),
    };
  } catch (err) {
    throw mapLlmError(err, m, signal);
  }
}

function usageOf(
  usage: OpenAI.CompletionUsage | null | undefined,
  promptChars: number,
  completion: string,
) {
  if (usage) {
    return {
      tokensIn: usage.prompt_tokens ?? 0,
      tokensOut: usage.completion_tokens ?? 0,
      usageEstimated: false,
    };
  }
  return {
    tokensIn: estimateTokens(promptChars),
    tokensOut: estimateTokens(completion.length),
    usageEstimated: true,
  };
}

/** Milliseconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers?.get("retry-after");
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Maps an SDK failure to the engine's classes:
 * 429 -> RetryAfterError (Retry-After, default 1 s); 5xx, 408, 409 and connection errors ->
 * retryable `integration`; 401/403 -> non-retryable `auth`/`authz`; other 4xx -> non-retryable
 * `validation`; SDK timeouts -> TimeoutError (`performance`); an abort by the engine rethrows
 * the signal's reason; an engine error of the fetch (the egress guard's refusal) as it is.
 */
export function mapLlmError(err: unknown, m: ModelConfig, signal?: AbortSignal): Error {
  const who = `model ${m.name} (${m.provider} ${m.model})`;
  const detail = (status?: number) => ({ model: m.name, provider: m.provider, status });
  if (err instanceof EngineError) return err;
  if (err instanceof OpenAI.APIUserAbortError || signal?.aborted) {
    const reason: unknown = signal?.reason;
    if (reason instanceof Error && reason.name !== "AbortError") return reason;
    return new EngineError(`The call to ${who} was aborted.`, true, {
      severity: "low",
      category: "performance",
    });
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new TimeoutError(m.timeoutMs ?? MODEL_DEFAULT_TIMEOUT_MS, {
      cause: err,
      detail: detail(),
    });
  }
  // The fetch's own refusal (the egress guard's, or no guard at all) as it is, not "could not reach".
  if (err instanceof OpenAI.APIConnectionError && err.cause instanceof EngineError) {
    return err.cause;
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new EngineError(
      `Could not reach ${who} at ${m.baseURL ?? "api.openai.com"}: ${err.message}`,
      true,
      {
        severity: "medium",
        category: "integration",
      },
      { cause: err, detail: detail() },
    );
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    const msg = `${who} answered ${status}: ${err.message}`;
    if (status === 429) {
      return new RetryAfterError(retryAfterMs(err.headers) ?? 1000, msg, {
        cause: err,
        detail: detail(status),
      });
    }
    if (status === 401) {
      return new NonRetryableError(
        `${msg}. Check the key in ${m.apiKeyEnv ?? "the API key variable"}.`,
        {
          classification: { category: "auth", severity: "high" },
          cause: err,
          detail: detail(status),
        },
      );
    }
    if (status === 403) {
      return new NonRetryableError(msg, {
        classification: { category: "authz", severity: "high" },
        cause: err,
        detail: detail(status),
      });
    }
    if (status !== undefined && (status >= 500 || status === 408 || status === 409)) {
      return new EngineError(
        msg,
        true,
        { severity: "medium", category: "integration" },
        {
          cause: err,
          detail: detail(status),
        },
      );
    }
    return new NonRetryableError(msg, {
      classification: { category: "validation", severity: "medium" },
      cause: err,
      detail: detail(status),
    });
  }
  if (err instanceof SyntaxError) {
    // A server that is not OpenAI-compatible (HTML error page, broken SSE).
    return new EngineError(
      `${who} sent a response that is not valid JSON: ${err.message}`,
      true,
      {
        severity: "medium",
        category: "integration",
      },
      { cause: err, detail: detail() },
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
