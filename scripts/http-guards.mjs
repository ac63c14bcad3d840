// Request guards of the production HTTP server (scripts/serve.mjs), importable by tests:
// a request whose path or query does not percent-decode is answered 400 before Next.js sees it,
// and every JSON answer of the server carries `X-Content-Type-Options: nosniff` and
// `Cache-Control: no-store` (serve.mjs adds the other hardening headers to every response,
// lib/security-headers.mjs). Plain JavaScript: `node scripts/serve.mjs` runs without a loader.

/** Headers of every JSON answer `scripts/serve.mjs` writes itself. */
export const JSON_ANSWER_HEADERS = Object.freeze({
  "content-type": "application/json",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
});

/** Bytes of a refused request's body read (and dropped) before its connection is cut. */
const MAX_DRAIN_BYTES = 64 * 1024;

/** Whether `text` percent-decodes (`%` followed by two hex digits forming valid UTF-8). */
function decodes(text) {
  if (!text.includes("%")) return true;
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a request target cannot be served, or null when it is well formed: its path must
 * percent-decode as a whole, and so must every name and value of its query string (the parts
 * Next.js and the routes decode). The raw target is split by hand: `new URL` would accept a
 * malformed escape silently and read `//host/...` as a host.
 */
export function malformedRequestTarget(target) {
  if (typeof target !== "string" || target === "") return "The request has no target.";
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? "" : target.slice(q + 1);
  if (!decodes(path))
    return "Malformed percent-encoding in the URL path (a % must be followed by two hex digits of valid UTF-8).";
  for (const pair of query.split("&")) {
    for (const part of pair.split("=")) {
      if (!decodes(part.replaceAll("+", " ")))
        return "Malformed percent-encoding in the URL query (a % must be followed by two hex digits of valid UTF-8).";
    }
  }
  return null;
}

/** Writes a JSON answer with the server's own headers (and `extra`, e.g. Retry-After). */
export function sendJson(res, status, body, extra = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...extra,
    ...JSON_ANSWER_HEADERS,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The server's first look at a request: answers 400 (and returns true) when its target does not
 * percent-decode; false when the request may go on to the webhook handler or Next.js.
 */
export function refuseMalformedRequest(req, res) {
  const problem = malformedRequestTarget(req.url);
  if (!problem) return false;
  // The body, if any, is not kept: the connection closes after the answer, and an upload that
  // goes on past a small drain is cut off.
  sendJson(res, 400, { error: problem }, { connection: "close" });
  let drained = 0;
  req.on("data", (c) => {
    drained += c.length;
    if (drained > MAX_DRAIN_BYTES) req.destroy();
  });
  return true;
}

/**
 * Reads a Node request body counting bytes as they arrive (chunked bodies included): resolves
 * the bytes, or null once more than `limit` came (a declared `Content-Length` above the limit
 * refuses before reading). Past the limit nothing more is kept; the rest of the upload is
 * drained up to `drainLimit` bytes (so the 413 reaches the client), then the socket is closed.
 */
export function readCountedBody(req, limit, drainLimit = 8 * limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let refused = false;
    const refuse = () => {
      refused = true;
      chunks.length = 0;
      resolve(null);
    };
    const declared = Number(req.headers["content-length"] ?? "");
    if (Number.isFinite(declared) && declared > limit) refuse();
    req.on("data", (c) => {
      size += c.length;
      if (refused) {
        if (size > limit + drainLimit) req.destroy();
        return;
      }
      if (size > limit) return refuse();
      chunks.push(c);
    });
    req.on("end", () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!refused) reject(err);
    });
  });
}
