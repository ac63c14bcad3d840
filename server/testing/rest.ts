/**
 * Calling the REST API (`server/rest/dispatch.ts`) in tests, through its real handler: the
 * request's bearer token is verified as the route's context does it (`server/trpc/context.ts`);
 * a request without one may act as a signed-in user (what next-auth would resolve the session
 * cookie to), named by `session`.
 */
import type { Database } from "@/server/adapters/prisma";
import { createApiToken, verifyApiToken } from "@/server/domain/token/api-tokens";
import type { Role, TokenScope } from "@/server/domain/types";
import { handleRestRequest } from "@/server/rest/dispatch";
import { createContextInner, type SessionUser } from "@/server/trpc/init";
import { servicesFor } from "./services";

export const REST_ORIGIN = "http://localhost:3000";

export interface RestCallOptions {
  token?: string;
  /** Act as this signed-in user (no token): a same-origin studio page. */
  session?: SessionUser;
  /** Sent as JSON unless `raw` is given. */
  body?: unknown;
  raw?: BodyInit;
  headers?: Record<string, string>;
}

export interface RestAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { detail?: string; errors?: Array<Record<string, string>> };
}

/** A REST client of `db`'s test database. */
export function restClient(db: Database) {
  const sessions = new Map<string, SessionUser>();
  const createContext = async (req: Request) => {
    const services = servicesFor(db);
    const workspaceId = req.headers.get("x-trustflow-workspace") || null;
    const authz = req.headers.get("authorization");
    if (authz?.toLowerCase().startsWith("bearer ")) {
      const check = await verifyApiToken(db.prisma, authz.slice(7).trim());
      return check.ok
        ? createContextInner({ db: db.prisma, services, tokenActor: check.actor, workspaceId })
        : createContextInner({ db: db.prisma, services, tokenError: check.message, workspaceId });
    }
    const user = sessions.get(req.headers.get("x-test-session") ?? "") ?? null;
    return createContextInner({ db: db.prisma, services, user, workspaceId });
  };
  return async function call(
    method: string,
    path: string,
    opts: RestCallOptions = {},
  ): Promise<RestAnswer> {
    const headers: Record<string, string> = { host: "localhost:3000", ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.session) {
      sessions.set(opts.session.id, opts.session);
      headers["x-test-session"] = opts.session.id;
    }
    let body: BodyInit | undefined = opts.raw;
    if (body === undefined && opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers["content-type"] ??= "application/json";
    const res = await handleRestRequest(
      new Request(`${REST_ORIGIN}/api/v1${path}`, { method, headers, body }),
      { createContext, publicUrl: REST_ORIGIN },
    );
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };
}

/** An API token of `user` in `workspaceId` (a member there with `role`) with `scopes`. */
export async function tokenOf(
  db: Database,
  user: { id: string; email: string },
  workspaceId: string,
  role: Role,
  scopes: TokenScope[],
): Promise<string> {
  const made = await createApiToken(
    db.prisma,
    { userId: user.id, label: user.email, workspaceId, role, via: "session" },
    { name: `test ${scopes.join("+")}`, scopes, expiresInDays: 7 },
  );
  return made.secret;
}
