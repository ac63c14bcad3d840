/**
 * The egress guard: the one door for every outbound HTTP call of the server (`http.request`,
 * connector calls, OAuth2 token requests, OpenAPI import by URL). {@link createEgressGuard}
 * returns a `fetch`-compatible function bound to a workspace that, per hop:
 *
 * 1. checks the URL (absolute https; http only to allow-listed hosts; no credentials inside),
 * 2. resolves the host itself and checks every resolved address (`policy.ts`),
 * 3. connects to the address it checked (the socket's DNS lookup is pinned to it, and no socket
 *    is pooled), so a DNS answer that changes between check and connect (rebinding) changes
 *    nothing,
 * 4. follows redirects itself, each hop checked again, at most `maxRedirects`,
 * 5. caps the response body (`maxResponseBytes`, counted as it streams, decompressed) and the
 *    whole call including redirects (`timeoutMs`).
 *
 * In-process schemes (`mock://crm/...`: the built-in mock services) are dispatched to their
 * handler with the bound workspace as tenant; they never touch the network.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { Readable } from "node:stream";
import { parseAddress } from "@/server/domain/egress/address";
import { EgressError } from "@/server/domain/egress/errors";
import { checkAddress, checkUrl, type EgressRule } from "@/server/domain/egress/policy";

export type { EgressRule } from "@/server/domain/egress/policy";

/** Caps of one outbound call. */
export interface EgressLimits {
  /** Response body bytes (after decompression). Default 10 MiB. */
  maxResponseBytes: number;
  /** The whole call: DNS, connect, redirects, body. Default 30 s. */
  timeoutMs: number;
  /** Redirect hops followed. Default 5. */
  maxRedirects: number;
}

export const DEFAULT_EGRESS_LIMITS: EgressLimits = {
  maxResponseBytes: 10 * 1024 * 1024,
  timeoutMs: 30_000,
  maxRedirects: 5,
};

/** One resolved address. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (tests inject one). */
export type EgressLookup = (hostname: string) => Promise<ResolvedAddress[]>;

/** A call to an in-process service (no network). */
export interface InProcessRequest {
  url: URL;
  method: string;
  headers: Headers;
  body: Buffer | undefined;
  /** The workspace the guard is bound to: the tenant, never taken from the URL. */
  workspaceId: string;
  signal: AbortSignal;
}

export type InProcessHandler = (req: InProcessRequest) => Promise<Response>;

export interface EgressGuardOptions {
  /** The workspace's allow-list (`EgressAllow` rows). */
  allowList: (workspaceId: string) => Promise<readonly EgressRule[]>;
  lookup?: EgressLookup;
  limits?: Partial<EgressLimits>;
  /** Handlers of in-process schemes by protocol, e.g. `{ "mock:": mockInProcess() }`. */
  inProcess?: Record<string, InProcessHandler>;
}

export type EgressFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface EgressGuard {
  readonly limits: EgressLimits;
  /** A `fetch` whose every call is checked against `workspaceId`'s allow-list. */
  fetchFor(workspaceId: string): EgressFetch;
  /**
   * Checks what a call to `url` would reach, without calling it: the URL, then every resolved
   * address. Returns the address a call would connect to; throws an {@link EgressError}.
   */
  check(workspaceId: string, url: string | URL): Promise<ResolvedAddress>;
}

const defaultLookup: EgressLookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** Headers that must not follow a redirect to another origin (as fetch does). */
const ORIGIN_BOUND = ["authorization", "cookie", "proxy-authorization"];

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** Rejects when `signal` aborts; the promise's own outcome otherwise. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function bodyBytes(body: RequestInit["body"] | undefined): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  return Buffer.from(await new Response(body).arrayBuffer());
}

interface Raw {
  status: number;
  statusText: string;
  rawHeaders: string[];
  body: Buffer | null;
}

/** `maxResponseBytes` tripped. */
function tooLarge(host: string, limit: number): EgressError {
  return new EgressError(
    "response_too_large",
    `the response from ${host} is larger than the egress limit of ${limit} bytes (EGRESS_MAX_RESPONSE_BYTES)`,
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
function pinnedRequest(
  url: URL,
  pin: ResolvedAddress,
  method: string,
  headers: Headers,
  body: Buffer | undefined,
  signal: AbortSignal,
  maxBytes: number,
  skipBody: (status: number) => boolean,
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
        reject(tooLarge(url.host, maxBytes));
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
          reject(tooLarge(url.host, maxBytes));
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

function toResponse(raw: Raw): Response {
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

/** Builds the guard. */
export function createEgressGuard(opts: EgressGuardOptions): EgressGuard {
  const limits: EgressLimits = { ...DEFAULT_EGRESS_LIMITS, ...opts.limits };
  const lookup = opts.lookup ?? defaultLookup;

  async function resolveChecked(
    url: URL,
    rules: readonly EgressRule[],
    signal: AbortSignal,
  ): Promise<ResolvedAddress> {
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    const literal = parseAddress(hostname);
    if (literal) {
      checkAddress(hostname, hostname, rules);
      return { address: literal.toString(), family: literal.kind() === "ipv6" ? 6 : 4 };
    }
    let addresses: ResolvedAddress[];
    try {
      addresses = await raceAbort(lookup(hostname), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new EgressError("dns_failed", `${hostname} does not resolve`, { host: hostname });
    }
    if (addresses.length === 0)
      throw new EgressError("dns_failed", `${hostname} does not resolve`, { host: hostname });
    // Every answer must pass: a round-robin name must not smuggle one private address in.
    for (const a of addresses) checkAddress(hostname, a.address, rules);
    return addresses[0]!;
  }

  async function guardedFetch(
    workspaceId: string,
    input: string | URL | Request,
    init: RequestInit = {},
  ): Promise<Response> {
    const request = input instanceof Request ? input : null;
    const rawUrl = request ? request.url : input instanceof URL ? input.href : String(input);
    let method = (init.method ?? request?.method ?? "GET").toUpperCase();
    const headers = new Headers(init.headers ?? request?.headers);
    let body = await bodyBytes(
      init.body !== undefined ? init.body : request?.body ? await request.arrayBuffer() : undefined,
    );
    const redirectMode = init.redirect ?? request?.redirect ?? "follow";

    const controller = new AbortController();
    const caller = init.signal ?? request?.signal ?? undefined;
    let timedOut = false;
    const onCallerAbort = () => controller.abort(abortReason(caller!));
    if (caller?.aborted) throw abortReason(caller);
    caller?.addEventListener("abort", onCallerAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(
        new EgressError(
          "timeout",
          `the outbound call did not finish within the egress limit of ${limits.timeoutMs} ms (EGRESS_TIMEOUT_MS)`,
          { limit: limits.timeoutMs },
        ),
      );
    }, limits.timeoutMs);
    const signal = controller.signal;
    try {
      // In-process services: first hop only (a redirect never leads into the process).
      let first: URL | null = null;
      try {
        first = new URL(rawUrl);
      } catch {
        // checkUrl below reports it.
      }
      const inProcess = first ? opts.inProcess?.[first.protocol] : undefined;
      if (first && inProcess) {
        return await raceAbort(
          inProcess({ url: first, method, headers, body, workspaceId, signal }),
          signal,
        );
      }

      const rules = await opts.allowList(workspaceId);
      headers.set("accept-encoding", "gzip, deflate, br");
      let url = checkUrl(rawUrl, rules);
      for (let hop = 0; ; hop++) {
        const pin = await resolveChecked(url, rules, signal);
        const follow = redirectMode === "follow";
        const raw = await pinnedRequest(
          url,
          pin,
          method,
          headers,
          body,
          signal,
          limits.maxResponseBytes,
          (status) => follow && REDIRECTS.has(status),
        );
        const location = headerOf(raw.rawHeaders, "location");
        if (!REDIRECTS.has(raw.status) || !location || redirectMode === "manual")
          return toResponse(raw);
        if (redirectMode === "error")
          throw new EgressError("too_many_redirects", `${url.host} redirected (redirect: error)`);
        if (hop + 1 > limits.maxRedirects) {
          throw new EgressError(
            "too_many_redirects",
            `more than ${limits.maxRedirects} redirects (the egress limit, EGRESS_MAX_REDIRECTS)`,
            { limit: limits.maxRedirects },
          );
        }
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new EgressError("invalid_url", `${url.host} redirected to an invalid URL`);
        }
        next = checkUrl(next, rules);
        if (next.origin !== url.origin) for (const h of ORIGIN_BOUND) headers.delete(h);
        if (
          raw.status === 303
            ? method !== "HEAD"
            : (raw.status === 301 || raw.status === 302) && method === "POST"
        ) {
          method = "GET";
          body = undefined;
          headers.delete("content-type");
        }
        url = next;
      }
    } catch (err) {
      if (timedOut) throw signal.reason as EgressError;
      if (caller?.aborted) throw abortReason(caller);
      throw err;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onCallerAbort);
    }
  }

  return {
    limits,
    fetchFor: (workspaceId) => (input, init) => guardedFetch(workspaceId, input, init),
    async check(workspaceId, url) {
      const rules = await opts.allowList(workspaceId);
      const u = checkUrl(url, rules);
      return resolveChecked(u, rules, new AbortController().signal);
    },
  };
}

function headerOf(rawHeaders: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.toLowerCase() === name) return rawHeaders[i + 1];
  return undefined;
}
