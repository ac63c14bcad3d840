#!/usr/bin/env node
// The production HTTP server (`npm start`, the browser tests, the benchmarks):
// `node scripts/serve.mjs -p <port> -H <host>` on an existing `next build`.
//
// Next.js serves everything (the studio, tRPC, auth, every route) except flow webhooks,
// `POST /api/hooks/<workspace>/<flow>`, which this plain Node server answers itself with the
// handler the Next.js route uses too (`server/webhook-endpoint.ts`, registered on globalThis by
// instrumentation.ts once the database and the worker are up). A webhook thus skips Next.js's
// request pipeline, which cost more than the durable run it starts (bench/RESULTS.md, Engine).
// Every request first passes scripts/http-guards.mjs: a target that does not percent-decode is a
// 400 here, never a 500 further in.
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { API_CSP, SECURITY_HEADERS, hstsHeader } from "../lib/security-headers.mjs";
import { readCountedBody, refuseMalformedRequest, sendJson } from "./http-guards.mjs";

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
let checkingHook = false;

/** Answers a webhook; false when the request is not one (Next.js gets it). */
function webhook(req, res) {
  // { answer, tooLarge, maxBodyBytes } from server/webhook-endpoint.ts, once the server is up:
  // handed over on the process's one globalThis key (server/process-state.ts, composition.ts).
  const hook = globalThis[Symbol.for("trustflow.process")]?.get("composition")?.webhookFrontEnd;
  if (req.method !== "POST" || !req.url?.startsWith(HOOKS)) return false;
  if (!hook) {
    // Next.js's route answers it, correctly but through its whole request pipeline (tens of
    // milliseconds more per request under load): right while the server starts (the handler
    // is handed over once the database is up). Still missing 30 s later, the build does not
    // hand it over where this script looks (a build older than this script): say so, once.
    if (!checkingHook) {
      checkingHook = true;
      setTimeout(() => {
        if (!globalThis[Symbol.for("trustflow.process")]?.get("composition")?.webhookFrontEnd)
          console.warn(
            "serve.mjs: no webhook handler was registered; webhooks go through Next.js (slower). Is the build older than scripts/serve.mjs? Rebuild.",
          );
      }, 30_000).unref();
    }
    return false;
  }
  const { answer, tooLarge, maxBodyBytes } = hook;
  const url = new URL(req.url, "http://localhost");
  const parts = url.pathname.slice(HOOKS.length).split("/");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return false;
  // The target decodes: refuseMalformedRequest checked it first.
  const [workspace, flow] = parts.map(decodeURIComponent);
  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableEnded) gone.abort();
  });
  // Counted as it streams in, chunked bodies included: past the limit, 413 naming it.
  readCountedBody(req, maxBodyBytes)
    .then((body) => {
      if (!body) {
        const a = tooLarge();
        return sendJson(res, a.status, a.body, { connection: "close" });
      }
      const header = (name) => {
        const v = req.headers[name];
        return typeof v === "string" ? v : null;
      };
      return answer({
        workspace,
        flow,
        body: body.toString("utf8"),
        signature: header("x-trustflow-signature"),
        deliveryId: header("x-trustflow-delivery"),
        wait: url.searchParams.get("wait"),
        timeout: url.searchParams.get("timeout"),
        signal: gone.signal,
      }).then((a) => sendJson(res, a.status, a.body, a.headers));
    })
    .catch(() => {
      // The client went away mid-upload, or the handler failed: 500 if anyone still listens.
      if (!res.headersSent)
        sendJson(res, 500, { error: "The delivery could not be processed; retry later." });
    });
  return true;
}

// Hardening headers on every answer, the ones written here included (lib/security-headers.mjs).
const HSTS = hstsHeader(process.env.NEXTAUTH_URL);
function harden(req, res) {
  for (const { key, value } of SECURITY_HEADERS) res.setHeader(key, value);
  if (HSTS) res.setHeader("Strict-Transport-Security", HSTS);
  if (req.url?.startsWith("/api/")) res.setHeader("Content-Security-Policy", API_CSP);
}

const server = http.createServer((req, res) => {
  harden(req, res);
  // The TCP peer's address, for rate limits (server/auth/client-address.ts): route handlers cannot
  // see the socket. Overwrites whatever a client sent under this name.
  req.headers["x-trustflow-peer"] = req.socket.remoteAddress ?? "";
  // Malformed percent-encoding is the client's error (400), before anything decodes the URL.
  if (refuseMalformedRequest(req, res)) return;
  if (!webhook(req, res)) void handle(req, res);
});
// Longer than common proxies' idle timeouts, as `next start` does.
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => console.log(`  Listening on http://${host}:${port}`));
