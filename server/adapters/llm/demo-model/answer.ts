/**
 * The demo model's answer to one chat completion request (pure, deterministic): the JSON Schema
 * the request carries (`response_format: json_schema`, or a schema written in the prompt with
 * `json_object`) gives a value built by `schema-values.ts`; without one the answer is plain text.
 * The seed is a hash of the model, the messages, the format and its schema (and `seed` when
 * given): the same request gets the same answer, streamed or not, whatever its `max_tokens` or
 * `temperature`.
 */
import { sha256Hex, seededRng } from "./rng";
import { answerForSchema, canonical, type PromptHints } from "./schema-values";

/** A message as the answer reads it: its role and its text. */
export interface AnswerMessage {
  role: string;
  text: string;
}

export type AnswerFormat =
  { type: "text" } | { type: "json_object" } | { type: "json_schema"; schema: unknown };

export interface AnswerRequest {
  model: string;
  messages: AnswerMessage[];
  format: AnswerFormat;
  /** Output token cap (`max_completion_tokens` or `max_tokens`). */
  maxTokens: number;
  seed?: number;
}

export interface Answer {
  /** `chatcmpl-…`, from the request's hash. */
  id: string;
  content: string;
  finishReason: "stop" | "length";
  promptTokens: number;
  completionTokens: number;
}

/** Characters of an answer's content, at most (a longer one is cut, `finish_reason: length`). */
export const MAX_ANSWER_CHARS = 256 * 1024;

const TOKEN_RE = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

/**
 * Tokens as the demo model counts them: each run of letters, digits and `_`, and each other
 * non-space character (punctuation, braces, quotes). Deterministic, close enough to real
 * tokenizers for budgets and usage reports.
 */
export function countTokens(text: string): number {
  let n = 0;
  TOKEN_RE.lastIndex = 0;
  while (TOKEN_RE.exec(text)) n++;
  return n;
}

/** `text` cut after its first `max` tokens. */
function cutTokens(text: string, max: number): string {
  if (max <= 0) return "";
  TOKEN_RE.lastIndex = 0;
  let n = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN_RE.exec(text))) {
    if (++n === max) return text.slice(0, m.index + m[0].length);
  }
  return text;
}

// As the agent blocks quote data (`<<<\n…\n>>>`); a mention of "<<< and >>>" in prose is not data.
const DATA_RE = /<<<\n([\s\S]*?)\n>>>/g;

/** The prompt's data (quoted `<<< … >>>` sections, else the last user message) and the rest. */
export function promptHints(messages: AnswerMessage[]): PromptHints {
  const data: string[] = [];
  const context: string[] = [];
  for (const m of messages) {
    if (m.role === "assistant") continue;
    context.push(m.text.replace(DATA_RE, (_all, inner: string) => (data.push(inner), " ")));
  }
  if (!data.length) {
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    if (lastUser) data.push(lastUser.text);
  }
  return { data: data.join("\n"), context: context.join("\n") };
}

/**
 * With `json_object`, a JSON Schema written in the prompt (`… JSON Schema:\n{…}`, as the agent
 * blocks write it for models without structured outputs) shapes the answer.
 */
export function schemaInPrompt(messages: AnswerMessage[]): unknown {
  for (const m of messages) {
    if (m.role === "assistant") continue;
    const at = m.text.search(/JSON Schema[^\n{]*\n?\s*\{/i);
    if (at < 0) continue;
    const start = m.text.indexOf("{", at);
    const json = balancedObject(m.text, start);
    if (!json) continue;
    try {
      const v = JSON.parse(json) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v;
    } catch {
      /* not JSON after all */
    }
  }
  return undefined;
}

/** The `{…}` starting at `start`, strings and escapes respected; null if it never closes. */
function balancedObject(text: string, start: number): string | null {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length && i - start < 200_000; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

function plainText(hints: PromptHints): string {
  const words = hints.data.split(/\s+/).filter(Boolean).slice(0, 40);
  const excerpt = words.join(" ");
  return excerpt
    ? `This is the demo model (no AI): its answers are built from the prompt, not generated. You wrote: "${excerpt}${words.length === 40 ? " …" : ""}"`
    : "This is the demo model (no AI): its answers are built from the prompt, not generated.";
}

/** The answer to `req` (throws only when the request's schema does not compile). */
export function answerChat(req: AnswerRequest): Answer {
  const schema =
    req.format.type === "json_schema"
      ? req.format.schema
      : req.format.type === "json_object"
        ? (schemaInPrompt(req.messages) ?? {
            type: "object",
            properties: { answer: { type: "string" } },
            required: ["answer"],
          })
        : undefined;
  const hash = sha256Hex(
    canonical({
      model: req.model,
      messages: req.messages.map((m) => [m.role, m.text]),
      format: req.format.type,
      schema: schema ?? null,
      seed: req.seed ?? null,
    }),
  );
  const id = `chatcmpl-demo${hash.slice(0, 24)}`;
  const promptTokens =
    req.messages.reduce((n, m) => n + countTokens(m.text), 0) +
    (req.format.type === "json_schema" ? countTokens(JSON.stringify(schema ?? {})) : 0);
  const hints = promptHints(req.messages);

  let content: string;
  if (schema === undefined) {
    content = plainText(hints);
  } else {
    const rng = seededRng(hash);
    let a = answerForSchema(schema, hints, rng);
    content = JSON.stringify(a.value);
    // Too long for max_tokens: the most compact answer the schema allows, before cutting.
    if (countTokens(content) > req.maxTokens || content.length > MAX_ANSWER_CHARS) {
      a = answerForSchema(schema, hints, rng.fork("compact"), { compact: true });
      content = JSON.stringify(a.value);
    }
  }
  let finishReason: Answer["finishReason"] = "stop";
  if (countTokens(content) > req.maxTokens) {
    content = cutTokens(content, req.maxTokens);
    finishReason = "length";
  }
  if (content.length > MAX_ANSWER_CHARS) {
    content = content.slice(0, MAX_ANSWER_CHARS);
    finishReason = "length";
  }
  return {
    id,
    content,
    finishReason,
    promptTokens,
    completionTokens: countTokens(content),
  };
}

/** The answer's content in stream pieces of a few tokens each (deterministic). */
export function streamPieces(content: string, tokensPerPiece = 4): string[] {
  const pieces: string[] = [];
  TOKEN_RE.lastIndex = 0;
  let from = 0;
  let n = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN_RE.exec(content))) {
    if (++n % tokensPerPiece === 0) {
      const end = m.index + m[0].length;
      pieces.push(content.slice(from, end));
      from = end;
    }
  }
  if (from < content.length) pieces.push(content.slice(from));
  return pieces;
}
