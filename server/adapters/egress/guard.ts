/**
 * The egress guard: the one door for every outbound HTTP call of the server (`http.request`,
 * connector calls, OAuth2 token requests, OpenAPI import by URL, webhooks, agent model calls;
 * the list is in ARCHITECTURE.md beside this file). {@link createEgressGuard}
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
 *
 * A call has a purpose: `flow` (the default: checked against the workspace's allow-list) or
 * `model` (a configured model endpoint: checked against the operator's entries the caller hands
 * in, with that model's time and size limits; see {@link EgressScope}). Every call is reported
 * to `onCall` with its purpose and outcome.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { parseAddress } from "@/server/domain/egress/address";
import { EgressError, type EgressErrorCode } from "@/server/domain/egress/errors";
import {
  checkAddress,
  checkUrl,
  portOf,
  type EgressRule,
  type RuleSource,
} from "@/server/domain/egress/policy";
import {
  abortReason,
  bodyBytes,
  headerOf,
  pinnedRequest,
  raceAbort,
  toResponse,
  type ResolvedAddress,
} from "./hop";

export type { EgressRule } from "@/server/domain/egress/policy";
export type { ResolvedAddress } from "./hop";

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

/** What an outbound call is for: a flow's destination, or a configured model endpoint. */
export type EgressPurpose = "flow" | "model";

/**
 * The calls of a configured model endpoint (the agent runtime's model client). Its rules are the
 * operator's entries (`operatorRule()` of each configured model's base URL: exactly those hosts
 * and ports) and replace the workspace's allow-list: a workspace admin's entries do not widen
 * what a model client reaches, and operator entries never widen what a flow reaches.
 */
export interface EgressScope {
  purpose: "model";
  rules: readonly EgressRule[];
  /** This endpoint's limits (e.g. the model's `timeoutMs`); the guard's own fill the rest. */
  limits?: Partial<EgressLimits>;
  /** Where the limits are set, for their errors (default: the `EGRESS_*` variables). */
  limitNames?: Partial<Record<keyof EgressLimits, string>>;
}

/** How one call ended: `ok` (any HTTP status), the guard's refusal code, or neither. */
export type EgressOutcome = "ok" | EgressErrorCode | "aborted" | "failed";

/** One outbound call, as the guard reports it (after it ended). */
export interface EgressCallRecord {
  workspaceId: string;
  purpose: EgressPurpose;
  /** `host:port` of the first hop (or the in-process scheme); never the path or query. */
  host: string;
  outcome: EgressOutcome;
  /** The final HTTP status, for `ok`. */
  status?: number;
  durationMs: number;
}

export interface EgressGuardOptions {
  /** The workspace's allow-list (`EgressAllow` rows). */
  allowList: (workspaceId: string) => Promise<readonly EgressRule[]>;
  lookup?: EgressLookup;
  limits?: Partial<EgressLimits>;
  /** Handlers of in-process schemes by protocol, e.g. `{ "mock:": mockInProcess() }`. */
  inProcess?: Record<string, InProcessHandler>;
  /** Told of every call once it ended (metrics); must not throw. */
  onCall?: (record: EgressCallRecord) => void;
}

export type EgressFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface EgressGuard {
  readonly limits: EgressLimits;
  /**
   * A `fetch` bound to `workspaceId`: every call is checked against the workspace's allow-list,
   * or, with a model `scope`, against the operator's entries with the scope's limits.
   */
  fetchFor(workspaceId: string, scope?: EgressScope): EgressFetch;
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
/** Where the guard's own limits are set, named in their errors. */
const LIMIT_NAMES: Record<keyof EgressLimits, string> = {
  maxResponseBytes: "EGRESS_MAX_RESPONSE_BYTES",
  timeoutMs: "EGRESS_TIMEOUT_MS",
  maxRedirects: "EGRESS_MAX_REDIRECTS",
};
/** Headers that must not follow a redirect to another origin (as fetch does). */
const ORIGIN_BOUND = ["authorization", "cookie", "proxy-authorization"];

/** Builds the guard. */
export function createEgressGuard(opts: EgressGuardOptions): EgressGuard {
  const limits: EgressLimits = { ...DEFAULT_EGRESS_LIMITS, ...opts.limits };
  const lookup = opts.lookup ?? defaultLookup;

  async function resolveChecked(
    url: URL,
    rules: readonly EgressRule[],
    signal: AbortSignal,
    source: RuleSource = "workspace",
  ): Promise<ResolvedAddress> {
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    const port = portOf(url);
    const literal = parseAddress(hostname);
    if (literal) {
      checkAddress(hostname, hostname, rules, port, source);
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
    for (const a of addresses) checkAddress(hostname, a.address, rules, port, source);
    return addresses[0]!;
  }

  async function guardedFetch(
    workspaceId: string,
    scope: EgressScope | undefined,
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
    const callLimits: EgressLimits = { ...limits, ...scope?.limits };
    const names = { ...LIMIT_NAMES, ...scope?.limitNames };
    const source: RuleSource = scope ? "operator" : "workspace";

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
          `the outbound call did not finish within the egress limit of ${callLimits.timeoutMs} ms (${names.timeoutMs})`,
          { limit: callLimits.timeoutMs },
        ),
      );
    }, callLimits.timeoutMs);
    const signal = controller.signal;
    const started = Date.now();
    let first: URL | null = null;
    try {
      first = new URL(rawUrl);
    } catch {
      // checkUrl below reports it.
    }
    const record = (outcome: EgressOutcome, status?: number) =>
      opts.onCall?.({
        workspaceId,
        purpose: scope?.purpose ?? "flow",
        host: first ? first.host || first.protocol : "",
        outcome,
        ...(status === undefined ? {} : { status }),
        durationMs: Date.now() - started,
      });
    try {
      // In-process services (flows only): first hop only (a redirect never leads into the process).
      const inProcess = first && !scope ? opts.inProcess?.[first.protocol] : undefined;
      if (first && inProcess) {
        const res = await raceAbort(
          inProcess({ url: first, method, headers, body, workspaceId, signal }),
          signal,
        );
        record("ok", res.status);
        return res;
      }

      const rules = scope ? scope.rules : await opts.allowList(workspaceId);
      headers.set("accept-encoding", "gzip, deflate, br");
      let url = checkUrl(rawUrl, rules, source);
      for (let hop = 0; ; hop++) {
        const pin = await resolveChecked(url, rules, signal, source);
        const follow = redirectMode === "follow";
        const raw = await pinnedRequest(
          url,
          pin,
          method,
          headers,
          body,
          signal,
          callLimits.maxResponseBytes,
          (status) => follow && REDIRECTS.has(status),
          names.maxResponseBytes,
        );
        const location = headerOf(raw.rawHeaders, "location");
        if (!REDIRECTS.has(raw.status) || !location || redirectMode === "manual") {
          const res = toResponse(raw);
          record("ok", res.status);
          return res;
        }
        if (redirectMode === "error")
          throw new EgressError("too_many_redirects", `${url.host} redirected (redirect: error)`);
        if (hop + 1 > callLimits.maxRedirects) {
          throw new EgressError(
            "too_many_redirects",
            `more than ${callLimits.maxRedirects} redirects (the egress limit, ${names.maxRedirects})`,
            { limit: callLimits.maxRedirects },
          );
        }
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new EgressError("invalid_url", `${url.host} redirected to an invalid URL`);
        }
        next = checkUrl(next, rules, source);
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
      if (timedOut) {
        record("timeout");
        throw signal.reason as EgressError;
      }
      if (caller?.aborted) {
        record("aborted");
        throw abortReason(caller);
      }
      record(err instanceof EgressError ? err.code : "failed");
      throw err;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onCallerAbort);
    }
  }

  return {
    limits,
    fetchFor: (workspaceId, scope) => (input, init) =>
      guardedFetch(workspaceId, scope, input, init),
    async check(workspaceId, url) {
      const rules = await opts.allowList(workspaceId);
      const u = checkUrl(url, rules);
      return resolveChecked(u, rules, new AbortController().signal);
    },
  };
}
