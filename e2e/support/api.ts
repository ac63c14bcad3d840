/**
 * What the specs share besides page objects: the tRPC HTTP API (a query is a GET with
 * `?input={json}`, a mutation a POST of `{json}`), the demo workspace's users, screenshots.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  expect,
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  type Page,
  type PlaywrightWorkerArgs,
  type TestInfo,
} from "@playwright/test";
import { newUserData, signInViaApi, signUpViaApi, type TestUser } from "../fixtures";

export async function query<T>(request: APIRequestContext, p: string, input?: unknown): Promise<T> {
  const q =
    input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await request.get(`/api/trpc/${p}${q}`);
  expect(res.ok(), `${p}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

export async function mutate<T>(request: APIRequestContext, p: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${p}`, { data: { json: input } });
  expect(res.ok(), `${p}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** Waits until the run, as the API reports it, has a status matching `status` (45 s at most). */
export async function expectRunStatus(request: APIRequestContext, runId: string, status: RegExp) {
  await expect
    .poll(async () => (await query<{ status: string }>(request, "run.get", { id: runId })).status, {
      timeout: 45_000,
      intervals: [100, 250, 500],
    })
    .toMatch(status);
}

/** A seeded demo account (prisma/demo-users.json). */
export interface DemoUser {
  email: string;
  password: string;
  role: string;
}

/** The demo workspace's users, as seeded on a fresh start. */
export const DEMO_USERS: DemoUser[] = (
  JSON.parse(readFileSync(path.join(process.cwd(), "prisma/demo-users.json"), "utf8")) as {
    users: DemoUser[];
  }
).users;
export const DEMO_ADMIN_USER = DEMO_USERS.find((u) => u.role === "admin")!;
export const DEMO_APPROVERS = DEMO_USERS.filter((u) => u.role === "approver");

/** Attaches a screenshot of the page to the test's report. */
export async function shot(page: Page, testInfo: TestInfo, name: string) {
  await testInfo.attach(name, { body: await page.screenshot(), contentType: "image/png" });
}

/** A second person in a workspace, with an API context of their own. */
export interface SecondPerson {
  api: APIRequestContext;
  /** Approves a waiting human step of a run (`run.resume`) in the inviting workspace. */
  approve(runId: string, stepId: string): Promise<void>;
}

/**
 * Invites a new user into the signed-in admin's workspace as an approver (four eyes: the person
 * who started a run never approves it). They act in that workspace by naming it in the
 * `x-trustflow-workspace` header.
 */
export async function invitedApprover(
  admin: APIRequestContext,
  playwright: PlaywrightWorkerArgs["playwright"],
  baseURL: string | undefined,
): Promise<SecondPerson> {
  const ws = await query<{ id: string }>(admin, "workspace.current");
  const user = newUserData("approver");
  const invite = await mutate<{ token: string }>(admin, "workspace.invite", {
    email: user.email,
    role: "approver",
  });
  const api = await playwright.request.newContext({ baseURL });
  await signUpViaApi(api, user);
  await signInViaApi(api, user);
  await mutate(api, "workspace.acceptInvitation", { token: invite.token });
  return {
    api,
    async approve(runId, stepId) {
      const res = await api.post("/api/trpc/run.resume", {
        headers: { "x-trustflow-workspace": ws.id },
        data: { json: { runId, stepId, decision: "approve" } },
      });
      expect(res.ok(), `run.resume: ${res.status()} ${await res.text()}`).toBe(true);
    },
  };
}

/** A person invited into a workspace, signed in in a browser context of their own. */
export interface MemberSession {
  user: TestUser;
  context: BrowserContext;
  page: Page;
}

/**
 * Invites a new user into the signed-in admin's workspace with `role`, and signs them in in a
 * browser context of their own that acts in that workspace (the switcher's choice). Close the
 * context when done.
 */
export async function invitedMemberSession(
  browser: Browser,
  admin: APIRequestContext,
  baseURL: string | undefined,
  role: "viewer" | "editor" | "approver" | "admin" = "approver",
): Promise<MemberSession> {
  const ws = await query<{ id: string }>(admin, "workspace.current");
  const user = newUserData(role);
  const invite = await mutate<{ token: string }>(admin, "workspace.invite", {
    email: user.email,
    role,
  });
  const context = await browser.newContext({ baseURL });
  await context.addInitScript((id) => {
    window.localStorage.setItem("trustflow.workspace", id);
  }, ws.id);
  const page = await context.newPage();
  await signUpViaApi(page.request, user);
  await signInViaApi(page.request, user);
  await mutate(page.request, "workspace.acceptInvitation", { token: invite.token });
  return { user, context, page };
}
