/**
 * TEST DOUBLE for the e2e run (started by scripts/test.mjs): an OpenAI-compatible server on an
 * ephemeral port that answers drafting requests (`agent.draft`) with a JSON object
 * `{ subject, body }` written from the request, and usage tokens counted from the text. Other
 * tasks get an OpenAI-style 400, so a flow that needs them fails loudly instead of passing on
 * made-up answers.
 *
 * Prints `fake-model listening on <baseURL>` once it listens. `GET /_requests` lists what it
 * was asked (model, task, the user message), so a test can check the model was called or not.
 *
 *   node --import tsx e2e/support/fake-model-server.ts [port]
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface ChatMessage {
  role: string;
  content?: unknown;
}
interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
}
interface Recorded {
  model: string;
  task: string;
  user: string;
  at: string;
}

const requests: Recorded[] = [];
let seq = 0;

/** Roughly what a BPE tokenizer counts for English: one token per four characters. */
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

const textOf = (m: ChatMessage | undefined) =>
  typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? "");

function send(res: ServerResponse, status: number, json: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(json));
}

/** The request text the agent runtime quotes after "Request:" (see server/adapters/llm/tasks.ts). */
function requestText(user: string): string {
  const m = /Request:\s*\n([\s\S]*?)(\n\nFacts you may use:|$)/.exec(user);
  return (m?.[1] ?? user).replace(/^["'`]+|["'`]+$/g, "").trim();
}

function draft(user: string): { subject: string; body: string } {
  const ask = requestText(user);
  const firstLine = ask.split("\n")[0]!.slice(0, 120);
  return {
    subject: `Re: ${firstLine}`,
    body: `Hello,\n\nAs requested (${ask.length} characters): ${ask}\n\nKind regards,\nTrustflow`,
  };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = req.url ?? "";
    if (req.method === "GET" && url === "/_requests") return send(res, 200, { requests });
    if (req.method !== "POST" || !/\/chat\/completions(\?|$)/.test(url)) {
      return send(res, 404, { error: { message: `fake model: no route ${req.method} ${url}` } });
    }
    let body: ChatRequest;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatRequest;
    } catch {
      return send(res, 400, { error: { message: "fake model: the body is not JSON" } });
    }
    const system = textOf(body.messages.find((m) => m.role === "system"));
    const user = textOf(body.messages.findLast((m) => m.role === "user"));
    const task = system.startsWith("You write content") ? "drafting" : "other";
    requests.push({ model: body.model, task, user, at: new Date().toISOString() });
    if (task !== "drafting" || body.stream) {
      return send(res, 400, {
        error: {
          message: "fake model: only non-streamed drafting requests are scripted",
          type: "invalid_request_error",
          code: null,
        },
      });
    }
    const content = JSON.stringify(draft(user));
    const prompt = tokens(body.messages.map(textOf).join("\n"));
    const completion = tokens(content);
    send(res, 200, {
      id: `chatcmpl-e2e-${++seq}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      },
    });
  });
});

const port = Number(process.argv[2] ?? 0);
server.listen(port, "127.0.0.1", () => {
  const { port: bound } = server.address() as AddressInfo;
  console.log(`fake-model listening on http://127.0.0.1:${bound}/v1`);
});
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
