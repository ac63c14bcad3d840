/**
 * Triage (issue 18, item 2), pure: a group's class from its members' errors, with the reasons.
 *
 * - **transient**: a network blip a retry or a replay fixes (no patch; a replay is advised).
 * - **resilience**: 429 storms, 5xx storms, timeouts, an open breaker: the retry, back-off,
 *   timeout or breaker settings are patched.
 * - **mapping** (configuration or mapping): the flow reads a field that is not there, passes a
 *   value of the wrong type, or a request the service refuses as malformed.
 * - **drift** (data or schema drift): an upstream response no longer has the shape it had when
 *   the step last succeeded (the field-level difference is attached).
 * - **external**: an outage or an expired or revoked credential: route to the owner, no patch.
 * - **policy**: a policy, consent, trust or egress refusal: no patch.
 */
import { describeChange, fieldDiff, type FieldChange } from "./drift";
import type { FailureRecord } from "./fingerprint";

export const TRIAGE_CLASSES = [
  "transient",
  "resilience",
  "mapping",
  "drift",
  "external",
  "policy",
] as const;
export type TriageClass = (typeof TRIAGE_CLASSES)[number];

/** Classes a rule may patch. */
export const PATCHABLE: ReadonlySet<TriageClass> = new Set(["resilience", "mapping", "drift"]);

/** A group's triage: the class, its reasons, and for drift the field-level difference. */
export interface Triage {
  class: TriageClass;
  reasons: string[];
  /** Why this kind of failure resists or takes a fix, in one sentence for the page. */
  advice: string;
  drift: FieldChange[];
  /** The resilience sub-kind, for the proposals. */
  resilience?: "rate-limit" | "server-error" | "timeout" | "breaker";
}

/** Failures in a group (from the same step) that make a 429 or 5xx series a storm. */
export const STORM_MIN = 3;

const EXPIRED = /expired|revoked|invalid (api[ _-]?)?(key|token)|unauthori[sz]ed|credential/i;
const OUTAGE = /outage|maintenance|service unavailable|down for|dns|no such host|ENOTFOUND/i;
const NETWORK =
  /network error|ECONNRESET|ECONNREFUSED|socket hang up|EPIPE|connection (reset|closed)|ETIMEDOUT|EAI_AGAIN/i;
/** The agent runtime's words for models that did not answer (`failover.ts`, `chat-client.ts`). */
const MODEL_DOWN = /Every model failed|Could not reach model|is cooling down/;
const POLICY_NAMES = new Set(["ConsentError", "TrustError", "EgressError", "EgressDeniedError"]);
const FIELD_NOT_FOUND = /field not found: ([\w$]+)/;
const NO_OVERLOAD = /no matching overload for '([^']+)' applied to '\(([^)]*)\)'/;
const OUTPUT_MISMATCH = /does not match .* output: (.*)$/;

/** The field a CEL error names (`field not found: emial`), if any. */
export function missingFieldOf(message: string): string | undefined {
  return FIELD_NOT_FOUND.exec(message)?.[1];
}

const advice: Record<TriageClass, string> = {
  transient: "A passing fault: replaying the failed runs should succeed; no patch is proposed.",
  resilience:
    "The service was slow or overloaded: the step's retry, back-off or timeout is patched.",
  mapping: "The flow's mapping or configuration is wrong: the step's inputs are patched.",
  drift: "The upstream response changed shape: the mapping is patched to read the new shape.",
  external:
    "The cause is outside the flow (an outage or a credential): the owner of the connection must act; no patch is proposed.",
  policy:
    "A policy refused the step on purpose: no patch is proposed; change the policy or the data.",
};

function result(cls: TriageClass, reasons: string[], extra: Partial<Triage> = {}): Triage {
  return { class: cls, reasons, advice: advice[cls], drift: [], ...extra };
}

/**
 * The class of a group from its members (the newest first; at most a few hundred are read) and
 * its whole count.
 *
 * @example
 * triage(members).class; // "resilience"
 */
export function triage(members: readonly FailureRecord[], count = members.length): Triage {
  const f = members[0];
  if (!f) return result("transient", ["No failure to look at."]);
  const n = Math.max(count, members.length);
  const status = f.httpStatus;
  const msg = f.message;
  const recovered = members.filter((m) => m.recovered).length;

  if (POLICY_NAMES.has(f.errorName) || (f.category === "authz" && (f.code || /policy/i.test(msg))))
    return result("policy", [
      `${f.errorName}${f.code ? ` (rule ${f.code})` : ""}: the step was refused by a rule, not by a fault.`,
    ]);
  if (status === 401 || (f.category === "auth" && EXPIRED.test(msg)) || EXPIRED.test(msg))
    return result("external", [
      `HTTP ${status ?? "auth"} failure: the service rejected the connection's credential ("${clip(msg)}").`,
    ]);
  if (status === 403)
    return result("external", [
      "HTTP 403: the credential lacks a permission the owner must grant.",
    ]);

  if (f.errorName === "TimeoutError" || status === 408 || status === 504)
    return result(
      "resilience",
      [
        `The attempt ran out of time (${f.errorName}${status ? `, HTTP ${status}` : ""}) in ${n} failure(s).`,
      ],
      { resilience: "timeout" },
    );
  if (status === 429 || f.errorName === "RetryAfterError")
    return result(
      "resilience",
      [
        `HTTP ${status ?? 429} "too many requests" ${n} time(s)${f.retryAfterMs !== null ? `, the server asking to wait ${Math.round(f.retryAfterMs / 1000)} s` : ""}: a rate-limit storm.`,
      ],
      { resilience: "rate-limit" },
    );
  if (f.errorName === "BreakerOpenError")
    return result("resilience", [`The endpoint's circuit breaker was open in ${n} failure(s).`], {
      resilience: "breaker",
    });
  // An agent step's model down or unreachable: the router may fall back to another model.
  if (
    f.blockId.startsWith("agent.") &&
    ((status !== null && status >= 500) || OUTAGE.test(msg) || MODEL_DOWN.test(msg))
  )
    return result(
      "resilience",
      [
        `The model of agent step "${f.stepId}" was unavailable in ${n} failure(s) ("${clip(msg)}").`,
      ],
      { resilience: "server-error" },
    );
  if (status !== null && status >= 500) {
    if (OUTAGE.test(msg) && recovered === 0)
      return result("external", [
        `HTTP ${status} saying the service is down ("${clip(msg)}"), with no recovery.`,
      ]);
    if (n >= STORM_MIN)
      return result(
        "resilience",
        [`${n} HTTP ${status} failures of the same call: a server-error storm.`],
        { resilience: "server-error" },
      );
    return result("transient", [`A single HTTP ${status} failure; a replay should pass.`]);
  }
  if (OUTAGE.test(msg) && recovered === 0)
    return result("external", [`The service could not be reached at all ("${clip(msg)}").`]);
  if (NETWORK.test(msg) || (f.retryable && recovered > 0 && !f.upstream))
    return result("transient", [
      `A network fault ("${clip(msg)}")${recovered ? `; ${recovered} of ${n} attempts recovered on retry` : ""}.`,
    ]);

  // Mapping versus drift: did the upstream answer change shape since the step last succeeded?
  const withUpstream = members.find((m) => m.upstream?.lastGoodOutput !== undefined);
  if (withUpstream?.upstream) {
    const changes = fieldDiff(withUpstream.upstream.lastGoodOutput, withUpstream.upstream.output);
    const named = missingFieldOf(withUpstream.message);
    const relevant = changes.filter((c) => c.kind !== "added");
    if (
      relevant.length &&
      (!named ||
        relevant.some((c) => c.path === named || c.path.endsWith(`.${named}`)) ||
        NO_OVERLOAD.test(msg))
    )
      return result(
        "drift",
        [
          `Step "${withUpstream.upstream.stepId}" answers differently than when "${f.stepId}" last succeeded: ${relevant.map(describeChange).join("; ")}.`,
        ],
        { drift: changes },
      );
  }
  const mismatch = OUTPUT_MISMATCH.exec(msg);
  if (mismatch)
    return result(
      "drift",
      [`The response no longer matches the block's output schema: ${clip(mismatch[1]!)}.`],
      {
        drift: schemaErrorsToChanges(mismatch[1]!),
      },
    );
  if (FIELD_NOT_FOUND.test(msg))
    return result("mapping", [
      `The mapping reads \`${missingFieldOf(msg)}\`, which the upstream output has never had.`,
    ]);
  if (NO_OVERLOAD.test(msg))
    return result("mapping", [`An expression combines values of the wrong types (${clip(msg)}).`]);
  if (
    /invalid inputs|must (have|match|be)/i.test(msg) ||
    status === 400 ||
    status === 404 ||
    status === 422 ||
    f.category === "validation"
  )
    return result("mapping", [`The step's request was refused as malformed (${clip(msg)}).`]);
  if (f.retryable)
    return result("transient", [`A retryable ${f.errorName} without a pattern of its own.`]);
  return result("mapping", [
    `A non-retryable ${f.errorName} of the step's own making (${clip(msg)}).`,
  ]);
}

function clip(s: string, n = 120): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** Ajv's error text (`output must have required property 'email', output/amount must be number`). */
function schemaErrorsToChanges(text: string): FieldChange[] {
  const out: FieldChange[] = [];
  for (const part of text.split(/, (?=output)/)) {
    const req = /required property '([^']+)'/.exec(part);
    const type = /^output\/?([\w/]*) must be (\w+)/.exec(part);
    if (req) out.push({ kind: "missing", path: req[1]!, was: "required" });
    else if (type)
      out.push({
        kind: "type",
        path: type[1]!.replace(/\//g, ".") || "(root)",
        was: type[2]!,
        now: "other",
      });
  }
  return out;
}
