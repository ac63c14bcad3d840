/**
 * Errors of the REST API as `application/problem+json` (RFC 9457): `type`, `title`, `status`,
 * `detail`, `instance`, and for a request that does not match its schema `errors`, one per field
 * (`in` path, query or body; `field` as a dotted path; `pointer` as a JSON Pointer).
 *
 * Statuses: 400 the request does not match the documented schema; 401 no or a refused token;
 * 403 not allowed (role, scope, the four-eyes rule, a second decision by the same person); 404
 * not in this workspace; 409 the resource's state refuses it (decided, expired or voided approval,
 * stale plan, a run still going, a flow that does not compile); 413 body too large; 415 not JSON;
 * 422 well-formed but refused by a domain rule (a rejection without a comment, inputs that do not
 * match the flow); 429 / 503 with `Retry-After` when admission control refused a start.
 */
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { z, ZodError } from "zod";
import { AppError, type AppErrorCode } from "@/server/domain/errors";
import { admissionRefusalOf } from "@/server/domain/run/admission";
import { logger } from "@/server/logger";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Where the problem types are documented: the reference page, one anchor per type. */
export const PROBLEM_TYPE_BASE = "/developers/api#problem-";

/** The problem types of the API, by slug: their status and title. */
export const PROBLEM_TYPES = {
  "bad-request": { status: 400, title: "The request does not match the operation's schema" },
  unauthenticated: { status: 401, title: "Authentication required" },
  forbidden: { status: 403, title: "Not allowed" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflicts with the resource's current state" },
  "payload-too-large": { status: 413, title: "Request body too large" },
  "unsupported-media-type": { status: 415, title: "Send JSON" },
  unprocessable: { status: 422, title: "Refused by a rule of the domain" },
  "rate-limited": { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Internal error" },
  unavailable: { status: 503, title: "Temporarily unavailable" },
} as const;
export type ProblemType = keyof typeof PROBLEM_TYPES;

/** The domain's error codes as problem types, checked by the compiler. */
const APP_ERROR_PROBLEM = {
  INVALID_INPUT: "unprocessable",
  UNAUTHENTICATED: "unauthenticated",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not-found",
  CONFLICT: "conflict",
  PRECONDITION_FAILED: "conflict",
  RATE_LIMITED: "rate-limited",
} as const satisfies Record<AppErrorCode, ProblemType>;

const ZFieldError = z.object({
  in: z.enum(["path", "query", "body"]),
  /** Dotted path of the field (`inputsPatch.0.value`); empty for the whole part. */
  field: z.string(),
  /** The same as an RFC 6901 JSON Pointer into the part. */
  pointer: z.string(),
  detail: z.string(),
});
export type FieldError = z.infer<typeof ZFieldError>;

/** The schema of every error response (documented as the `Problem` component). */
export const ZProblem = z
  .object({
    type: z.string().describe("A URI reference naming the problem type (see the reference page)."),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().describe("The request's path."),
    errors: z
      .array(ZFieldError)
      .optional()
      .describe("400: each field that does not match the schema; 422: the field the rule names."),
    field: z.string().optional().describe("The field a domain rule refused, when it names one."),
  })
  .meta({ id: "Problem" });
export type Problem = z.infer<typeof ZProblem>;

export interface ProblemInit {
  detail: string;
  instance: string;
  errors?: FieldError[];
  field?: string;
  /** Overrides the type's status (503 for a saturated process). */
  status?: number;
  headers?: Record<string, string>;
}

/** A problem response of `type`. */
export function problem(type: ProblemType, init: ProblemInit): Response {
  const t = PROBLEM_TYPES[type];
  const body: Problem = {
    type: PROBLEM_TYPE_BASE + type,
    title: t.title,
    status: init.status ?? t.status,
    detail: init.detail,
    instance: init.instance,
    ...(init.errors ? { errors: init.errors } : {}),
    ...(init.field ? { field: init.field } : {}),
  };
  const headers: Record<string, string> = {
    "content-type": PROBLEM_CONTENT_TYPE,
    "cache-control": "no-store",
    ...init.headers,
  };
  if (body.status === 401) headers["www-authenticate"] = 'Bearer realm="trustflow"';
  return new Response(JSON.stringify(body), { status: body.status, headers });
}

const pointerOf = (path: ReadonlyArray<PropertyKey>) =>
  path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("");

/** Zod issues as field errors of `part`; `rename` maps a domain field to its REST place. */
export function fieldErrors(
  err: ZodError,
  part: FieldError["in"],
  rename: Record<string, { in: FieldError["in"]; field: string }> = {},
): FieldError[] {
  return err.issues.slice(0, 50).map((issue) => {
    const [head, ...rest] = issue.path;
    const moved = head !== undefined ? rename[String(head)] : undefined;
    const path = moved ? [moved.field, ...rest] : issue.path;
    return {
      in: moved?.in ?? part,
      field: path.map(String).join("."),
      pointer: pointerOf(path),
      detail: issue.message,
    };
  });
}

/** A 400 naming every field that does not match. */
export function badRequest(instance: string, errors: FieldError[]): Response {
  const first = errors[0];
  const detail = first
    ? `${first.field ? `${first.in} field ${first.field}` : `the ${first.in}`}: ${first.detail}` +
      (errors.length > 1 ? ` (and ${errors.length - 1} more)` : "")
    : "The request does not match the operation's schema.";
  return problem("bad-request", { detail, instance, errors });
}

/**
 * Any error a handler threw, as a problem: domain errors by code (admission refusals with their
 * status and `Retry-After`), tRPC errors by their HTTP status, zod errors as 400; anything else is
 * a 500 that tells nothing and is the only one logged at error level.
 */
export function problemOf(err: unknown, instance: string): Response {
  const refusal = admissionRefusalOf(err);
  if (refusal)
    return problem(refusal.status === 429 ? "rate-limited" : "unavailable", {
      detail: refusal.message,
      instance,
      status: refusal.status,
      headers: { "retry-after": String(refusal.retryAfterSeconds) },
    });
  if (err instanceof AppError) {
    const field = typeof err.details?.field === "string" ? err.details.field : undefined;
    const retry = Number(err.details?.retryAfterSeconds);
    return problem(APP_ERROR_PROBLEM[err.code], {
      detail: err.userMessage,
      instance,
      ...(field ? { field } : {}),
      ...(err.code === "RATE_LIMITED" && Number.isFinite(retry) && retry > 0
        ? { headers: { "retry-after": String(Math.ceil(retry)) } }
        : {}),
    });
  }
  if (err instanceof ZodError) return badRequest(instance, fieldErrors(err, "body"));
  if (err instanceof TRPCError && err.code !== "INTERNAL_SERVER_ERROR") {
    const status = getHTTPStatusCodeFromError(err);
    const type = (Object.keys(PROBLEM_TYPES) as ProblemType[]).find(
      (k) => PROBLEM_TYPES[k].status === status,
    );
    // A status without a problem type of its own (412: no workspace yet) is a refusal.
    return type
      ? problem(type, { detail: err.message, instance })
      : problem("forbidden", { detail: err.message, instance });
  }
  logger().error({ err, instance }, "REST operation failed");
  return problem("internal", {
    detail: "Something went wrong on our side. The error was logged.",
    instance,
  });
}
