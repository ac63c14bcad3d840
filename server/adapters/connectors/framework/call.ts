/**
 * Executes one connector operation over HTTP: validate the inputs, ask the endpoint's circuit
 * breaker, authenticate, call with the engine's per-attempt AbortSignal and the attempt's
 * idempotency key, classify failures (see `classify.ts`), parse and validate the output.
 */
import { BreakerOpenError } from "@/server/engine/errors";
import type { BreakerBoard, BreakerOptions } from "@/server/engine/breaker";
import { authHeaders, TokenCache } from "./auth";
import {
  ConnectorError,
  EngineError,
  errorForStatus,
  isEndpointFailure,
  NonRetryableError,
  TimeoutError,
} from "./classify";
import { projectToSchema, schemaErrors } from "./schema";
import type { ConnectorEndpoint, Operation, QueryValues } from "./types";

/** What the caller shares across calls: fetch, token cache, breakers and a clock. */
export interface CallContext {
  fetch: typeof fetch;
  tokens: TokenCache;
  /** Breakers keyed by `system base-url`; null disables them (the engine may own breakers). */
  breakers: BreakerBoard | null;
  breakerOptions: (endpoint: ConnectorEndpoint, op: Operation) => BreakerOptions;
  now: () => number;
}

/** One attempt of one block execution. */
export interface CallRequest {
  inputs: Record<string, unknown>;
  /** Stable across attempts of a step: the server deduplicates retried writes with it. */
  idempotencyKey: string;
  signal: AbortSignal;
}

/** The breaker key of an endpoint: one breaker per system and base URL. */
export function breakerKey(endpoint: Pick<ConnectorEndpoint, "system" | "baseUrl">): string {
  return `${endpoint.system} ${endpoint.baseUrl.replace(/\/+$/, "")}`;
}

/** Fills `{name}` placeholders of `path` from `inputs`. */
export function fillPath(path: string, inputs: Record<string, unknown>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = inputs[name];
    if (v === undefined || v === null || v === "") {
      throw new NonRetryableError(`input "${name}" is required to build the path ${path}`);
    }
    return encodeURIComponent(String(v));
  });
}

export function buildUrl(baseUrl: string, path: string, query?: QueryValues): string {
  const url = new URL(baseUrl.replace(/\/+$/, "") + path);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined) url.searchParams.set(k, String(v));
  }
  return url.toString();
}

const HAS_BODY = new Set(["POST", "PUT", "PATCH"]);

function abortError(
  signal: AbortSignal,
  startedAt: number,
  now: number,
  cause: unknown,
): EngineError {
  const reason: unknown = signal.reason;
  if (reason instanceof EngineError) return reason;
  return new TimeoutError(Math.max(0, now - startedAt), { cause: reason ?? cause });
}

/** Runs one operation; returns the block output or throws a classified engine error. */
export async function callOperation(
  ctx: CallContext,
  endpoint: ConnectorEndpoint,
  op: Operation,
  req: CallRequest,
): Promise<Record<string, unknown>> {
  const def = op.definition;
  const inputError = schemaErrors(def.inputSchema, req.inputs, "inputs");
  if (inputError) {
    throw new NonRetryableError(`${def.id}@${def.version}: invalid inputs: ${inputError}`, {
      classification: { category: "validation", severity: "medium" },
    });
  }
  if (req.signal.aborted) throw abortError(req.signal, ctx.now(), ctx.now(), undefined);

  const key = breakerKey(endpoint);
  const bopts = ctx.breakerOptions(endpoint, op);
  if (ctx.breakers) {
    const decision = ctx.breakers.acquire(key, ctx.now(), bopts);
    if (!decision.allowed)
      throw new BreakerOpenError(key, decision.retryInMs, { detail: { block: def.id } });
  }
  try {
    const output = await send(ctx, endpoint, op, req);
    ctx.breakers?.success(key);
    return output;
  } catch (err) {
    scrubSecrets(err, endpoint);
    if (ctx.breakers) {
      if (isEndpointFailure(err)) ctx.breakers.failure(key, ctx.now(), bopts);
      // The endpoint answered (4xx, schema mismatch): it is alive.
      else ctx.breakers.success(key);
    }
    throw err;
  }
}

async function send(
  ctx: CallContext,
  endpoint: ConnectorEndpoint,
  op: Operation,
  req: CallRequest,
): Promise<Record<string, unknown>> {
  const def = op.definition;
  const path = fillPath(op.path, req.inputs);
  const url = buildUrl(endpoint.baseUrl, path, op.query?.(req.inputs));
  const what = `${endpoint.system} ${op.method} ${path}`;
  const body = HAS_BODY.has(op.method)
    ? JSON.stringify(op.body ? op.body(req.inputs) : req.inputs)
    : undefined;
  // A block-level idempotency key (billing charges, invoices) wins: it deduplicates across runs.
  const idempotencyKey =
    typeof req.inputs.idempotencyKey === "string" ? req.inputs.idempotencyKey : req.idempotencyKey;

  const startedAt = ctx.now();
  let res: Response | undefined;
  let text = "";
  for (let authTry = 0; authTry < 2; authTry++) {
    const headers: Record<string, string> = {
      accept: "application/json",
      ...endpoint.headers,
      ...Object.fromEntries(
        Object.entries(op.headers?.(req.inputs) ?? {}).filter(
          (e): e is [string, string] => e[1] !== undefined,
        ),
      ),
      ...(op.method !== "GET" ? { "idempotency-key": idempotencyKey } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(await authHeaders(endpoint.auth, ctx.tokens, ctx.fetch, req.signal)),
    };
    try {
      res = await ctx.fetch(url, { method: op.method, headers, body, signal: req.signal });
      text = await res.text();
    } catch (err) {
      if (req.signal.aborted) throw abortError(req.signal, startedAt, ctx.now(), err);
      // Refusals and limits of the egress guard keep their own class and message.
      if (err instanceof EngineError) throw err;
      throw new ConnectorError(`${what}: network error: ${(err as Error).message}`, {
        cause: err,
        detail: { url: redactUrl(url) },
      });
    }
    // A rejected OAuth2 token may have been revoked early: fetch a new one, once.
    if (res.status === 401 && endpoint.auth.type === "oauth2_client_credentials" && authTry === 0) {
      ctx.tokens.invalidate(endpoint.auth);
      continue;
    }
    break;
  }
  if (!res) throw new ConnectorError(`${what}: no response`);
  if (res.status < 200 || res.status >= 300)
    throw errorForStatus(what, res.status, res.headers, text, ctx.now());

  let parsed: unknown = {};
  if (text.trim() !== "") {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConnectorError(`${what}: malformed JSON in the response (HTTP ${res.status})`, {
        cause: err,
        detail: { status: res.status, malformed: true },
      });
    }
  }
  const mapped = op.response ? op.response(parsed, req.inputs) : parsed;
  const output = projectToSchema(def.outputSchema, mapped);
  const outputError = schemaErrors(def.outputSchema, output, "output");
  if (outputError) {
    throw new NonRetryableError(
      `${what}: the response does not match ${def.id}@${def.version}'s output: ${outputError}`,
      {
        classification: { category: "integration", severity: "high" },
        detail: { status: res.status },
      },
    );
  }
  if (typeof output !== "object" || output === null || Array.isArray(output)) {
    throw new NonRetryableError(`${what}: the response is not an object`, {
      classification: { category: "integration", severity: "high" },
    });
  }
  return output as Record<string, unknown>;
}

/** The secret values of an endpoint's auth (what must never appear in an error). */
function secretsOf(endpoint: ConnectorEndpoint): string[] {
  const a = endpoint.auth;
  const values =
    a.type === "api_key"
      ? [a.key]
      : a.type === "bearer"
        ? [a.token]
        : a.type === "basic"
          ? [a.password, Buffer.from(`${a.username}:${a.password}`).toString("base64")]
          : a.type === "oauth2_client_credentials"
            ? [a.clientSecret]
            : [];
  return values.filter((v) => v.length >= 4);
}

/**
 * Errors end up in run data, attempts and dead letters: a server that echoes the credential in
 * its error body must not carry it there.
 */
function scrubSecrets(err: unknown, endpoint: ConnectorEndpoint): void {
  if (!(err instanceof Error)) return;
  const secrets = secretsOf(endpoint);
  if (secrets.length === 0) return;
  let message = err.message;
  for (const s of secrets) message = message.split(s).join("[redacted]");
  if (message !== err.message) Object.defineProperty(err, "message", { value: message });
}

/** The URL without query values or credentials, for error details. */
function redactUrl(url: string): string {
  const u = new URL(url);
  u.username = "";
  u.password = "";
  u.search = "";
  return u.toString();
}
