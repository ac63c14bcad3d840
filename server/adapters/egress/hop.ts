/**
 * One hop of the egress guard (`guard.ts`) on the wire: a request to the address the guard
 * checked (the socket's DNS lookup pinned to it, no pooled socket), the body counted as it
 * streams (decompressed) against the size cap, and the answer as a fetch `Response`.
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { parseAddress } from "@/server/domain/egress/address";
import { EgressError } from "@/server/domain/egress/errors";

/** One resolved address. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** Rejects when `signal` aborts; the promise's own outcome otherwise. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export async function bodyBytes(
  body: RequestInit["body"] | undefined,
): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  return Buffer.from(await new Response(body).arrayBuffer());
}

export interface Raw {
  status: number;
  statusText: string;
  rawHeaders: string[];
  body: Buffer | null;
}

/** `maxResponseBytes` tripped; `limitName` says where the limit is set. */
function tooLarge(host: string, limit: number, limitName: string): EgressError {
  return new EgressError(
    "response_too_large",
    `the response from ${host} is larger than the egress limit of ${limit} bytes (${limitName})`,
    { host, limit },
  );
}

function decoded(res: IncomingMessage): Readable {
  const enc = String(res.headers["content-encoding"] ?? "")
    .trim()
    .toLowerCase();
  if (enc === "gzip" || enc === "x-gzip") return res.pipe(createGunzip());
  if (enc === "deflate") return res.pipe(createInflate());
  if (enc === "br") return res.pipe(createBrotliDecompress());
  return res;
}

/** One request to the checked address `pin`; the body is read unless `skipBody`. */
export function pinnedRequest(
  url: URL,
  pin: ResolvedAddress,
  method: string,
  headers: Headers,
  body: Buffer | undefined,
  signal: AbortSignal,
  maxBytes: number,
  skipBody: (status: number) => boolean,
  maxBytesName = "EGRESS_MAX_RESPONSE_BYTES",
): Promise<Raw> {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const isLiteral = parseAddress(hostname) !== null;
  // The socket connects to the address that was checked, whatever DNS answers now.
  const lookup = ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: pin.address, family: pin.family }]);
    else cb(null, pin.address, pin.family);
  }) as unknown as LookupFunction;
  const outHeaders: Record<string, string> = {};
  headers.forEach((v, k) => (outHeaders[k] = v));
  if (body !== undefined) outHeaders["content-length"] = String(body.length);
  const mod = url.protocol === "https:" ? https : http;
  return new Promise<Raw>((resolve, reject) => {
    const req = mod.request({
      protocol: url.protocol,
      hostname: isLiteral ? pin.address : hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method,
      headers: { ...outHeaders, host: url.host },
      // No pooled sockets: a socket opened for another check must never be reused.
      agent: false,
      lookup,
      ...(url.protocol === "https:" && !isLiteral ? { servername: hostname } : {}),
      signal,
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const base = {
        status,
        statusText: res.statusMessage ?? "",
        rawHeaders: res.rawHeaders,
      };
      if (skipBody(status) || NULL_BODY.has(status) || method === "HEAD") {
        res.destroy();
        resolve({ ...base, body: null });
        return;
      }
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > maxBytes && !res.headers["content-encoding"]) {
        res.destroy();
        reject(tooLarge(url.host, maxBytes, maxBytesName));
        return;
      }
      const stream = decoded(res);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on("data", (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          stream.destroy();
          res.destroy();
          reject(tooLarge(url.host, maxBytes, maxBytesName));
          return;
        }
        chunks.push(c);
      });
      stream.on("error", reject);
      res.on("error", reject);
      stream.on("end", () => resolve({ ...base, body: Buffer.concat(chunks) }));
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export function toResponse(raw: Raw): Response {
  const headers = new Headers();
  const decodedBody = raw.body !== null;
  for (let i = 0; i + 1 < raw.rawHeaders.length; i += 2) {
    const name = raw.rawHeaders[i]!.toLowerCase();
    // The body handed on is decoded and whole: its encoding and length headers no longer apply.
    if (decodedBody && (name === "content-encoding" || name === "content-length")) continue;
    try {
      headers.append(name, raw.rawHeaders[i + 1]!);
    } catch {
      // A header value fetch would refuse: drop it.
    }
  }
  if (raw.status < 200 || raw.status > 599) {
    throw new EgressError("invalid_url", `the server answered with HTTP status ${raw.status}`);
  }
  const body = NULL_BODY.has(raw.status) ? null : raw.body ? new Uint8Array(raw.body) : null;
  return new Response(body, { status: raw.status, statusText: raw.statusText, headers });
}

export function headerOf(rawHeaders: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.toLowerCase() === name) return rawHeaders[i + 1];
  return undefined;
}
