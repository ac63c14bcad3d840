#!/usr/bin/env node
// Loopback relay for the peer benchmark: /work/shared/peers/loadgen.mjs only sends plain GETs,
// while a Trustflow webhook needs a signed POST. `GET /<flow>` here becomes
// `POST <target>/api/hooks/<workspace>/<flow>?wait=1` with a fresh X-Trustflow-Signature and
// X-Trustflow-Delivery; the answer (the run's status and output) is passed back. The relay's own
// hop is part of every figure measured through it (a bias against Trustflow: the peers are
// driven directly).
//
// Written on raw sockets rather than node:http, to keep that bias small: each client connection
// gets its own keep-alive connection to the target, and the load generator is closed-loop (one
// request in flight per connection), so a request and its answer pair up by order. Requests are
// parsed just enough for that (request line, headers, Content-Length body); answers by status
// line, Content-Length or chunked body. Anything else gets a 400 or 502 and the connection closes.
//   node signing-relay.mjs PORT TARGET_ORIGIN WORKSPACE_SLUG SECRET
import crypto from "node:crypto";
import net from "node:net";

const [port, target, slug, secret] = process.argv.slice(2);
if (!port || !target || !slug || !secret) {
  console.error("usage: signing-relay.mjs PORT TARGET_ORIGIN WORKSPACE_SLUG SECRET");
  process.exit(2);
}
const t = new URL(target);
if (!["127.0.0.1", "localhost"].includes(t.hostname)) {
  console.error("refusing non-loopback target " + t.hostname);
  process.exit(2);
}
const MAX_HEAD = 16 * 1024;
const MAX_BODY = 4 * 1024 * 1024;
const HEAD_END = Buffer.from("\r\n\r\n");

/** Parses an HTTP/1.1 head: the first line and lower-cased headers, or null when malformed. */
function parseHead(text) {
  const lines = text.split("\r\n");
  const headers = new Map();
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(":");
    if (c <= 0) return null;
    headers.set(lines[i].slice(0, c).trim().toLowerCase(), lines[i].slice(c + 1).trim());
  }
  return { first: lines[0], headers };
}

/**
 * Reads HTTP messages from a socket's bytes. `onMessage(head, body)` gets each whole message;
 * `chunkedOk`: whether a chunked body is allowed (answers), else only Content-Length (requests).
 * Returns a feed function; it calls `onError(reason)` and stops on anything malformed or too big.
 */
function messageReader(chunkedOk, onMessage, onError) {
  let buf = Buffer.alloc(0);
  let head = null;
  let need = -1; // body bytes still expected (Content-Length), -2 chunked
  let failed = false;
  const fail = (why) => {
    failed = true;
    buf = Buffer.alloc(0);
    onError(why);
  };
  return function feed(data) {
    if (failed) return;
    buf = buf.length ? Buffer.concat([buf, data]) : data;
    for (;;) {
      if (!head) {
        const end = buf.indexOf(HEAD_END);
        if (end < 0) {
          if (buf.length > MAX_HEAD) fail("head too large");
          return;
        }
        head = parseHead(buf.subarray(0, end).toString("latin1"));
        buf = buf.subarray(end + 4);
        if (!head) return fail("malformed head");
        const te = head.headers.get("transfer-encoding");
        if (te !== undefined) {
          if (!chunkedOk || te.toLowerCase() !== "chunked")
            return fail("unsupported transfer-encoding");
          need = -2;
        } else {
          const cl = head.headers.get("content-length") ?? "0";
          if (!/^\d+$/.test(cl) || Number(cl) > MAX_BODY) return fail("bad content-length");
          need = Number(cl);
        }
      }
      if (need >= 0) {
        if (buf.length < need) return;
        const body = buf.subarray(0, need);
        buf = buf.subarray(need);
        const h = head;
        head = null;
        onMessage(h, body);
        continue;
      }
      // Chunked: the whole body must be here (sizes, data, the last chunk and the trailer).
      const parts = [];
      let at = 0;
      let total = 0;
      for (;;) {
        const eol = buf.indexOf("\r\n", at);
        if (eol < 0) return;
        const size = parseInt(buf.subarray(at, eol).toString("latin1").split(";")[0], 16);
        if (!Number.isFinite(size) || size < 0) return fail("bad chunk size");
        if ((total += size) > MAX_BODY) return fail("body too large");
        if (size === 0) {
          // The last chunk's line ends the trailer too when there is none ("0\r\n\r\n").
          const stop = buf.indexOf(HEAD_END, eol);
          if (stop < 0) return;
          buf = buf.subarray(stop + 4);
          break;
        }
        if (buf.length < eol + 2 + size + 2) return;
        parts.push(buf.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
      const h = head;
      head = null;
      onMessage(h, Buffer.concat(parts));
    }
  };
}

const REASONS = { 200: "OK", 400: "Bad Request", 502: "Bad Gateway" };
function answer(status, contentType, body) {
  return Buffer.concat([
    Buffer.from(
      `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\ncontent-type: ${contentType}\r\n` +
        `content-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n`,
      "latin1",
    ),
    body,
  ]);
}

const server = net.createServer((client) => {
  client.setNoDelay(true);
  let up = null;
  let inFlight = false;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    client.destroy();
    up?.destroy();
  };
  const refuse = (status) => {
    if (closed) return;
    client.end(answer(status, "text/plain", Buffer.from(REASONS[status] ?? "error")));
    closed = true;
    up?.destroy();
  };
  const upstream = () => {
    const s = net.connect({ host: t.hostname, port: Number(t.port) });
    s.setNoDelay(true);
    s.on(
      "data",
      messageReader(
        true,
        (head, body) => {
          const m = /^HTTP\/1\.[01] (\d{3})/.exec(head.first);
          if (!m) return refuse(502);
          const type = head.headers.get("content-type") ?? "application/json";
          inFlight = false;
          if (!closed) client.write(answer(Number(m[1]), type, body));
        },
        () => refuse(502),
      ),
    );
    s.on("error", () => refuse(502));
    s.on("close", () => {
      up = null;
      // The target closed with a request unanswered: the client must not wait forever.
      if (inFlight) refuse(502);
    });
    return s;
  };
  client.on(
    "data",
    messageReader(
      false,
      (head) => {
        const m = /^GET \/([A-Za-z0-9_-]+)(?:\?\S*)? HTTP\/1\.[01]$/.exec(head.first);
        if (!m) return refuse(400);
        // A fresh event id: the replay guard refuses the same signed content twice.
        const body = `{"event":"${crypto.randomUUID()}"}`;
        const ts = Math.floor(Date.now() / 1000);
        const sig = crypto.createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
        up ??= upstream();
        inFlight = true;
        up.write(
          `POST /api/hooks/${slug}/${m[1]}?wait=1 HTTP/1.1\r\nhost: ${t.host}\r\n` +
            `content-type: application/json\r\ncontent-length: ${body.length}\r\n` +
            `x-trustflow-signature: t=${ts},v1=${sig}\r\n` +
            `x-trustflow-delivery: ${crypto.randomUUID()}\r\nconnection: keep-alive\r\n\r\n${body}`,
          "latin1",
        );
      },
      () => refuse(400),
    ),
  );
  client.on("error", close);
  client.on("close", close);
});
server.listen(Number(port), "127.0.0.1", () => console.log(`relay ready on ${port}`));
