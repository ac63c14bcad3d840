/**
 * The mock CRM, billing and CLM services as one pure request handler: no framework, no I/O.
 * `app/api/mock/[system]/[...path]/route.ts` serves it inside the app; tests serve it from a
 * `node:http` server (`node-server.ts`).
 *
 * - Tenancy: state is kept per tenant, from the `X-Mock-Tenant` header or a `/t/<tenant>` path
 *   prefix (`/api/mock/crm/t/<workspaceId>/contacts`); neither means tenant `default`.
 * - Seed: each tenant starts from the same deterministic dataset (`seed.ts`).
 * - Idempotency: a write with an `Idempotency-Key` is done once; the same key with the same
 *   method, path and body replays the first answer (`Idempotent-Replayed: true`), the same key
 *   with anything else is a 422 `idempotency_key_reused`.
 * - Faults (`faults.ts`): injected errors answer before the write; injected timeouts and
 *   malformed bodies happen after it (the write committed, the answer is lost or garbled), which
 *   is exactly the case idempotency keys exist for.
 * - Control endpoints (never faulted): `GET|POST|DELETE /_faults`, `POST /_reset`,
 *   `GET /_stats`, `POST /oauth/token` (client-credentials tokens for the OAuth2 scheme).
 */
import { createHash, randomBytes } from "node:crypto";
import { processSingleton } from "@/server/process-state";
import { billingRoutes } from "./billing-routes";
import { clmRoutes } from "./clm-routes";
import { crmRoutes } from "./crm-routes";
import { DEFAULT_FAULT_SEED, FaultTable, ZFaultRule, type FaultRule } from "./faults";
import {
  errorResponse,
  json,
  matchPath,
  MockHttpError,
  type MockRequest,
  type MockResponse,
  type Route,
} from "./http";
import { forkSystemState, type MockDataset } from "./dataset-state";
import { DEFAULT_SEED, type World } from "./seed";

export const MOCK_SYSTEMS = ["crm", "billing", "clm"] as const;
export type MockSystem = (typeof MOCK_SYSTEMS)[number];

const ROUTES: { [S in MockSystem]: Route<World[S]>[] } = {
  crm: crmRoutes,
  billing: billingRoutes,
  clm: clmRoutes,
};

const TENANT_RE = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_IDEMPOTENCY_KEYS = 10_000;

interface Stored {
  fingerprint: string;
  response: MockResponse;
}

interface Scope {
  state: unknown;
  faults: FaultTable;
  idempotency: Map<string, Stored>;
  stats: { requests: Record<string, number>; writes: number; replays: number };
}

/**
 * How a tenant starts (a sandbox session's tenant): the seed of its dataset and of its fault
 * PRNG, and the fault rules of each system (the rules `_faults` takes).
 */
export interface TenantProfile {
  seed: number;
  faults?: Partial<Record<MockSystem, readonly FaultRule[]>>;
  /** Records written over the seeded state (`dataset-state.ts`). */
  dataset?: MockDataset;
}

export interface MockServiceOptions {
  now?: () => Date;
  /** How long an injected timeout hangs when the client never gives up (default 120 s). */
  hangMs?: number;
  /** Tenants kept per system before the least recently used is dropped (default 200). */
  maxTenants?: number;
  seed?: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export function isMockSystem(s: string): s is MockSystem {
  return (MOCK_SYSTEMS as readonly string[]).includes(s);
}

/** Splits a `/t/<tenant>` prefix off `path`; the header wins over the prefix. */
export function tenantOf(
  req: Pick<MockRequest, "headers" | "path">,
): { tenant: string; path: string } | { error: string } {
  let path = req.path || "/";
  let tenant = "default";
  const m = /^\/t\/([^/]+)(\/.*)?$/.exec(path);
  if (m) {
    tenant = decodeURIComponent(m[1]!);
    path = m[2] ?? "/";
  }
  const header = req.headers["x-mock-tenant"];
  if (header) tenant = header;
  if (!TENANT_RE.test(tenant))
    return { error: "X-Mock-Tenant must be 1-64 letters, digits, - or _" };
  return { tenant, path };
}

export class MockService {
  private readonly scopes = new Map<string, Scope>();
  /** Profiles of tenants that do not start from the default seed (sandbox sessions). */
  private readonly profiles = new Map<string, TenantProfile>();
  private readonly now: () => Date;
  private readonly hangMs: number;
  private readonly maxTenants: number;
  private readonly seed: number;

  constructor(opts: MockServiceOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    this.hangMs = opts.hangMs ?? 120_000;
    this.maxTenants = opts.maxTenants ?? 200;
    this.seed = opts.seed ?? DEFAULT_SEED;
  }

  private scope(system: MockSystem, tenant: string): Scope {
    const key = `${system}\n${tenant}`;
    let s = this.scopes.get(key);
    if (s) {
      // Re-insert: Map order is the LRU order.
      this.scopes.delete(key);
    } else {
      const profile = this.profiles.get(tenant);
      const faults = new FaultTable(profile ? profile.seed : DEFAULT_FAULT_SEED);
      for (const rule of profile?.faults?.[system] ?? []) faults.set(rule, system);
      s = {
        state: forkSystemState(system, profile ? profile.seed : this.seed, profile?.dataset),
        faults,
        idempotency: new Map(),
        stats: { requests: {}, writes: 0, replays: 0 },
      };
      const limit = this.maxTenants * MOCK_SYSTEMS.length;
      if (this.scopes.size >= limit) this.scopes.delete(this.scopes.keys().next().value!);
    }
    this.scopes.set(key, s);
    return s;
  }

  /**
   * Declares how `tenant` starts: its systems' state is forked from the dataset of
   * `profile.seed` at first use and its fault rules applied then. A tenant already in use keeps
   * its state (a session's profile is fixed when it is created).
   */
  defineTenant(tenant: string, profile: TenantProfile): void {
    if (!TENANT_RE.test(tenant)) throw new Error(`invalid mock tenant ${tenant}`);
    if (this.profiles.has(tenant)) return;
    if (this.profiles.size >= this.maxTenants * 4)
      this.profiles.delete(this.profiles.keys().next().value!);
    this.profiles.set(tenant, {
      seed: profile.seed,
      faults: structuredClone(profile.faults ?? {}),
      // Never mutated: each system's state is a copy of it (forkSystemState).
      ...(profile.dataset ? { dataset: profile.dataset } : {}),
    });
  }

  /**
   * Replaces the fault rules of `tenant` (a sandbox session whose profile changed): its profile
   * for systems not used yet, and the live fault tables of those in use (their state is kept).
   */
  setTenantFaults(tenant: string, faults: TenantProfile["faults"]): void {
    const profile = this.profiles.get(tenant);
    if (profile) profile.faults = structuredClone(faults ?? {});
    for (const system of MOCK_SYSTEMS) {
      const scope = this.scopes.get(`${system}\n${tenant}`);
      if (!scope) continue;
      scope.faults.clear();
      for (const rule of faults?.[system] ?? []) scope.faults.set(rule, system);
    }
  }

  /** Drops every system's state, faults and profile of `tenant` (a closed sandbox session). */
  dropTenant(tenant: string): void {
    this.profiles.delete(tenant);
    for (const system of MOCK_SYSTEMS) this.scopes.delete(`${system}\n${tenant}`);
  }

  /** Whether any system of `tenant` holds state in this process. */
  hasTenant(tenant: string): boolean {
    return MOCK_SYSTEMS.some((system) => this.scopes.has(`${system}\n${tenant}`));
  }

  /** The in-memory state of one tenant's system (tests read it to count writes). */
  state<S extends MockSystem>(system: S, tenant = "default"): World[S] {
    return this.scope(system, tenant).state as World[S];
  }

  /** Fault rules of one tenant's system (tests may set them directly). */
  faults(system: MockSystem, tenant = "default"): FaultTable {
    return this.scope(system, tenant).faults;
  }

  stats(system: MockSystem, tenant = "default") {
    return this.scope(system, tenant).stats;
  }

  /** Handles one request for `system`. `signal` aborts an injected latency or timeout. */
  async handle(system: string, req: MockRequest, signal?: AbortSignal): Promise<MockResponse> {
    if (!isMockSystem(system)) {
      return errorResponse(
        404,
        "unknown_system",
        `no mock system "${system}"; use ${MOCK_SYSTEMS.join(", ")}`,
      );
    }
    const t = tenantOf(req);
    if ("error" in t) return errorResponse(400, "bad_tenant", t.error);
    const method = req.method.toUpperCase();
    const path = t.path.replace(/\/+$/, "") || "/";
    const control = this.control(system, t.tenant, method, path, req);
    if (control) return control;

    let route: Route<World[MockSystem]> | undefined;
    let params: Record<string, string> | null = null;
    let pathMatched = false;
    for (const r of ROUTES[system] as Route<World[MockSystem]>[]) {
      const p = matchPath(r.pattern, path);
      if (!p) continue;
      pathMatched = true;
      if (r.method === method) {
        route = r;
        params = p;
        break;
      }
    }
    if (!route || !params) {
      return pathMatched
        ? errorResponse(405, "method_not_allowed", `${method} is not allowed on ${path}`)
        : errorResponse(
            404,
            "route_not_found",
            `no ${system} endpoint ${method} ${path}; see REST.md`,
          );
    }
    const scope = this.scope(system, t.tenant);
    scope.stats.requests[route.operation] = (scope.stats.requests[route.operation] ?? 0) + 1;

    const fault = scope.faults.decide(route.operation);
    await sleep(fault.latencyMs, signal);
    if (fault.kind === "error") {
      const headers: Record<string, string> =
        (fault.status === 429 || fault.status === 503) && fault.retryAfterS > 0
          ? { "retry-after": String(fault.retryAfterS) }
          : {};
      return errorResponse(
        fault.status,
        "injected_fault",
        `injected ${fault.status} for ${route.operation}`,
        headers,
      );
    }

    const response = this.execute(scope, route, params, method, path, req);
    if (fault.kind === "timeout") {
      await sleep(this.hangMs, signal);
      return errorResponse(504, "injected_timeout", `injected timeout for ${route.operation}`);
    }
    if (fault.kind === "malformed") {
      const cut = response.body.slice(0, Math.max(1, Math.floor(response.body.length / 2)));
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        body: `${cut}<!-- upstream error`,
      };
    }
    return response;
  }

  private execute(
    scope: Scope,
    route: Route<World[MockSystem]>,
    params: Record<string, string>,
    method: string,
    path: string,
    req: MockRequest,
  ): MockResponse {
    const key = method !== "GET" ? req.headers["idempotency-key"] : undefined;
    const fingerprint = createHash("sha256").update(`${method} ${path}\n${req.body}`).digest("hex");
    if (key) {
      const prior = scope.idempotency.get(key);
      if (prior) {
        if (prior.fingerprint !== fingerprint) {
          return errorResponse(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request; use a new key",
          );
        }
        scope.stats.replays++;
        return {
          ...prior.response,
          headers: { ...prior.response.headers, "idempotent-replayed": "true" },
        };
      }
    }
    let response: MockResponse;
    let body: Record<string, unknown> = {};
    try {
      if (req.body.trim() !== "") {
        const parsed: unknown = JSON.parse(req.body);
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
          throw new MockHttpError(400, "bad_request", "the body must be a JSON object");
        }
        body = parsed as Record<string, unknown>;
      }
      const out = route.handler({
        state: scope.state as World[MockSystem],
        params,
        query: req.query,
        body,
        now: this.now(),
      });
      response = json(out.status ?? 200, out.body);
      if (method !== "GET") scope.stats.writes++;
    } catch (err) {
      if (err instanceof SyntaxError)
        response = errorResponse(400, "bad_request", "the body is not valid JSON");
      else if (err instanceof MockHttpError)
        response = errorResponse(err.status, err.code, err.message);
      else throw err;
    }
    if (key && response.status < 500) {
      if (scope.idempotency.size >= MAX_IDEMPOTENCY_KEYS) {
        scope.idempotency.delete(scope.idempotency.keys().next().value!);
      }
      scope.idempotency.set(key, { fingerprint, response });
    }
    return response;
  }

  private control(
    system: MockSystem,
    tenant: string,
    method: string,
    path: string,
    req: MockRequest,
  ): MockResponse | null {
    if (path === "/_faults") {
      const faults = this.scope(system, tenant).faults;
      if (method === "GET") return json(200, { tenant, seed: faults.seed, faults: faults.list() });
      if (method === "DELETE") {
        faults.clear(req.query.get("operation") ?? undefined, system);
        return json(200, { tenant, seed: faults.seed, faults: faults.list() });
      }
      if (method === "POST" || method === "PUT") {
        let raw: unknown;
        try {
          raw = JSON.parse(req.body || "{}");
        } catch {
          return errorResponse(400, "bad_request", "the body is not valid JSON");
        }
        const rules = Array.isArray(raw) ? raw : [raw];
        const parsed = rules.map((r) => ZFaultRule.safeParse(r));
        const bad = parsed.find((p) => !p.success);
        if (bad && !bad.success) {
          const msg = bad.error.issues
            .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
            .join("; ");
          return errorResponse(422, "validation_error", msg);
        }
        for (const p of parsed) if (p.success) faults.set(p.data, system);
        return json(200, { tenant, seed: faults.seed, faults: faults.list() });
      }
      return errorResponse(405, "method_not_allowed", "use GET, POST or DELETE on _faults");
    }
    if (path === "/_reset" && method === "POST") {
      this.scopes.delete(`${system}\n${tenant}`);
      return json(200, { tenant, reset: true });
    }
    if (path === "/_stats" && method === "GET")
      return json(200, { tenant, ...this.scope(system, tenant).stats });
    if (path === "/oauth/token" && method === "POST") {
      const form = new URLSearchParams(req.body);
      if (form.get("grant_type") !== "client_credentials") {
        return json(400, {
          error: "unsupported_grant_type",
          error_description: "use client_credentials",
        });
      }
      if (!req.headers.authorization?.startsWith("Basic ") && !form.get("client_id")) {
        return json(401, { error: "invalid_client", error_description: "authenticate the client" });
      }
      return json(200, {
        access_token: `mock_${randomBytes(16).toString("hex")}`,
        token_type: "Bearer",
        expires_in: 3600,
      });
    }
    return null;
  }
}

/**
 * The process-wide mock service the app's route and the engine's in-process egress both serve
 * (kept in the process's state, `server/process-state.ts`: they run in different Next.js
 * bundles, and it survives dev-server module reloads).
 */
export function mockService(): MockService {
  return processSingleton("mock-service", () => new MockService());
}
