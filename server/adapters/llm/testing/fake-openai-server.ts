/**
 * TEST DOUBLE. A local OpenAI-compatible server (node:http on an ephemeral port) that answers
 * `POST …/chat/completions` from a script, so tests drive the real `openai` SDK end to end.
 * Never used outside tests.
 *
 * @example
 * const fake = await startFakeOpenAiServer();
 * fake.enqueue({ kind: "json", content: '{"label":"billing","confidence":0.9}' });
 * // configure a model with baseURL: fake.baseURL ... run ... then:
 * expect(fake.requests[0].body.model).toBe("small-model");
 * await fake.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeResponse =
  /**
   * A normal completion whose message content is `content` (any text, valid JSON or not),
   * answered after `delayMs` (a slow model) when set.
   */
  | {
      kind: "json";
      content: string;
      usage?: { prompt: number; completion: number };
      delayMs?: number;
    }
  /** An HTTP redirect (default 307) to `location`. */
  | { kind: "redirect"; location: string; status?: 301 | 302 | 307 | 308 }
  /** The same, as SSE chunks (split into `chunks` pieces); usage in a final chunk unless `noUsage`. */
  | {
      kind: "stream";
      content: string;
      chunks?: number;
      usage?: { prompt: number; completion: number };
      noUsage?: boolean;
    }
  /** The model asks for tool calls (`arguments` is sent as JSON text). */
  | {
      kind: "tool_calls";
      calls: Array<{ name: string; arguments: unknown; id?: string }>;
      stream?: boolean;
      usage?: { prompt: number; completion: number };
    }
  /** An HTTP error with an OpenAI-style error body. */
  | { kind: "error"; status: number; message?: string; headers?: Record<string, string> }
  /** Any body at all (e.g. an HTML page or broken JSON), with a status and content type. */
  | { kind: "raw"; status: number; body: string; contentType?: string };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: {
    model: string;
    messages: Array<{
      role: string;
      content?: unknown;
      tool_calls?: unknown;
      tool_call_id?: string;
    }>;
    stream?: boolean;
    tools?: Array<{ type: string; function: { name: string; parameters: unknown } }>;
    tool_choice?: unknown;
    response_format?: { type: string; json_schema?: unknown };
    max_tokens?: number;
    max_completion_tokens?: number;
    [k: string]: unknown;
  };
}

export interface FakeOpenAiServer {
  /** Base URL including `/v1`, for a model's `baseURL`. */
  baseURL: string;
  /** Origin without a path (for Azure's `endpoint`). */
  origin: string;
  requests: RecordedRequest[];
  /** Queues responses; with `model`, only requests for that model (`body.model`) take them. */
  enqueue(...responses: FakeResponse[]): void;
  enqueueFor(model: string, ...responses: FakeResponse[]): void;
  /** Responses still queued (a test can assert the script was used up). */
  pending(): number;
  /** Drops every queued response (a test that must know what answers next). */
  clearQueue(): void;
  close(): Promise<void>;
}

const DEFAULT_USAGE = { prompt: 20, completion: 10 };

export async function startFakeOpenAiServer(): Promise<FakeOpenAiServer> {
  const queue: FakeResponse[] = [];
  const perModel = new Map<string, FakeResponse[]>();
  const requests: RecordedRequest[] = [];
  let seq = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: RecordedRequest["body"];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return send(res, 400, { error: { message: "fake: body is not JSON" } });
      }
      requests.push({ path: req.url ?? "", headers: req.headers, body });
      if (req.method !== "POST" || !/\/chat\/completions(\?|$)/.test(req.url ?? "")) {
        return send(res, 404, { error: { message: `fake: no route ${req.method} ${req.url}` } });
      }
      const next = perModel.get(body.model)?.shift() ?? queue.shift();
      if (!next) {
        return send(res, 500, { error: { message: "fake: no scripted response left" } });
      }
      const id = `chatcmpl-fake-${++seq}`;
      const delay = next.kind === "json" ? (next.delayMs ?? 0) : 0;
      if (delay <= 0) return respond(res, next, body.model, id);
      const timer = setTimeout(() => respond(res, next, body.model, id), delay);
      // The client gave up (its timeout): answer nobody.
      res.on("close", () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    baseURL: `${origin}/v1`,
    origin,
    requests,
    enqueue: (...r) => void queue.push(...r),
    enqueueFor: (model, ...r) => {
      const q = perModel.get(model) ?? [];
      q.push(...r);
      perModel.set(model, q);
    },
    pending: () => queue.length + [...perModel.values()].reduce((n, q) => n + q.length, 0),
    clearQueue: () => {
      queue.length = 0;
      perModel.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

function send(
  res: ServerResponse,
  status: number,
  json: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(json));
}

function usageJson(u = DEFAULT_USAGE) {
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
  };
}

function respond(res: ServerResponse, r: FakeResponse, model: string, id: string) {
  const created = 1_700_000_000;
  switch (r.kind) {
    case "error":
      return send(
        res,
        r.status,
        {
          error: { message: r.message ?? `fake error ${r.status}`, type: "fake_error", code: null },
        },
        r.headers,
      );
    case "raw":
      res.writeHead(r.status, { "content-type": r.contentType ?? "application/json" });
      return res.end(r.body);
    case "redirect":
      res.writeHead(r.status ?? 307, { location: r.location });
      return res.end();
    case "json":
      return send(res, 200, {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [
          { index: 0, message: { role: "assistant", content: r.content }, finish_reason: "stop" },
        ],
        usage: usageJson(r.usage),
      });
    case "tool_calls": {
      const calls = r.calls.map((c, i) => ({
        id: c.id ?? `call_${id}_${i}`,
        type: "function",
        function: { name: c.name, arguments: JSON.stringify(c.arguments) },
      }));
      if (!r.stream) {
        return send(res, 200, {
          id,
          object: "chat.completion",
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: null, tool_calls: calls },
              finish_reason: "tool_calls",
            },
          ],
          usage: usageJson(r.usage),
        });
      }
      const events = calls.flatMap((c, index) => {
        const half = Math.ceil(c.function.arguments.length / 2);
        return [
          {
            tool_calls: [
              {
                index,
                id: c.id,
                type: "function",
                function: { name: c.function.name, arguments: c.function.arguments.slice(0, half) },
              },
            ],
          },
          { tool_calls: [{ index, function: { arguments: c.function.arguments.slice(half) } }] },
        ];
      });
      return sse(res, id, model, events, "tool_calls", r.usage ?? DEFAULT_USAGE);
    }
    case "stream": {
      const n = Math.max(1, r.chunks ?? 4);
      const size = Math.ceil(r.content.length / n) || 1;
      const deltas: Array<Record<string, unknown>> = [{ role: "assistant", content: "" }];
      for (let i = 0; i < r.content.length; i += size)
        deltas.push({ content: r.content.slice(i, i + size) });
      return sse(res, id, model, deltas, "stop", r.noUsage ? null : (r.usage ?? DEFAULT_USAGE));
    }
  }
}

function sse(
  res: ServerResponse,
  id: string,
  model: string,
  deltas: Array<Record<string, unknown>>,
  finish: string,
  usage: { prompt: number; completion: number } | null,
) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const base = { id, object: "chat.completion.chunk", created: 1_700_000_000, model };
  const write = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  for (const delta of deltas)
    write({ ...base, choices: [{ index: 0, delta, finish_reason: null }] });
  write({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }] });
  if (usage) write({ ...base, choices: [], usage: usageJson(usage) });
  res.write("data: [DONE]\n\n");
  res.end();
}
