import { Ajv2020 } from "ajv/dist/2020";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { NonRetryableError } from "@/server/engine/errors";
import { chatOnce, createClientCache } from "../chat-client";
import { demoModelConfig } from "../config";
import { countTokens } from "./answer";
import { DEMO_MODEL_BASE_URL, DEMO_MODEL_ID } from "./constants";
import { handleDemoModel, MAX_DEMO_BODY_BYTES } from "./handler";
import { demoModelFetch } from "./in-process";

/** The real SDK, talking to the demo model in-process. */
const sdk = new OpenAI({
  baseURL: DEMO_MODEL_BASE_URL,
  apiKey: "not-needed",
  maxRetries: 0,
  fetch: demoModelFetch,
});

const invoiceSchema = {
  type: "object",
  properties: {
    customer: { type: "string" },
    currency: { type: "string", enum: ["EUR", "USD"] },
    total: { type: "number", minimum: 0 },
    lines: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        properties: {
          sku: { type: "string", pattern: "^SKU-[0-9]{3}$" },
          qty: { type: "integer" },
        },
        required: ["sku", "qty"],
        additionalProperties: false,
      },
    },
  },
  required: ["customer", "currency", "total", "lines"],
  additionalProperties: false,
};

const messages = [
  { role: "system" as const, content: "You extract invoices. Answer JSON." },
  {
    role: "user" as const,
    content: "Text:\n<<<\nBill Globex Corp 420 USD. Total: 420.\n>>>",
  },
];

const body = (over: Record<string, unknown> = {}) => ({
  model: DEMO_MODEL_ID,
  messages,
  response_format: {
    type: "json_schema",
    json_schema: { name: "invoice", schema: invoiceSchema },
  },
  ...over,
});

function post(payload: unknown, headers: Record<string, string> = {}) {
  return handleDemoModel(
    new Request("http://demo.test/api/demo-model/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof payload === "string" ? payload : JSON.stringify(payload),
    }),
    "chat/completions",
    { nowSeconds: () => 1_700_000_000 },
  );
}

async function errorOf(res: Response) {
  const json = (await res.json()) as {
    error: { message: string; type: string; param: string | null; code: string | null };
  };
  return { status: res.status, ...json.error };
}

describe("chat completions through the openai SDK (in-process)", () => {
  it("answers with JSON valid against response_format's schema, usage reported", async () => {
    const r = await sdk.chat.completions.create({
      model: DEMO_MODEL_ID,
      messages,
      response_format: {
        type: "json_schema",
        json_schema: { name: "invoice", schema: invoiceSchema },
      },
    });
    expect(r.object).toBe("chat.completion");
    expect(r.id).toMatch(/^chatcmpl-demo[0-9a-f]{24}$/);
    expect(r.model).toBe(DEMO_MODEL_ID);
    const choice = r.choices[0]!;
    expect(choice.finish_reason).toBe("stop");
    expect(choice.message.role).toBe("assistant");
    const answer = JSON.parse(choice.message.content!) as Record<string, unknown>;
    const validate = new Ajv2020({ strict: false }).compile(invoiceSchema);
    expect(validate(answer), JSON.stringify(validate.errors)).toBe(true);
    // From the prompt: the customer's name, the currency named, `Total: 420`.
    expect(answer).toMatchObject({ customer: "Globex Corp", currency: "USD", total: 420 });
    expect(r.usage).toEqual({
      prompt_tokens:
        countTokens(messages[0]!.content) +
        countTokens(messages[1]!.content) +
        countTokens(JSON.stringify(invoiceSchema)),
      completion_tokens: countTokens(choice.message.content!),
      total_tokens: r.usage!.prompt_tokens + r.usage!.completion_tokens,
    });
  });

  it("gives the same answer to the same request, another to another", async () => {
    const ask = (text: string) =>
      sdk.chat.completions.create({
        model: DEMO_MODEL_ID,
        messages: [{ role: "user", content: text }],
        response_format: {
          type: "json_schema",
          json_schema: { name: "x", schema: invoiceSchema },
        },
      });
    const [a, b, c] = await Promise.all([
      ask("Bill Initech"),
      ask("Bill Initech"),
      ask("Bill Hooli"),
    ]);
    expect(b.choices[0]!.message.content).toBe(a.choices[0]!.message.content);
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect(c.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
  });

  it("streams the same answer in chunks, usage in the last one when asked", async () => {
    const plain = await sdk.chat.completions.create(body() as never);
    const stream = await sdk.chat.completions.create({
      ...(body() as object),
      stream: true,
      stream_options: { include_usage: true },
    } as never);
    let content = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>) {
      chunks++;
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.id).toBe((plain as OpenAI.ChatCompletion).id);
      if (chunk.usage) usage = chunk.usage;
      content += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(content).toBe((plain as OpenAI.ChatCompletion).choices[0]!.message.content);
    expect(finish).toBe("stop");
    expect(usage).toEqual((plain as OpenAI.ChatCompletion).usage);
  });

  it("answers plain text without a schema, and a JSON object with json_object", async () => {
    const text = await sdk.chat.completions.create({
      model: DEMO_MODEL_ID,
      messages: [{ role: "user", content: "Tell me about the quarterly report" }],
    });
    expect(text.choices[0]!.message.content).toMatch(
      /^This is the demo model \(no AI\).*"Tell me about the quarterly report"$/,
    );
    const obj = await sdk.chat.completions.create({
      model: DEMO_MODEL_ID,
      messages: [{ role: "user", content: "Anything" }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(obj.choices[0]!.message.content!)).toEqual({ answer: expect.any(String) });
    // A schema written in the prompt (as agent blocks do for JSON-mode models) is followed.
    const drafted = await sdk.chat.completions.create({
      model: DEMO_MODEL_ID,
      messages: [
        {
          role: "system",
          content:
            'Your answer must be a JSON object valid against this JSON Schema:\n{"type":"object","required":["subject"],"properties":{"subject":{"type":"string","maxLength":20}}}',
        },
        { role: "user", content: "Request:\n<<<\nWelcome ACME\n>>>" },
      ],
      response_format: { type: "json_object" },
    });
    const d = JSON.parse(drafted.choices[0]!.message.content!) as { subject: string };
    expect(Object.keys(d)).toEqual(["subject"]);
    expect(d.subject.length).toBeLessThanOrEqual(20);
  });

  it("cuts an answer at max_tokens with finish_reason length", async () => {
    const r = await sdk.chat.completions.create({
      model: DEMO_MODEL_ID,
      messages: [{ role: "user", content: "one two three four five six seven eight nine ten" }],
      max_tokens: 5,
    });
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(r.usage!.completion_tokens).toBe(5);
    expect(countTokens(r.choices[0]!.message.content!)).toBe(5);
  });

  it("lists its model", async () => {
    const list = await sdk.models.list();
    expect(list.data.map((m) => m.id)).toEqual([DEMO_MODEL_ID]);
    expect((await sdk.models.retrieve(DEMO_MODEL_ID)).owned_by).toBe("trustflow");
  });

  it("is what the chat client calls for the configured demo model", async () => {
    const m = demoModelConfig();
    const client = createClientCache()(m, undefined);
    const r = await chatOnce(
      client,
      m,
      {
        messages,
        maxTokens: m.maxTokens,
        responseFormat: {
          type: "json_schema",
          json_schema: { name: "invoice", schema: invoiceSchema },
        },
      },
      new AbortController().signal,
    );
    expect(r.usageEstimated).toBe(false);
    expect(r.tokensIn).toBeGreaterThan(0);
    expect(JSON.parse(r.content!)).toMatchObject({ customer: "Globex Corp" });
    // A bad request is a non-retryable validation error, as from any OpenAI-compatible server.
    const err = await chatOnce(
      client,
      { ...m, model: "gpt-4o" },
      { messages, maxTokens: 10 },
      new AbortController().signal,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as Error).message).toMatch(/404.*does not exist/);
  });
});

describe("the SSE stream on the wire", () => {
  it("is data: events of chat.completion.chunk, a finish chunk, usage, then [DONE]", async () => {
    const res = await post(body({ stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const text = await res.text();
    expect(text.endsWith("\n\n")).toBe(true);
    const events = text.trimEnd().split("\n\n");
    for (const e of events) expect(e).toMatch(/^data: /);
    expect(events.at(-1)).toBe("data: [DONE]");
    type Chunk = {
      choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
      usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as Chunk);
    for (const c of chunks) {
      expect(c).toMatchObject({
        object: "chat.completion.chunk",
        model: DEMO_MODEL_ID,
        created: 1_700_000_000,
      });
    }
    expect(chunks[0]!.choices).toEqual([
      { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
    ]);
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage!.total_tokens).toBe(
      usageChunk.usage!.prompt_tokens + usageChunk.usage!.completion_tokens,
    );
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    const content = chunks
      .slice(1, -2)
      .map((c) => c.choices[0]!.delta.content)
      .join("");
    expect(() => JSON.parse(content) as unknown).not.toThrow();
  });

  it("sends no usage chunk unless stream_options.include_usage", async () => {
    const text = await (await post(body({ stream: true }))).text();
    expect(text).not.toContain('"usage"');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});

describe("bad requests get OpenAI-shaped errors and change nothing", () => {
  it("400 for a body that is not JSON or not an object, or too deep", async () => {
    expect(await errorOf(await post("{nope"))).toMatchObject({
      status: 400,
      type: "invalid_request_error",
      code: "invalid_json",
    });
    expect(await errorOf(await post("[1,2]"))).toMatchObject({ status: 400, code: "invalid_body" });
    const deep = "[".repeat(100) + "]".repeat(100);
    expect(await errorOf(await post(`{"model":"x","messages":${deep}}`))).toMatchObject({
      status: 400,
      code: "too_deep",
    });
  });

  it("400 naming the parameter for invalid fields", async () => {
    expect(await errorOf(await post({ model: DEMO_MODEL_ID }))).toMatchObject({
      status: 400,
      param: "messages",
      code: "missing_required_parameter",
      message: "Missing required parameter: 'messages'.",
    });
    expect(
      await errorOf(await post(body({ messages: [{ role: "robot", content: "hi" }] }))),
    ).toMatchObject({ status: 400, param: "messages[0].role", code: "invalid_value" });
    expect(await errorOf(await post(body({ messages: [] })))).toMatchObject({
      status: 400,
      param: "messages",
    });
    expect(await errorOf(await post(body({ n: 2 })))).toMatchObject({ status: 400, param: "n" });
    expect(await errorOf(await post(body({ max_tokens: 0 })))).toMatchObject({
      status: 400,
      param: "max_tokens",
    });
    expect(
      await errorOf(
        await post(
          body({
            messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }],
          }),
        ),
      ),
    ).toMatchObject({ status: 400, param: "messages[0].content[0]" });
    expect(
      await errorOf(
        await post(
          body({ response_format: { type: "json_schema", json_schema: { name: "a b" } } }),
        ),
      ),
    ).toMatchObject({ status: 400, param: "response_format.json_schema.name" });
  });

  it("400 for a schema that does not compile or is too large", async () => {
    expect(
      await errorOf(
        await post(
          body({
            response_format: {
              type: "json_schema",
              json_schema: { name: "bad", schema: { type: 12 } },
            },
          }),
        ),
      ),
    ).toMatchObject({ status: 400, param: "response_format", code: "invalid_json_schema" });
    const huge = { type: "object", description: "x".repeat(200_000) };
    expect(
      await errorOf(
        await post(
          body({
            response_format: { type: "json_schema", json_schema: { name: "big", schema: huge } },
          }),
        ),
      ),
    ).toMatchObject({ status: 400, code: "schema_too_large" });
  });

  it("404 for another model or path, 405 for another method", async () => {
    expect(await errorOf(await post(body({ model: "gpt-4o" })))).toMatchObject({
      status: 404,
      param: "model",
      code: "model_not_found",
    });
    const get = await handleDemoModel(new Request("http://demo.test/x"), "chat/completions");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(
      await errorOf(await handleDemoModel(new Request("http://demo.test/x"), "embeddings")),
    ).toMatchObject({
      status: 404,
      code: "unknown_url",
    });
    expect(await errorOf(await demoModelFetch("demo-model://trustflow/other"))).toMatchObject({
      status: 404,
      code: "unknown_url",
    });
    await expect(demoModelFetch("https://api.openai.com/v1/models")).rejects.toThrow(TypeError);
  });

  it("413 past the body limit, declared or streamed", async () => {
    const big = JSON.stringify(body({ pad: "x".repeat(MAX_DEMO_BODY_BYTES) }));
    expect(await errorOf(await post(big))).toMatchObject({
      status: 413,
      code: "request_too_large",
    });
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await handleDemoModel(
      new Request("http://demo.test/v1/chat/completions", {
        method: "POST",
        body: chunked,
        duplex: "half",
      } as RequestInit),
      "chat/completions",
    );
    expect(res.status).toBe(413);
  });
});
