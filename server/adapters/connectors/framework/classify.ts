/**
 * Turns HTTP outcomes into the engine's classified errors:
 *
 * | outcome | error | retried |
 * | --- | --- | --- |
 * | 429, 503 with `Retry-After` | `RetryAfterError(ms)`, integration/low | yes, after exactly that delay |
 * | 401 | `NonRetryableError`, auth/high | no |
 * | 403 | `NonRetryableError`, authz/high | no |
 * | 400, 404, 409, 422, other 4xx | `NonRetryableError`, validation/medium | no |
 * | 408, 429 without `Retry-After` | `ConnectorError`, performance or integration | yes (backoff) |
 * | 5xx, network failure, malformed JSON | `ConnectorError`, integration | yes (backoff) |
 * | response that breaks the output schema | `NonRetryableError`, integration/high | no |
 * | the attempt's signal aborts | `TimeoutError`, performance | yes |
 */
import {
  EngineError,
  NonRetryableError,
  RetryAfterError,
  TimeoutError,
  type Classification,
  type EngineErrorOptions,
} from "@/server/engine/errors";

export { EngineError, NonRetryableError, RetryAfterError, TimeoutError };
export type { Classification };

/** A retryable connector failure (5xx, network, malformed body, open breaker). */
export class ConnectorError extends EngineError {
  constructor(message: string, opts: EngineErrorOptions = {}) {
    super(message, true, { severity: "medium", category: "integration" }, opts);
    this.name = "ConnectorError";
  }
}

/** Longest `Retry-After` honoured; a server asking for more is capped (a day is not a retry). */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/**
 * Parses `Retry-After`: delta-seconds (`120`) or an HTTP date. Undefined when absent or
 * unparseable; a date in the past gives 0.
 *
 * @example
 * parseRetryAfter("2", Date.now()); // 2000
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text))
    return Math.min(Math.round(Number(text) * 1000), MAX_RETRY_AFTER_MS);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/** The message of an error body `{ error: { code, message } }` or `{ message }`, if any. */
function bodyMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as {
      error?: { message?: unknown; code?: unknown } | string;
      message?: unknown;
    };
    if (typeof body.error === "object" && body.error && typeof body.error.message === "string") {
      return typeof body.error.code === "string"
        ? `${body.error.code}: ${body.error.message}`
        : body.error.message;
    }
    if (typeof body.error === "string") return body.error;
    if (typeof body.message === "string") return body.message;
  } catch {
    // Not JSON: the status says enough.
  }
  return undefined;
}

/** Classifies a non-2xx response. `what` names the call, e.g. `crm POST /contacts`. */
export function errorForStatus(
  what: string,
  status: number,
  headers: Headers,
  bodyText: string,
  now: number,
): EngineError {
  const reason = bodyMessage(bodyText.slice(0, 2000));
  const message = `${what} failed with HTTP ${status}${reason ? `: ${reason}` : ""}`;
  const detail = { status };
  if (status === 429 || status === 503) {
    const ms = parseRetryAfter(headers.get("retry-after"), now);
    if (ms !== undefined) return new RetryAfterError(ms, message, { detail });
  }
  if (status === 401) {
    return new NonRetryableError(message, {
      classification: { category: "auth", severity: "high" },
      detail,
    });
  }
  if (status === 403) {
    return new NonRetryableError(message, {
      classification: { category: "authz", severity: "high" },
      detail,
    });
  }
  if (status === 408) {
    return new ConnectorError(message, { classification: { category: "performance" }, detail });
  }
  if (status === 429) {
    return new ConnectorError(message, { classification: { severity: "low" }, detail });
  }
  if (status >= 400 && status < 500) {
    return new NonRetryableError(message, {
      classification: { category: "validation", severity: "medium" },
      detail,
    });
  }
  return new ConnectorError(message, {
    classification: { severity: status >= 500 ? "high" : "medium" },
    detail,
  });
}

/** Whether a failure should count against the endpoint's circuit breaker. */
export function isEndpointFailure(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  if (err instanceof ConnectorError) return err.classification.category !== "validation";
  // 429/503 with Retry-After: the endpoint is overloaded; counting 503 lets the breaker shed load.
  if (err instanceof RetryAfterError) return err.detail?.status === 503;
  return false;
}
