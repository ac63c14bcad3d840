import { randomUUID } from "node:crypto";
import { test as base, expect, type APIRequestContext } from "@playwright/test";

export interface TestUser {
  name: string;
  email: string;
  password: string;
}

/** Demo accounts seeded at server start (prisma/demo-users.json). */
export const DEMO_VIEWER: TestUser = {
  name: "Vera Viewer",
  email: "viewer@demo.trustflow.dev",
  password: "trustflow-viewer",
};

/**
 * Marks a test (or a describe) that acts as one of the demo users in the demo workspace seeded
 * at server start. Those tests run one at a time, in the `demo-workspace` project
 * (playwright.config.ts), since they share that workspace's flows, groups, connectors and runs;
 * every other test has users and a workspace of its own and runs in parallel workers.
 */
export const DEMO_WORKSPACE = { tag: "@demo-workspace" };

export function newUserData(prefix = "e2e"): TestUser {
  const id = randomUUID().slice(0, 8);
  return {
    name: `E2E ${id}`,
    email: `${prefix}-${id}@example.test`,
    password: `pw-${randomUUID()}`,
  };
}

/**
 * Creates an account through the tRPC HTTP API. A non-batched tRPC 11 mutation is a POST to
 * `/api/trpc/<path>` whose body is the superjson-serialised input: `{ "json": { ... } }`.
 */
export async function signUpViaApi(request: APIRequestContext, user: TestUser) {
  const res = await request.post("/api/trpc/auth.signUp", {
    data: { json: { name: user.name, email: user.email, password: user.password } },
  });
  expect(res.ok(), `auth.signUp failed: ${res.status()} ${await res.text()}`).toBe(true);
  // The answer is the same whether or not the email had an account (no enumeration).
  return (await res.json()) as {
    result: { data: { json: { status: "received"; message: string } } };
  };
}

/**
 * Signs in through next-auth's credentials endpoint. Called with the page's request context, the
 * session cookie lands in the browser context, so the next navigation is signed in.
 */
export async function signInViaApi(
  request: APIRequestContext,
  user: Pick<TestUser, "email" | "password">,
) {
  const csrf = await request.get("/api/auth/csrf");
  expect(csrf.ok()).toBe(true);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await request.post("/api/auth/callback/credentials", {
    form: { csrfToken, email: user.email, password: user.password, json: "true" },
  });
  expect(res.ok(), `sign-in failed: ${res.status()}`).toBe(true);
  const session = await request.get("/api/auth/session");
  const body = (await session.json()) as { user?: { email?: string } };
  expect(body.user?.email, "no session after signing in").toBe(user.email);
}

export const test = base.extend<{
  /** A fresh account (its own workspace, as admin), created through the API, not signed in. */
  newUser: TestUser;
  /** A fresh account, already signed in in this page's browser context. */
  signedInUser: TestUser;
}>({
  newUser: async ({ request }, provide) => {
    const user = newUserData();
    await signUpViaApi(request, user);
    await provide(user);
  },
  signedInUser: async ({ page }, provide) => {
    const user = newUserData();
    await signUpViaApi(page.request, user);
    await signInViaApi(page.request, user);
    await provide(user);
  },
});

export { expect };
