/**
 * Refusals and limits of the egress guard. An {@link EgressError} is an engine error, so a run's
 * step fails with its classification (policy refusals never retry; a timeout may) and its
 * message names the rule or the limit that tripped.
 */
import { EngineError, type Classification } from "@/server/engine/errors";

export type EgressErrorCode =
  /** Not an absolute http(s) URL. */
  | "invalid_url"
  /** `user:pass@` inside the URL. */
  | "credentials_in_url"
  /** Plain http (or another scheme) to a host not allow-listed with allowHttp. */
  | "scheme_not_allowed"
  /** The host resolves to a loopback, private, link-local, ... address. */
  | "forbidden_address"
  /** The host name does not resolve. */
  | "dns_failed"
  | "too_many_redirects"
  | "response_too_large"
  | "timeout";

const CLASSES: Record<EgressErrorCode, { retryable: boolean; classification: Classification }> = {
  invalid_url: { retryable: false, classification: { severity: "medium", category: "validation" } },
  credentials_in_url: {
    retryable: false,
    classification: { severity: "high", category: "validation" },
  },
  scheme_not_allowed: {
    retryable: false,
    classification: { severity: "high", category: "authz" },
  },
  forbidden_address: { retryable: false, classification: { severity: "high", category: "authz" } },
  dns_failed: { retryable: true, classification: { severity: "medium", category: "integration" } },
  too_many_redirects: {
    retryable: false,
    classification: { severity: "medium", category: "integration" },
  },
  response_too_large: {
    retryable: false,
    classification: { severity: "medium", category: "integration" },
  },
  timeout: { retryable: true, classification: { severity: "medium", category: "performance" } },
};

/** A refusal or a tripped limit of the egress guard; `code` says which. */
export class EgressError extends EngineError {
  constructor(
    readonly code: EgressErrorCode,
    message: string,
    detail: Record<string, unknown> = {},
  ) {
    const c = CLASSES[code];
    super(message, c.retryable, c.classification, { detail: { egress: code, ...detail } });
    this.name = "EgressError";
  }
}
