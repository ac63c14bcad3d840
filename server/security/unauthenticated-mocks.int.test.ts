import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { MockService } from "@/server/adapters/connectors/mock/mock-service";
import { hashToken } from "@/server/domain/token/api-tokens";
import type { Role, TokenScope } from "@/server/domain/types";
import { answerMock, type MockEndpointDeps } from "@/server/mock-endpoint";
import { openTestDatabase } from "@/server/testing/test-database";

/**
 * The mock services' HTTP route answered anyone, for any tenant: a stranger could read a
 * workspace's mock records and inject faults into its connectors' endpoints. Now only a member
 * or a token of the workspace served, the tenant is the caller's workspace, and fault injection
 * needs the editor role.
 */
let db: Database;
let deps: MockEndpointDeps;
let service: MockService;
const sessions = new Map<string, { id: string; email: string }>();
let wsA: string;
let wsB: string;
const cookie: Record<string, string> = {};
const token: Record<string, string> = {};

let n = 0;
async function member(workspaceId: string, role: Role) {
  const user = await db.prisma.user.create({
    data: { email: `m${++n}-${role}@example.test`, name: role, passwordHash: "unused" },
  });
  await db.prisma.membership.create({ data: { userId: user.id, workspaceId, role } });
  return user;
}

async function apiToken(workspaceId: string, userId: string, scopes: TokenScope[]) {
  const secret = `tf_${randomBytes(32).toString("base64url")}`;
  await db.prisma.apiToken.create({
    data: {
      workspaceId,
      userId,
      name: `test ${scopes.join("+")}`,
      tokenHash: hashToken(secret),
      prefix: secret.slice(0, 10),
      scopes,
      expiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  return secret;
}

beforeAll(async () => {
  db = await openTestDatabase();
  const ws = (slug: string) => db.prisma.workspace.create({ data: { slug, name: slug } });
  wsA = (await ws("mock-a")).id;
  wsB = (await ws("mock-b")).id;
  for (const [name, workspaceId, role] of [
    ["viewerA", wsA, "viewer"],
    ["editorA", wsA, "editor"],
    ["editorB", wsB, "editor"],
  ] as const) {
    const user = await member(workspaceId, role);
    cookie[name] = `session=${name}`;
    sessions.set(cookie[name], { id: user.id, email: user.email });
    if (name === "editorA") {
      token.readA = await apiToken(wsA, user.id, ["read"]);
      token.adminA = await apiToken(wsA, user.id, ["admin"]);
    }
  }
  service = new MockService();
  deps = {
    db: db.prisma,
    service,
    // What next-auth would read from the session cookie.
    sessionUser: async (req) => sessions.get(req.headers.get("cookie") ?? "") ?? null,
  };
});
afterAll(async () => {
  await db?.close();
});

interface Call {
  method?: string;
  path: string;
  as?: { cookie?: string; token?: string; workspace?: string; tenant?: string };
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls the route's handler as Next.js would: `/api/mock/crm/<path>`. */
async function mock(c: Call) {
  const url = `http://localhost:3000/api/mock/crm${c.path}`;
  const headers: Record<string, string> = { "content-type": "application/json", ...c.headers };
  if (c.as?.cookie) headers.cookie = c.as.cookie;
  if (c.as?.token) headers.authorization = `Bearer ${c.as.token}`;
  if (c.as?.workspace) headers["x-trustflow-workspace"] = c.as.workspace;
  if (c.as?.tenant) headers["x-mock-tenant"] = c.as.tenant;
  const req = new Request(url, {
    method: c.method ?? "GET",
    headers,
    body: c.body === undefined ? undefined : JSON.stringify(c.body),
  });
  const path = new URL(url).pathname.split("/").slice(4).map(decodeURIComponent);
  const res = await answerMock(req, "crm", path, deps);
  const json = (await res.json()) as Record<string, unknown> & {
    error?: { code: string; message: string };
  };
  return { status: res.status, json };
}

const FAULT = { operation: "*", errorRate: 1, status: 503 };
const state = () => ({
  a: service.faults("crm", wsA).list(),
  b: service.faults("crm", wsB).list(),
  aContacts: service.state("crm", wsA).contacts.size,
  bContacts: service.state("crm", wsB).contacts.size,
  defaultFaults: service.faults("crm", "default").list(),
});

describe("unauthenticated mocks", () => {
  it("answers 401 without a session or token, for reads, writes and fault injection", async () => {
    const before = state();
    for (const c of [
      { path: "/contacts/CON-1042" },
      { path: `/t/${wsA}/contacts/CON-1042` },
      { path: `/t/${wsA}/_faults`, method: "POST", body: FAULT },
      { path: "/_faults", method: "DELETE" },
      { path: `/t/${wsA}/_reset`, method: "POST" },
      { path: "/contacts", method: "POST", body: { name: "Mallory", email: "m@example.test" } },
    ] satisfies Call[]) {
      const r = await mock(c);
      expect(r.status, c.path).toBe(401);
      expect(r.json.error?.message).toMatch(/Sign in, or send Authorization: Bearer tf_/);
    }
    for (const bad of ["tf_not-a-real-token", "garbage"]) {
      const r = await mock({ path: "/contacts/CON-1042", as: { token: bad } });
      expect(r.status).toBe(401);
      expect(r.json.error?.message).toMatch(/API token is not valid/);
    }
    expect(state()).toEqual(before);
  });

  it("refuses another workspace's tenant (403), by path, header or workspace header", async () => {
    await mock({ path: "/_faults", method: "POST", body: FAULT, as: { cookie: cookie.editorB } });
    const before = state();
    expect(before.b).toHaveLength(1);
    const attempts: Call[] = [
      { path: `/t/${wsB}/contacts/CON-1042`, as: { cookie: cookie.editorA } },
      { path: "/contacts/CON-1042", as: { cookie: cookie.editorA, tenant: wsB } },
      { path: "/contacts/CON-1042", as: { cookie: cookie.editorA, workspace: wsB } },
      { path: `/t/${wsB}/_faults`, method: "DELETE", as: { cookie: cookie.editorA } },
      {
        path: `/t/${wsA}/_faults`,
        method: "DELETE",
        as: { cookie: cookie.editorA, tenant: wsB },
      },
      { path: `/t/${wsB}/_faults`, method: "DELETE", as: { token: token.adminA } },
      { path: "/_faults", method: "DELETE", as: { token: token.adminA, tenant: wsB } },
      { path: "/_faults", method: "DELETE", as: { token: token.adminA, workspace: wsB } },
      { path: "/t/default/_faults", method: "POST", body: FAULT, as: { token: token.adminA } },
      { path: "/t/default/_faults", method: "POST", body: FAULT, as: { cookie: cookie.editorA } },
    ];
    for (const c of attempts) {
      const r = await mock(c);
      expect(r.status, JSON.stringify(c)).toBe(403);
      expect(r.json.error?.code).toBe("forbidden_tenant");
      expect(r.json.error?.message).toMatch(/workspace/);
    }
    expect(state()).toEqual(before);
  });

  it("serves the caller's own workspace whatever tenant-less path it uses", async () => {
    const r = await mock({ path: "/_stats", as: { token: token.readA } });
    expect(r.status).toBe(200);
    expect(r.json.tenant).toBe(wsA);
    const s = await mock({ path: `/t/${wsA}/_stats`, as: { cookie: cookie.viewerA } });
    expect(s.status).toBe(200);
    expect(s.json.tenant).toBe(wsA);
    const c = await mock({ path: "/contacts/CON-1042", as: { cookie: cookie.viewerA } });
    expect(c.status).toBe(200);
  });

  it("fault injection needs the editor role: a viewer is refused (403) and nothing changes", async () => {
    await mock({ path: "/_faults", method: "POST", body: FAULT, as: { cookie: cookie.editorA } });
    const before = state();
    expect(before.a).toHaveLength(1);
    for (const c of [
      { path: "/_faults", method: "POST", body: { ...FAULT, status: 500 } },
      { path: `/t/${wsA}/_faults`, method: "PUT", body: { ...FAULT, status: 500 } },
      { path: "/_faults", method: "DELETE" },
      { path: "/_reset", method: "POST" },
    ]) {
      const r = await mock({ ...c, as: { cookie: cookie.viewerA } });
      expect(r.status, `${c.method} ${c.path}`).toBe(403);
      expect(r.json.error?.message).toBe(
        "Fault injection needs the editor role; you are a viewer here.",
      );
    }
    // A token acting for an editor still needs the admin scope to inject faults.
    const scoped = await mock({ path: "/_faults", method: "DELETE", as: { token: token.readA } });
    expect(scoped.status).toBe(403);
    expect(scoped.json.error?.message).toMatch(/admin scope/);
    expect(state()).toEqual(before);
    // The viewer still reads the rules.
    const read = await mock({ path: "/_faults", as: { cookie: cookie.viewerA } });
    expect(read.status).toBe(200);
    expect(read.json.faults).toEqual(before.a);
  });

  it("lets an editor (session or admin-scoped token) inject and clear faults in its own workspace only", async () => {
    const b = service.faults("crm", wsB).list();
    const set = await mock({
      path: `/t/${wsA}/_faults`,
      method: "POST",
      body: { operation: "contact.get", errorRate: 1, status: 429, retryAfterS: 3 },
      as: { cookie: cookie.editorA, workspace: wsA },
    });
    expect(set.status).toBe(200);
    expect(set.json.tenant).toBe(wsA);
    expect(service.faults("crm", wsA).list()).toContainEqual(
      expect.objectContaining({ operation: "contact.get", status: 429 }),
    );
    const injected = await mock({ path: "/contacts/CON-1042", as: { token: token.readA } });
    expect(injected.status).toBe(429);
    const cleared = await mock({ path: "/_faults", method: "DELETE", as: { token: token.adminA } });
    expect(cleared.status).toBe(200);
    expect(service.faults("crm", wsA).list()).toEqual([]);
    expect(service.faults("crm", wsB).list()).toEqual(b);
  });

  it("refuses a forged cross-site form post carrying an editor's cookie", async () => {
    const before = state();
    const r = await mock({
      path: "/_faults",
      method: "POST",
      body: FAULT,
      as: { cookie: cookie.editorA },
      headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
    });
    expect(r.status).toBe(403);
    expect(r.json.error?.message).toMatch(/Cross-site request refused/);
    expect(state()).toEqual(before);
  });
});
