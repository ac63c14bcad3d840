/**
 * The REST API's one entry point (`app/api/v1/[...path]/route.ts`): finds the operation in the
 * route table, refuses cross-site cookie requests (`server/http/csrf.ts`), reads the body within
 * its bound (`server/http/read-bounded-body.ts`), authorizes the caller with the rules of the tRPC
 * procedures (`authorizeContext`: a bearer token's scope and its creator's role, or a session's
 * role), validates path, query and body with the operation's schemas, and runs its handler.
 * Every error is `application/problem+json` (`problem.ts`).
 */
import { z, type ZodType } from "zod";
import { checkCrossSiteRequest } from "@/server/http/csrf";
import { readBoundedBody } from "@/server/http/read-bounded-body";
import { servicesOf, type ContextInner } from "@/server/trpc/init";
import { authorizeContext } from "@/server/trpc/request-actor";
import { badRequest, fieldErrors, problem, problemOf, type FieldError } from "./problem";
import { API_BASE, RestInputError, type RestRoute } from "./route";
import { ROUTES } from "./routes";

/** Request bodies above this are refused (413) as they stream in. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface RestOptions {
  /** The caller's context: bearer token first, else the session cookie (`server/trpc/context.ts`). */
  createContext: (req: Request) => Promise<ContextInner>;
  /** The public URL (`NEXTAUTH_URL`): same-origin pages may use the session cookie. */
  publicUrl?: string;
  routes?: readonly RestRoute[];
}

interface Compiled {
  route: RestRoute;
  pattern: RegExp;
  names: string[];
}

const compiledCache = new WeakMap<readonly RestRoute[], Compiled[]>();

function compile(routes: readonly RestRoute[]): Compiled[] {
  let found = compiledCache.get(routes);
  if (!found) {
    found = routes.map((route) => {
      const names: string[] = [];
      const source = route.path
        .split("/")
        .map((seg) => {
          const m = /^\{(\w+)\}$/.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          names.push(m[1]!);
          return "([^/]+)";
        })
        .join("/");
      return { route, pattern: new RegExp(`^${source}/?$`), names };
    });
    compiledCache.set(routes, found);
  }
  return found;
}

/** The operation `method path` names, or why none does. */
export function matchRoute(
  routes: readonly RestRoute[],
  method: string,
  path: string,
): { route: RestRoute; params: Record<string, string> } | { allow: string[] } | null {
  const allow: string[] = [];
  for (const c of compile(routes)) {
    const m = c.pattern.exec(path);
    if (!m) continue;
    if (c.route.method !== method) {
      allow.push(c.route.method);
      continue;
    }
    const params: Record<string, string> = {};
    c.names.forEach((name, i) => {
      params[name] = safeDecode(m[i + 1]!);
    });
    return { route: c.route, params };
  }
  return allow.length ? { allow } : null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const jsonSchemaCache = new WeakMap<ZodType, Record<string, unknown>>();

/** The JSON Schema (input side) of a query schema's properties: how to read their strings. */
function queryProperties(schema: ZodType): Record<string, { type?: unknown }> {
  let js = jsonSchemaCache.get(schema);
  if (!js) {
    js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    jsonSchemaCache.set(schema, js);
  }
  return (js.properties ?? {}) as Record<string, { type?: unknown }>;
}

/** A query string as the values its schema expects: numbers and booleans from their text. */
function queryValues(url: URL, schema: ZodType): Record<string, unknown> | FieldError[] {
  const props = queryProperties(schema);
  const out: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    if (all.length > 1) {
      errors.push({
        in: "query",
        field: key,
        pointer: `/${key}`,
        detail: "Give this parameter once.",
      });
      continue;
    }
    if (!(key in props)) {
      const known = Object.keys(props).join(", ") || "none";
      errors.push({
        in: "query",
        field: key,
        pointer: `/${key}`,
        detail: `Unknown parameter (this operation takes: ${known}).`,
      });
      continue;
    }
    const raw = all[0]!;
    const type = props[key]?.type;
    if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(raw))
      out[key] = Number(raw);
    else if (type === "boolean" && (raw === "true" || raw === "false")) out[key] = raw === "true";
    else out[key] = raw;
  }
  return errors.length ? errors : out;
}

function json(status: number, body: unknown, location?: string): Response {
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  };
  if (location) headers.location = API_BASE + location;
  return new Response(JSON.stringify(body), { status, headers });
}

/** Handles one request to `/api/v1/**`. */
export async function handleRestRequest(req: Request, opts: RestOptions): Promise<Response> {
  const url = new URL(req.url);
  const instance = url.pathname;
  const path = url.pathname.startsWith(API_BASE)
    ? url.pathname.slice(API_BASE.length)
    : url.pathname;
  const routes = opts.routes ?? ROUTES;
  const method = req.method.toUpperCase();
  const found = matchRoute(routes, method, path);
  if (!found) return problem("not-found", { detail: `No operation at ${instance}.`, instance });
  if ("allow" in found)
    return problem("method-not-allowed", {
      detail: `${method} is not an operation of ${instance}; use ${found.allow.join(", ")}.`,
      instance,
      headers: { allow: found.allow.join(", ") },
    });
  const { route, params } = found;

  // Cookie-authenticated changes only from our own pages, and only as JSON.
  const forged = checkCrossSiteRequest(req, { publicUrl: opts.publicUrl });
  if (forged)
    return problem(forged.status === 403 ? "forbidden" : "unsupported-media-type", {
      detail: forged.message,
      instance,
    });

  let text = "";
  if (route.body && req.body) {
    const body = await readBoundedBody(req, MAX_BODY_BYTES, {
      answer: (message) => problem("payload-too-large", { detail: message, instance }),
    });
    if (!body.ok) return body.response;
    text = body.text();
  } else if (req.body) {
    await req.body.cancel().catch(() => undefined);
  }

  try {
    // Who calls, before anything about the request is answered.
    const ctx = await opts.createContext(req);
    const authz = await authorizeContext(ctx, route.role, route.scope);
    if (!authz.ok)
      return problem(authz.status === 401 ? "unauthenticated" : "forbidden", {
        detail: authz.message,
        instance,
        status: authz.status === 401 ? 401 : 403,
      });

    const errors: FieldError[] = [];
    const parsePart = (schema: ZodType | undefined, value: unknown, part: FieldError["in"]) => {
      if (!schema) return undefined;
      const r = schema.safeParse(value);
      if (r.success) return r.data;
      errors.push(...fieldErrors(r.error, part));
      return undefined;
    };
    const pathValue = parsePart(route.params, params, "path");
    let queryValue: unknown;
    if (!route.query) {
      for (const key of new Set(url.searchParams.keys()))
        errors.push({
          in: "query",
          field: key,
          pointer: `/${key}`,
          detail: "Unknown parameter (this operation takes none).",
        });
    } else {
      const raw = queryValues(url, route.query);
      if (Array.isArray(raw)) errors.push(...raw);
      else queryValue = parsePart(route.query, raw, "query");
    }
    let bodyValue: unknown;
    if (route.body) {
      let parsed: unknown;
      try {
        parsed = text.trim() ? JSON.parse(text) : undefined;
      } catch (err) {
        errors.push({
          in: "body",
          field: "",
          pointer: "",
          detail: `The body is not JSON: ${(err as Error).message}`,
        });
      }
      if (parsed === undefined && !errors.some((e) => e.in === "body"))
        errors.push({ in: "body", field: "", pointer: "", detail: "Send a JSON object." });
      else if (parsed !== undefined) bodyValue = parsePart(route.body, parsed, "body");
    }
    if (errors.length) return badRequest(instance, errors);

    const result = await route.handle({
      actor: authz.actor,
      db: authz.db,
      services: servicesOf(ctx),
      path: pathValue,
      query: queryValue,
      body: bodyValue,
    });
    return json(result.status ?? route.success.status, result.body, result.location);
  } catch (err) {
    if (err instanceof RestInputError) return badRequest(instance, err.errors);
    return problemOf(err, instance);
  }
}
