/** Framework-free request/response types of the mock services and a tiny router. */

export interface MockRequest {
  method: string;
  /** Path under `/api/mock/<system>`, starting with `/` (may carry a `/t/<tenant>` prefix). */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: string;
}

export interface MockResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An error answer: `{ "error": { "code", "message" } }` with `status`. */
export class MockHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) =>
  new MockHttpError(404, "not_found", `${what} ${id} does not exist`);
/** The entry `id` of `map`, or a 404 naming `what` when there is none. */
export function found<T>(map: ReadonlyMap<string, T>, what: string, id: string): T {
  const v = map.get(id);
  if (v === undefined) throw notFound(what, id);
  return v;
}
export const conflict = (code: string, message: string) => new MockHttpError(409, code, message);
export const invalid = (message: string) => new MockHttpError(422, "validation_error", message);

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): MockResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  return json(status, { error: { code, message } }, headers);
}

/** What a route handler receives. */
export interface RouteContext<S> {
  state: S;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** Now, as an ISO timestamp (the service's clock). */
  now: Date;
}

export interface Route<S> {
  /** Operation name used by fault injection and stats, e.g. `contact.create`. */
  operation: string;
  method: string;
  /** `/contacts/:id` */
  pattern: string;
  handler: (ctx: RouteContext<S>) => { status?: number; body: unknown };
}

/** Matches `path` against a route pattern; returns its params or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split("/").filter(Boolean);
  const b = path.split("/").filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const seg = a[i]!;
    if (seg.startsWith(":")) {
      try {
        params[seg.slice(1)] = decodeURIComponent(b[i]!);
      } catch {
        return null;
      }
    } else if (seg !== b[i]) return null;
  }
  return params;
}

// ---- small validators for request bodies (the mock answers 422 like a real API would)

export function reqString(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== "string" || v.trim() === "")
    throw invalid(`${key} is required (a non-empty string)`);
  return v;
}
export function optString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalid(`${key} must be a string`);
  return v;
}
export function reqNumber(body: Record<string, unknown>, key: string, min = 0): number {
  const v = body[key];
  if (typeof v !== "number" || !Number.isFinite(v) || v < min)
    throw invalid(`${key} must be a number >= ${min}`);
  return v;
}
export function optNumber(body: Record<string, unknown>, key: string, min = 0): number | undefined {
  return body[key] === undefined || body[key] === null ? undefined : reqNumber(body, key, min);
}
export function currencyOf(body: Record<string, unknown>, key = "currency"): string {
  const c = reqString(body, key);
  if (!/^[A-Z]{3}$/.test(c)) throw invalid(`${key} must be an ISO 4217 code such as EUR`);
  return c;
}
export function emailOf(body: Record<string, unknown>, key = "email"): string {
  const e = reqString(body, key);
  if (!/^[^@\s]+@[^@\s]+$/.test(e)) throw invalid(`${key} must be an email address`);
  return e;
}
export function oneOf<T extends string>(
  body: Record<string, unknown>,
  key: string,
  values: readonly T[],
): T | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || !values.includes(v as T))
    throw invalid(`${key} must be one of ${values.join(", ")}`);
  return v as T;
}
export function stringMap(
  body: Record<string, unknown>,
  key: string,
): Record<string, string> | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (
    typeof v !== "object" ||
    Array.isArray(v) ||
    Object.values(v).some((x) => typeof x !== "string")
  ) {
    throw invalid(`${key} must be an object of strings`);
  }
  return v as Record<string, string>;
}
export const today = (now: Date) => now.toISOString().slice(0, 10);
export function plusDays(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
