/**
 * `http.request`: fetch with the attempt's AbortSignal (timeout, cancel), the idempotency key as
 * an `Idempotency-Key` header, and failures classified: 429/503 with `Retry-After` ->
 * {@link RetryAfterError}; 408, 429, 5xx and network errors retry; 401/403 (auth/authz) and
 * other 4xx (validation) do not.
 */
import { EngineError, NonRetryableError, RetryAfterError } from "../errors";
import type { BlockRuntime } from "../ports";
import { hasUrlCredentials, redactUrl } from "../redact";
import { asObject } from "./support";

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Options of {@link createHttpRuntime}. */
export interface HttpRuntimeOptions {
  /** The fetch to use (tests pass a fake). */
  fetch?: typeof fetch;
  /**
   * The fetch of a run's workspace (the server passes its egress guard, bound to the workspace:
   * `server/adapters/egress`); wins over `fetch`.
   */
  fetchFor?: (workspaceId: string) => typeof fetch;
}

/** Builds the `http.request` runtime. */
export function createHttpRuntime(opts: HttpRuntimeOptions = {}): BlockRuntime {
  // No fallback to the global fetch: outbound calls go through the egress guard (`fetchFor`)
  // or a fetch the caller hands in (tests); a runtime built with neither calls nothing.
  const globalFetch: typeof fetch =
    opts.fetch ??
    (() =>
      Promise.reject(
        new NonRetryableError("http.request has no egress guard here: outbound calls are off", {
          classification: { category: "system", severity: "high" },
        }),
      ));
  return {
    async execute({ inputs, idempotencyKey, signal, services, run }) {
      const doFetch = opts.fetchFor ? opts.fetchFor(run.workspaceId) : globalFetch;
      const method = String(inputs.method ?? "GET");
      let url: URL;
      try {
        url = new URL(String(inputs.url ?? ""));
      } catch {
        throw new NonRetryableError(
          `invalid URL ${JSON.stringify(redactUrl(String(inputs.url ?? "")).slice(0, 200))}`,
        );
      }
      // Secrets travel in headers (connector credentials, workspace secrets), never in URLs:
      // a URL ends up in errors, logs and run data.
      if (hasUrlCredentials(url)) {
        throw new NonRetryableError(
          `credentials inside URLs are refused (${url.protocol}//${url.host}): send them in a header, e.g. from a workspace secret`,
          { classification: { category: "validation", severity: "high" } },
        );
      }
      for (const [k, v] of Object.entries(asObject(inputs.query)))
        url.searchParams.set(k, String(v));
      const headers: Record<string, string> = { "idempotency-key": idempotencyKey };
      for (const [k, v] of Object.entries(asObject(inputs.headers)))
        headers[k.toLowerCase()] = String(v);
      let body: string | undefined;
      if (inputs.body !== undefined && method !== "GET") {
        body = typeof inputs.body === "string" ? inputs.body : JSON.stringify(inputs.body);
        headers["content-type"] ??= "application/json";
      }
      let res: Response;
      try {
        res = await doFetch(url, { method, headers, body, signal });
      } catch (e) {
        if (signal.aborted) throw e;
        // A refusal or a tripped limit of the egress guard keeps its own classification.
        if (e instanceof EngineError) throw e;
        throw new EngineError(`request to ${url.host} failed: ${(e as Error).message}`, true, {
          severity: "medium",
          category: "integration",
        });
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text === "" ? null : JSON.parse(text);
      } catch {
        // Not JSON: the body stays text.
      }
      const outHeaders: Record<string, string> = {};
      res.headers.forEach((v, k) => (outHeaders[k] = v));
      if (res.ok) return { status: res.status, headers: outHeaders, body: parsed };
      const detail = { status: res.status, host: url.host };
      const msg = `${method} ${url.host}${url.pathname} answered ${res.status}`;
      const retryAfter = parseRetryAfter(res.headers.get("retry-after"), services.now());
      if ((res.status === 429 || res.status === 503) && retryAfter !== undefined)
        throw new RetryAfterError(retryAfter, msg, { detail });
      if (res.status === 401)
        throw new NonRetryableError(msg, {
          classification: { category: "auth", severity: "high" },
          detail,
        });
      if (res.status === 403)
        throw new NonRetryableError(msg, {
          classification: { category: "authz", severity: "high" },
          detail,
        });
      if (res.status === 408 || res.status === 429)
        throw new EngineError(
          msg,
          true,
          { severity: "medium", category: "performance" },
          { detail },
        );
      if (res.status >= 500)
        throw new EngineError(msg, true, { severity: "high", category: "integration" }, { detail });
      throw new NonRetryableError(msg, {
        classification: { category: "validation", severity: "medium" },
        detail,
      });
    },
  };
}
