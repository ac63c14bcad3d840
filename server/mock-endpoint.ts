import "server-only";
import { getServerSession } from "next-auth";
import { mockService, type MockService } from "@/server/adapters/connectors/mock/mock-service";
import { authOptions } from "@/server/auth/options";
import { database } from "@/server/composition";
import { verifyApiToken } from "@/server/domain/token/api-tokens";
import {
  actorMay,
  hasRole,
  type Actor,
  type Db,
  type Role,
  type TokenScope,
} from "@/server/domain/types";
import { env } from "@/server/env";
import { checkCrossSiteRequest } from "@/server/http/csrf";
import { readBoundedBody } from "@/server/http/read-bounded-body";
import { logger } from "@/server/logger";

/**
 * The HTTP front of the built-in mock services, `/api/mock/<system>/…` (runs reach them
 * in-process at `mock://<system>` instead). Mock state is a workspace's data, so the route
 * answers only:
 *
 * - a signed-in member (session cookie; the workspace from `x-trustflow-workspace`, else the
 *   `/t/<tenant>` or `X-Mock-Tenant` asked for, else the user's first workspace), or
 * - an API token of the workspace (`Authorization: Bearer tf_…`; scope `read` for reads, `run`
 *   for writes to mock records, `admin` for fault injection).
 *
 * The tenant served is always the caller's workspace: a `/t/<tenant>` or `X-Mock-Tenant` naming
 * another workspace is a 403. Fault injection and reset (`POST|PUT|DELETE /_faults`,
 * `POST /_reset`) need the editor role. Every refusal is a JSON error
 * `{ "error": { "code", "message" } }` (the mock's own shape) and changes nothing.
 */

/** Mock request bodies above this are refused (413) as they stream in. */
export const MAX_MOCK_BODY_BYTES = 1024 * 1024;

/** The header the studio sends with the workspace the browser acts in. */
const WORKSPACE_HEADER = "x-trustflow-workspace";

/** A signed-in browser user, as the session says. */
export interface MockSessionUser {
  id: string;
  email: string;
}

/** What the handler needs from the app; tests pass their own database and session. */
export interface MockEndpointDeps {
  db: Db;
  /** The signed-in user of the request's session cookie, or null. */
  sessionUser: (req: Request) => Promise<MockSessionUser | null>;
  service: MockService;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function refuse(status: number, code: string, message: string, extra: HeadersInit = {}) {
  return Response.json(
    { error: { code, message } },
    { status, headers: { "cache-control": "no-store", ...extra } },
  );
}

async function defaultDeps(): Promise<MockEndpointDeps> {
  return {
    db: (await database()).prisma,
    service: mockService(),
    async sessionUser() {
      // The session's row is checked on every read (server/auth/options.ts).
      const session = await getServerSession(authOptions);
      const u = session?.user as { id?: string; email?: string | null } | undefined;
      return u?.id ? { id: u.id, email: u.email ?? "" } : null;
    },
  };
}

/** The tenant a request names (`X-Mock-Tenant` wins over a `/t/<tenant>` prefix), if any. */
function requestedTenant(req: Request, path: string[]): string | null {
  const header = req.headers.get("x-mock-tenant");
  if (header) return header;
  return path[0] === "t" && path[1] !== undefined ? path[1] : null;
}

/** The mock operation path without a tenant prefix: `/_faults`, `/contacts/CON-1`, … */
function operationPath(path: string[]): string {
  const rest = path[0] === "t" ? path.slice(2) : path;
  return `/${rest.join("/")}`.replace(/\/+$/, "") || "/";
}

/** What the call needs: the role and, for an API token, the scope. */
function needs(method: string, opPath: string): { role: Role; scope: TokenScope; what: string } {
  const write = method !== "GET" && method !== "HEAD";
  if ((opPath === "/_faults" && write) || opPath === "/_reset") {
    return { role: "editor", scope: "admin", what: "Fault injection" };
  }
  return write
    ? { role: "viewer", scope: "run", what: "Writing to the mock" }
    : { role: "viewer", scope: "read", what: "Reading the mock" };
}

type Caller = { ok: true; actor: Actor } | { ok: false; response: Response };

async function resolveCaller(
  req: Request,
  deps: MockEndpointDeps,
  requested: string | null,
): Promise<Caller> {
  const selected = req.headers.get(WORKSPACE_HEADER) || null;
  if (selected && requested && selected !== requested) {
    return {
      ok: false,
      response: refuse(
        403,
        "forbidden_tenant",
        "The mock serves your workspace only: the tenant asked for is not the workspace you act in.",
      ),
    };
  }
  const authz = req.headers.get("authorization");
  if (authz && /^bearer\s/i.test(authz)) {
    const check = await verifyApiToken(deps.db, authz.replace(/^bearer\s+/i, "").trim());
    if (!check.ok) return { ok: false, response: refuse(401, "unauthenticated", check.message) };
    const want = selected ?? requested;
    if (want && want !== check.actor.workspaceId) {
      return {
        ok: false,
        response: refuse(
          403,
          "forbidden_tenant",
          "This API token belongs to another workspace: the mock serves the token's workspace only.",
        ),
      };
    }
    return { ok: true, actor: check.actor };
  }
  const user = await deps.sessionUser(req);
  if (!user) {
    return {
      ok: false,
      response: refuse(
        401,
        "unauthenticated",
        "Sign in, or send Authorization: Bearer tf_… (an API token of the workspace), to use the mock services.",
        { "www-authenticate": 'Bearer realm="mock"' },
      ),
    };
  }
  const want = selected ?? requested;
  // Only a workspace id can be a member's workspace; anything else is refused before any query.
  if (want && !UUID_RE.test(want)) {
    return {
      ok: false,
      response: refuse(403, "forbidden_tenant", "You are not a member of this workspace."),
    };
  }
  const membership = await deps.db.membership.findFirst({
    where: { userId: user.id, ...(want ? { workspaceId: want } : {}) },
    orderBy: { createdAt: "asc" },
  });
  if (!membership) {
    return {
      ok: false,
      response: refuse(
        403,
        "forbidden_tenant",
        want ? "You are not a member of this workspace." : "You are not a member of any workspace.",
      ),
    };
  }
  return {
    ok: true,
    actor: {
      userId: user.id,
      label: user.email,
      workspaceId: membership.workspaceId,
      role: membership.role,
      via: "session",
    },
  };
}

/**
 * Answers one request to `/api/mock/<system>/<...path>`: authenticates, scopes the tenant to the
 * caller's workspace, checks the role, then hands the request to the mock service. Never throws.
 */
export async function answerMock(
  req: Request,
  system: string,
  path: string[],
  deps?: MockEndpointDeps,
): Promise<Response> {
  try {
    const d = deps ?? (await defaultDeps());
    const method = req.method.toUpperCase();
    const requested = requestedTenant(req, path);
    const caller = await resolveCaller(req, d, requested);
    if (!caller.ok) return caller.response;
    const { actor } = caller;
    if (actor.via === "session") {
      // A cookie rides along on a form posted from another site: refuse forged changes.
      const csrf = checkCrossSiteRequest(req, { publicUrl: env().NEXTAUTH_URL });
      if (csrf) return refuse(csrf.status, "cross_site", csrf.message);
    }
    const need = needs(method, operationPath(path));
    if (!actorMay(actor, need.role, need.scope)) {
      const message = hasRole(actor.role, need.role)
        ? `${need.what} needs an API token with the ${need.scope} scope.`
        : `${need.what} needs the ${need.role} role; you are ${/^[aeiou]/.test(actor.role) ? "an" : "a"} ${actor.role} here.`;
      return refuse(403, "forbidden", message);
    }
    let body = "";
    if (method !== "GET" && method !== "HEAD") {
      const read = await readBoundedBody(req, MAX_MOCK_BODY_BYTES, {
        answer: (message) => refuse(413, "body_too_large", message),
      });
      if (!read.ok) return read.response;
      body = read.text();
    }
    const headers: Record<string, string> = {};
    req.headers.forEach((value, key) => {
      const k = key.toLowerCase();
      // Credentials of this app never reach the mock.
      if (k !== "authorization" && k !== "cookie") headers[k] = value;
    });
    // The tenant is the caller's workspace, whatever the URL said (the header wins in the mock).
    headers["x-mock-tenant"] = actor.workspaceId;
    const out = await d.service.handle(
      system,
      {
        method,
        path: `/${path.map(encodeURIComponent).join("/")}`,
        query: new URL(req.url).searchParams,
        headers,
        body,
      },
      req.signal,
    );
    const nullBody = out.status === 204 || out.status === 304;
    return new Response(nullBody ? null : out.body, { status: out.status, headers: out.headers });
  } catch (err) {
    logger().error({ err: String(err), system }, "mock request failed");
    return refuse(500, "internal", "The mock service failed; the error was logged.");
  }
}
