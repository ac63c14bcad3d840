import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { createContextInner } from "@/server/trpc/init";

/**
 * Attack: CSRF through form posts. A page on another site submits
 * `<form method=post enctype=text/plain action=https://studio/api/trpc/workflow.create>`; the
 * browser attaches the victim's session cookie. The tRPC route must refuse it (403) before any
 * procedure runs, while the studio's own JSON calls and API-token calls keep working.
 *
 * The route handler is the real one; only the cookie → session lookup is replaced by the test
 * user (what next-auth would resolve the cookie to), and counted.
 */
const session = vi.hoisted(() => ({
  db: null as unknown,
  user: null as null | { id: string; email: string; name: string },
  calls: 0,
}));
vi.mock("@/server/trpc/context", () => ({
  WORKSPACE_HEADER: "x-trustflow-workspace",
  createContext: async () => {
    session.calls++;
    return createContextInner({
      db: session.db as Database["prisma"],
      user: session.user,
      workspaceId: null,
    });
  },
}));

const ORIGIN = "http://localhost:3000";
let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
let POST: (req: Request) => Promise<Response>;

beforeAll(async () => {
  process.env.NEXTAUTH_URL = ORIGIN;
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "csrf");
  session.db = db.prisma;
  session.user = owner.user;
  POST = (await import("@/app/api/trpc/[trpc]/route")).POST as typeof POST;
});
afterAll(async () => {
  // The worker runs other files next (isolate: false): the mock goes with this file.
  vi.doUnmock("@/server/trpc/context");
  await db?.close();
});

const flows = () => db.prisma.workflow.count({ where: { workspaceId: owner.workspace.id } });

function post(headers: Record<string, string>, body: string) {
  return new Request(`${ORIGIN}/api/trpc/workflow.create`, {
    method: "POST",
    headers: { host: "localhost:3000", cookie: "next-auth.session-token=victim", ...headers },
    body,
  });
}

/** What `<form enctype=text/plain>` with `<input name='{"json":{"name":"x' value='"}}'>` sends. */
const FORM_BODY = '{"json":{"name":"Forged=x"}}';

describe("CSRF through form posts", () => {
  it("refuses a cross-site text/plain form post with 403 before any procedure runs", async () => {
    const before = await flows();
    const calls = session.calls;
    const res = await POST(
      post(
        {
          "content-type": "text/plain",
          origin: "https://evil.example",
          "sec-fetch-site": "cross-site",
          "sec-fetch-mode": "navigate",
        },
        FORM_BODY,
      ),
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: { code: "FORBIDDEN", message: expect.stringContaining("Cross-site request refused") },
    });
    expect(session.calls).toBe(calls);
    expect(await flows()).toBe(before);
  });

  it("refuses a foreign Origin even without Sec-Fetch-Site, and a sibling site", async () => {
    const before = await flows();
    const json = { "content-type": "application/json" };
    const foreign = await POST(post({ ...json, origin: "https://evil.example" }, FORM_BODY));
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).error.message).toContain("Origin: https://evil.example");
    const nullOrigin = await POST(post({ ...json, origin: "null" }, FORM_BODY));
    expect(nullOrigin.status).toBe(403);
    const sibling = await POST(post({ ...json, "sec-fetch-site": "same-site" }, FORM_BODY));
    expect(sibling.status).toBe(403);
    expect(await flows()).toBe(before);
  });

  it("refuses a same-origin post that is not JSON with 415", async () => {
    const before = await flows();
    const res = await POST(
      post(
        { "content-type": "text/plain", origin: ORIGIN, "sec-fetch-site": "same-origin" },
        FORM_BODY,
      ),
    );
    expect(res.status).toBe(415);
    expect((await res.json()).error.message).toContain("application/json");
    const urlencoded = await POST(
      post({ "content-type": "application/x-www-form-urlencoded", origin: ORIGIN }, "a=b"),
    );
    expect(urlencoded.status).toBe(415);
    expect(await flows()).toBe(before);
  });

  it("accepts the studio's own JSON call", async () => {
    const before = await flows();
    const res = await POST(
      post(
        {
          "content-type": "application/json",
          origin: ORIGIN,
          "sec-fetch-site": "same-origin",
        },
        JSON.stringify({ json: { name: "Same origin" } }),
      ),
    );
    expect(res.status).toBe(200);
    expect(await flows()).toBe(before + 1);
  });

  it("does not hold bearer-token calls (no cookie involved) to the origin check", async () => {
    const before = await flows();
    const res = await POST(
      post(
        {
          "content-type": "application/json",
          authorization: "Bearer tf_example",
          origin: "https://ci.example",
          "sec-fetch-site": "cross-site",
        },
        JSON.stringify({ json: { name: "From CI" } }),
      ),
    );
    // Past the guard: the (mocked) context answered, so the procedure ran.
    expect(res.status).toBe(200);
    expect(await flows()).toBe(before + 1);
  });
});
