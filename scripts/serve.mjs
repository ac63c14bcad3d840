#!/usr/bin/env node
// The production HTTP server (`npm start`, the browser tests, the benchmarks):
// `node scripts/serve.mjs -p <port> -H <host>` on an existing `next build`.
//
// Next.js serves everything (the studio, tRPC, auth, every route) except flow webhooks,
// `POST /api/hooks/<workspace>/<flow>`, which this plain Node server answers itself with the
// handler the Next.js route uses too (`server/webhook-endpoint.ts`, registered on globalThis by
// instrumentation.ts once the database and the worker are up). A webhook thus skips Next.js's
// request pipeline, which cost more than the durable run it starts (bench/RESULTS.md, Engine).
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const port = Number(arg("-p", process.env.PORT || "3000"));
const host = arg("-H", process.env.HOST || "127.0.0.1");
process.env.NODE_ENV = "production";

const app = next({ dev: false, dir: root, hostname: host, port });
const handle = app.getRequestHandler();
await app.prepare();

const HOOKS = "/api/hooks/";

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** Answers a webhook; false when the request is not one (Next.js gets it). */
function webhook(req, res) {
  // { answer, tooLarge, maxBodyBytes } from server/webhook-endpoint.ts, once the server is up.
  const hook = globalThis.__trustflowWebhook;
  if (req.method !== "POST" || !req.url?.startsWith(HOOKS) || !hook) return false;
  const { answer, tooLarge, maxBodyBytes } = hook;
  const url = new URL(req.url, "http://localhost");
  const parts = url.pathname.slice(HOOKS.length).split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return false;
  let workspace, flow;
  try {
    [workspace, flow] = parts.map(decodeURIComponent);
  } catch {
    return false;
  }
  const refuse = () => {
    const a = tooLarge();
    send(res, a.status, a.body);
  };
  if (Number(req.headers["content-length"] ?? 0) > maxBodyBytes) {
    refuse();
    req.resume();
    return true;
  }
  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableEnded) gone.abort();
  });
  const chunks = [];
  let size = 0;
  let refused = false;
  req.on("data", (c) => {
    size += c.length;
    if (size > maxBodyBytes && !refused) {
      refused = true;
      refuse();
    }
    if (!refused) chunks.push(c);
  });
  req.on("end", () => {
    if (refused) return;
    const header = (name) => {
      const v = req.headers[name];
      return typeof v === "string" ? v : null;
    };
    answer({
      workspace,
      flow,
      body: Buffer.concat(chunks).toString("utf8"),
      signature: header("x-trustflow-signature"),
      deliveryId: header("x-trustflow-delivery"),
      wait: url.searchParams.get("wait"),
      timeout: url.searchParams.get("timeout"),
      signal: gone.signal,
    }).then(
      (a) => send(res, a.status, a.body),
      () => send(res, 500, { error: "The delivery could not be processed; retry later." }),
    );
  });
  return true;
}

const server = http.createServer((req, res) => {
  if (!webhook(req, res)) void handle(req, res);
});
// Longer than common proxies' idle timeouts, as `next start` does.
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => console.log(`  Listening on http://${host}:${port}`));
