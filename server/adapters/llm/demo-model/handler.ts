/**
 * The demo model's OpenAI-compatible endpoint, as a `Request -> Response` handler: served over
 * HTTP under `/api/demo-model/v1/…` and in-process at `demo-model://trustflow/v1/…` (see
 * `in-process.ts`). Routes:
 *
 * - `POST chat/completions`: plain (`chat.completion`) or streamed (SSE `chat.completion.chunk`
 *   events, then `data: [DONE]`), `usage` reported (in the last chunk with
 *   `stream_options.include_usage`, as OpenAI does);
 * - `GET models` and `GET models/trustflow-demo`.
 *
 * Bad requests get OpenAI-shaped errors (`{ "error": { message, type, param, code } }`): 400 for
 * an invalid body, 404 for another model or path, 405 for another method, 413 past the body limit.
 * Stateless: it stores nothing and calls nothing.
 */
import { z } from "zod";
import { readBoundedBody } from "@/server/http/read-bounded-body";
import {
  answerChat,
  countTokens,
  streamPieces,
  type AnswerFormat,
  type AnswerMessage,
} from "./answer";
import {
  answerFromScript,
  parseScriptedModel,
  SCRIPTED_MODEL_PREFIX,
  type ScriptedAnswer,
  type ScriptedMode,
} from "./scripted";
import { DEMO_MODEL_ID } from "./constants";

/** Request bodies above this are refused (413) as they stream in. */
export const MAX_DEMO_BODY_BYTES = 1024 * 1024;
/** Characters of a `json_schema.schema`, at most. */
export const MAX_DEMO_SCHEMA_CHARS = 100_000;
/** Nesting depth of a request body, at most. */
export const MAX_DEMO_BODY_DEPTH = 64;
/** Output tokens when the request sets no `max_tokens`/`max_completion_tokens`. */
export const DEFAULT_DEMO_MAX_TOKENS = 4096;

/** Fixed so `/v1/models` is the same on every start (2025-01-01T00:00:00Z). */
const MODEL_CREATED = 1735689600;

export interface DemoModelOptions {
  /** Seconds since the epoch for `created` (tests pin it). Default: now. */
  nowSeconds?: () => number;
  /**
   * The scripted mode (issue 16, `scripted.ts`): `model: "scripted/<id>"` is answered from the
   * script. Unset (the HTTP route): a scripted model is answered 404.
   */
  scripted?: ScriptedMode;
}

type ErrorType = "invalid_request_error" | "not_found_error";

function openAiError(
  status: number,
  message: string,
  opts: {
    type?: ErrorType;
    param?: string | null;
    code?: string | null;
    headers?: HeadersInit;
  } = {},
): Response {
  return Response.json(
    {
      error: {
        message,
        type: opts.type ?? "invalid_request_error",
        param: opts.param ?? null,
        code: opts.code ?? null,
      },
    },
    { status, headers: { "cache-control": "no-store", ...opts.headers } },
  );
}

const nullish = <T extends z.ZodType>(t: T) => t.nullable().optional();

const ZContentPart = z
  .object({ type: z.string().max(100), text: z.string().optional() })
  .loose()
  .refine((p) => p.type === "text" && typeof p.text === "string", {
    message: "the demo model reads text parts only ({ type: 'text', text })",
  });

const ZMessage = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant", "tool", "function"], {
      error: "must be one of system, developer, user, assistant, tool",
    }),
    content: nullish(z.union([z.string(), z.array(ZContentPart).max(1000)])),
  })
  .loose();

const ZResponseFormat = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("text") }).loose(),
    z.object({ type: z.literal("json_object") }).loose(),
    z
      .object({
        type: z.literal("json_schema"),
        json_schema: z
          .object({
            name: z
              .string()
              .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 letters, digits, _ or -"),
            description: z.string().optional(),
            schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]).optional(),
            strict: nullish(z.boolean()),
          })
          .loose(),
      })
      .loose(),
  ],
  { error: "must be { type: text | json_object | json_schema }" },
);

const tokens = z.number().int().min(1).max(1_000_000);

const ZChatRequest = z
  .object({
    model: z.string().min(1).max(200),
    messages: z.array(ZMessage).min(1, "must hold at least one message").max(2048),
    stream: nullish(z.boolean()),
    stream_options: nullish(z.object({ include_usage: z.boolean().optional() }).loose()),
    max_tokens: nullish(tokens),
    max_completion_tokens: nullish(tokens),
    n: nullish(z.literal(1, { error: "the demo model answers one choice: n must be 1" })),
    temperature: nullish(z.number().min(0).max(2)),
    top_p: nullish(z.number().min(0).max(1)),
    seed: nullish(z.number().int()),
    response_format: ZResponseFormat.optional(),
    // Accepted and ignored: the demo model never calls tools.
    tools: z.array(z.unknown()).max(128).optional(),
    tool_choice: z.unknown().optional(),
  })
  .loose();

type ChatRequest = z.output<typeof ZChatRequest>;

/** `messages[0].role`, as the error's `param`. */
function paramOf(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`))
    .join("");
}

/** The value at `path` in `doc`, or undefined. */
function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let cur = doc;
  for (const key of path) {
    if (!cur || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Deeper than `max` (arrays and objects), checked without recursion. */
function tooDeep(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) return true;
    if (v && typeof v === "object") {
      for (const child of Object.values(v as object)) {
        if (child && typeof child === "object") stack.push([child, d + 1]);
      }
    }
  }
  return false;
}

function textOf(content: ChatRequest["messages"][number]["content"]): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => String(p.text ?? "")).join("\n");
  return "";
}

function modelObject() {
  return { id: DEMO_MODEL_ID, object: "model", created: MODEL_CREATED, owned_by: "trustflow" };
}

/**
 * Answers one request to the demo model's API. `path` is what follows `/v1/`
 * (`chat/completions`, `models`, `models/<id>`).
 */
export async function handleDemoModel(
  req: Request,
  path: string,
  opts: DemoModelOptions = {},
): Promise<Response> {
  const route = path.replace(/^\/+|\/+$/g, "");
  if (route === "models" || route.startsWith("models/")) {
    if (req.method !== "GET")
      return openAiError(405, `Method ${req.method} is not allowed on /v1/${route}.`, {
        headers: { allow: "GET" },
      });
    if (route === "models") {
      return Response.json(
        { object: "list", data: [modelObject()] },
        { headers: { "cache-control": "no-store" } },
      );
    }
    const id = decodeURIComponent(route.slice("models/".length));
    return id === DEMO_MODEL_ID
      ? Response.json(modelObject(), { headers: { "cache-control": "no-store" } })
      : modelNotFound(id);
  }
  if (route !== "chat/completions") {
    return openAiError(404, `Unknown request URL: ${req.method} /v1/${route}.`, {
      type: "not_found_error",
      code: "unknown_url",
    });
  }
  if (req.method !== "POST") {
    return openAiError(405, `Method ${req.method} is not allowed on /v1/chat/completions.`, {
      headers: { allow: "POST" },
    });
  }

  const body = await readBoundedBody(req, MAX_DEMO_BODY_BYTES, {
    answer: (message) => openAiError(413, message, { code: "request_too_large" }),
  });
  if (!body.ok) return body.response;
  let doc: unknown;
  try {
    doc = JSON.parse(body.text());
  } catch (e) {
    return openAiError(400, `The body is not valid JSON: ${(e as Error).message}`, {
      code: "invalid_json",
    });
  }
  if (tooDeep(doc, MAX_DEMO_BODY_DEPTH)) {
    return openAiError(400, `The body is nested deeper than ${MAX_DEMO_BODY_DEPTH} levels.`, {
      code: "too_deep",
    });
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    return openAiError(400, "The body must be a JSON object.", { code: "invalid_body" });
  }
  const parsed = ZChatRequest.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = paramOf(issue.path);
    const missing = valueAt(doc, issue.path) === undefined;
    return openAiError(
      400,
      missing
        ? `Missing required parameter: '${param}'.`
        : `Invalid value for '${param || "body"}': ${issue.message}`,
      { param: param || null, code: missing ? "missing_required_parameter" : "invalid_value" },
    );
  }
  const r = parsed.data;
  const scriptedModel = parseScriptedModel(r.model);
  if (r.model.startsWith(SCRIPTED_MODEL_PREFIX) && (!scriptedModel || !opts.scripted)) {
    return openAiError(
      404,
      `The model '${r.model.slice(0, 200)}' does not exist here: scripted models (scripted/<id>) are served to sandbox session runs only.`,
      { param: "model", code: "model_not_found" },
    );
  }
  if (!scriptedModel && r.model !== DEMO_MODEL_ID) return modelNotFound(r.model);

  let format: AnswerFormat = { type: "text" };
  const rf = r.response_format;
  if (rf?.type === "json_object") format = { type: "json_object" };
  if (rf?.type === "json_schema") {
    const schema = rf.json_schema.schema ?? { type: "object" };
    if (JSON.stringify(schema).length > MAX_DEMO_SCHEMA_CHARS) {
      return openAiError(
        400,
        `response_format.json_schema.schema is larger than ${MAX_DEMO_SCHEMA_CHARS} characters.`,
        { param: "response_format.json_schema.schema", code: "schema_too_large" },
      );
    }
    format = { type: "json_schema", schema };
  }
  const messages: AnswerMessage[] = r.messages.map((m) => ({
    role: m.role,
    text: textOf(m.content),
  }));
  let scripted: ScriptedAnswer | null = null;
  if (scriptedModel && opts.scripted) {
    const mode = opts.scripted;
    const script = await mode.source.load(scriptedModel.scriptId);
    if (!script) {
      return openAiError(
        404,
        `The scripted model '${scriptedModel.scriptId}' does not exist in this workspace.`,
        { param: "model", code: "model_not_found" },
      );
    }
    const key = `${scriptedModel.scriptId}\u0000${mode.counterKey ?? ""}`;
    scripted = answerFromScript(script, messages, scriptedModel.model, (k) =>
      mode.counter.next(`${key}\u0000${k}`),
    );
    if (scripted.source === "fallback" && scripted.fallback === "error") {
      return openAiError(
        422,
        `The scripted model '${scriptedModel.scriptId}' has no answer for this prompt (no recorded answer, no rule matched) and its fallback is error.`,
        { code: "no_scripted_answer" },
      );
    }
  }
  let answer: ReturnType<typeof answerChat>;
  if (scripted && scripted.source !== "fallback") {
    answer = {
      id: `chatcmpl-scripted-${scripted.source}-${scripted.source === "recorded" ? scripted.repetition : scripted.rule}`,
      content: scripted.content,
      finishReason: "stop",
      promptTokens: messages.reduce((n, m) => n + countTokens(m.text), 0),
      completionTokens: countTokens(scripted.content),
    };
  } else
    try {
      answer = answerChat({
        model: r.model,
        messages,
        format,
        maxTokens: r.max_completion_tokens ?? r.max_tokens ?? DEFAULT_DEMO_MAX_TOKENS,
        ...(typeof r.seed === "number" ? { seed: r.seed } : {}),
      });
    } catch (e) {
      return openAiError(
        400,
        `Invalid schema for response_format '${rf?.type === "json_schema" ? rf.json_schema.name : "json_object"}': ${(e as Error).message}`,
        { param: "response_format", code: "invalid_json_schema" },
      );
    }

  const created = Math.floor(opts.nowSeconds?.() ?? Date.now() / 1000);
  const usage = {
    prompt_tokens: answer.promptTokens,
    completion_tokens: answer.completionTokens,
    total_tokens: answer.promptTokens + answer.completionTokens,
  };
  const common = {
    id: answer.id,
    created,
    model: scriptedModel ? r.model : DEMO_MODEL_ID,
    system_fingerprint: "trustflow-demo",
  };
  const headers: Record<string, string> = {
    "cache-control": "no-store",
    "x-request-id": answer.id,
    ...(scripted ? { "x-trustflow-scripted": scripted.source } : {}),
  };
  if (!r.stream) {
    return Response.json(
      {
        ...common,
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: answer.content, refusal: null },
            logprobs: null,
            finish_reason: answer.finishReason,
          },
        ],
        usage,
      },
      { headers },
    );
  }

  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ ...common, object: "chat.completion.chunk", choices, ...extra })}\n\n`;
  const events: string[] = [
    chunk([
      { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
    ]),
    ...streamPiecesOf(answer.content).map((piece) =>
      chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]),
    ),
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: answer.finishReason }]),
    ...(r.stream_options?.include_usage ? [chunk([], { usage })] : []),
    "data: [DONE]\n\n",
  ];
  const encoder = new TextEncoder();
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (req.signal.aborted || next >= events.length) {
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(events[next++]));
    },
  });
  return new Response(stream, {
    headers: { ...headers, "content-type": "text/event-stream; charset=utf-8" },
  });
}

function streamPiecesOf(content: string): string[] {
  return content ? streamPieces(content) : [];
}

function modelNotFound(id: string): Response {
  return openAiError(
    404,
    `The model '${id.slice(0, 200)}' does not exist: this endpoint serves '${DEMO_MODEL_ID}' (the demo model, no AI).`,
    { type: "invalid_request_error", param: "model", code: "model_not_found" },
  );
}
