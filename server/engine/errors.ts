/**
 * Engine error classes. A runtime throws one of these to say what happens next: retry with
 * backoff (any error), retry after a server-given delay ({@link RetryAfterError}), never retry
 * ({@link NonRetryableError}, {@link ConsentError}). Every failure is classified by severity and
 * category; the classification is stored on the attempt and on dead-letter records.
 */

/** How bad a failure is. */
export type Severity = "low" | "medium" | "high" | "critical";
/** Where a failure comes from. */
export type Category = "auth" | "authz" | "validation" | "integration" | "performance" | "system";

/** Severity and category of a failure. */
export interface Classification {
  severity: Severity;
  category: Category;
}

/** A failure as stored on an attempt, a dead letter or a run (plain, serialisable). */
export interface ErrorInfo {
  name: string;
  message: string;
  retryable: boolean;
  classification: Classification;
  /** Milliseconds the server asked to wait (Retry-After), when given. */
  retryAfterMs?: number;
  /** Extra structured detail (HTTP status, rule, ...). */
  detail?: Record<string, unknown>;
}

/** Options shared by the engine's error classes. */
export interface EngineErrorOptions {
  classification?: Partial<Classification>;
  cause?: unknown;
  detail?: Record<string, unknown>;
}

/** Base class: an error that carries its classification and whether it may be retried. */
export class EngineError extends Error {
  readonly classification: Classification;
  readonly retryable: boolean;
  readonly detail?: Record<string, unknown>;

  constructor(
    message: string,
    retryable: boolean,
    defaults: Classification,
    opts: EngineErrorOptions = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "EngineError";
    this.retryable = retryable;
    this.classification = { ...defaults, ...opts.classification };
    this.detail = opts.detail;
  }
}

/**
 * A failure retrying cannot fix (bad input, a rejected approval, a 4xx). The step fails at once.
 *
 * @example
 * throw new NonRetryableError("customer not found", { classification: { category: "validation" } });
 */
export class NonRetryableError extends EngineError {
  constructor(message: string, opts: EngineErrorOptions = {}) {
    super(message, false, { severity: "medium", category: "validation" }, opts);
    this.name = "NonRetryableError";
  }
}

/** A transient failure whose server said when to come back (HTTP 429/503 `Retry-After`). */
export class RetryAfterError extends EngineError {
  constructor(
    readonly retryAfterMs: number,
    message = `retry after ${retryAfterMs} ms`,
    opts: EngineErrorOptions = {},
  ) {
    super(message, true, { severity: "low", category: "integration" }, opts);
    this.name = "RetryAfterError";
  }
}

/** The attempt ran longer than its per-attempt timeout (retryable). */
export class TimeoutError extends EngineError {
  constructor(
    readonly timeoutMs: number,
    opts: EngineErrorOptions = {},
  ) {
    super(
      `attempt timed out after ${timeoutMs} ms`,
      true,
      { severity: "medium", category: "performance" },
      opts,
    );
    this.name = "TimeoutError";
  }
}

/** A step that needs consent has no consent id: it fails closed and is never retried. */
export class ConsentError extends EngineError {
  constructor(message: string, opts: EngineErrorOptions = {}) {
    super(message, false, { severity: "high", category: "authz" }, opts);
    this.name = "ConsentError";
  }
}

/**
 * A trust gate that halts (`trust.below: halt`, the default) is under its minimum: the run, or
 * the step, stops before any side effect and is never retried.
 */
export class TrustError extends EngineError {
  constructor(message: string, opts: EngineErrorOptions = {}) {
    super(message, false, { severity: "high", category: "authz" }, opts);
    this.name = "TrustError";
  }
}

/** The circuit breaker of the step's endpoint is open: the call was not made (retryable). */
export class BreakerOpenError extends EngineError {
  constructor(
    readonly key: string,
    readonly retryInMs: number,
    opts: EngineErrorOptions = {},
  ) {
    super(
      `circuit breaker ${key} is open`,
      true,
      { severity: "high", category: "integration" },
      opts,
    );
    this.name = "BreakerOpenError";
  }
}

/** Default classification of an error that is none of the engine's classes. */
const UNKNOWN: Classification = { severity: "high", category: "system" };

/**
 * Turns anything thrown into stored {@link ErrorInfo}. Unknown errors are retryable
 * `system`/`high` failures (a bug or an outage; retries are the safe default).
 */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof EngineError) {
    const info: ErrorInfo = {
      name: err.name,
      message: err.message,
      retryable: err.retryable,
      classification: err.classification,
    };
    if (err instanceof RetryAfterError) info.retryAfterMs = err.retryAfterMs;
    if (err.detail) info.detail = err.detail;
    return info;
  }
  if (err instanceof Error) {
    if (err.name === "ExpressionError") {
      return {
        name: err.name,
        message: err.message,
        retryable: false,
        classification: { severity: "medium", category: "validation" },
      };
    }
    return {
      name: err.name || "Error",
      message: err.message,
      retryable: true,
      classification: { ...UNKNOWN },
    };
  }
  return { name: "Error", message: String(err), retryable: true, classification: { ...UNKNOWN } };
}
