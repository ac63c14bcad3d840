/**
 * Every template and every seeded flow succeeds on its first Run from the UI, with the inputs its
 * form proposes (each input's first example; inputs with a default are left to it), against the
 * demo workspace's mock services. The demo admin creates and runs; each decision a run waits for
 * (a trust gate, a credit check, a refund approval) is taken by one of the demo's approvers, in
 * their own browser session: nobody decides a run they started.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { APIRequestContext, Browser, BrowserContext, Page, TestInfo } from "@playwright/test";
import { parse } from "yaml";
import { flowTemplates } from "../../dsl/templates";
import { expect, signInViaApi, test } from "../fixtures";
import { RunPage } from "../pages/runs.page";
import { StudioPage } from "../pages/studio.page";
import { WorkflowsPage } from "../pages/workflows.page";

interface DemoUser {
  email: string;
  password: string;
  role: string;
}
const demo = JSON.parse(
  readFileSync(path.join(process.cwd(), "prisma/demo-users.json"), "utf8"),
) as { users: DemoUser[] };
const ADMIN = demo.users.find((u) => u.role === "admin")!;
const APPROVERS = demo.users.filter((u) => u.role === "approver");

async function query<T>(request: APIRequestContext, p: string, input?: unknown): Promise<T> {
  const q =
    input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await request.get(`/api/trpc/${p}${q}`);
  expect(res.ok(), `${p}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await testInfo.attach(name, { body: await page.screenshot(), contentType: "image/png" });
}

/** What the Run form proposes for a flow text: each input's first example, defaults left out. */
function proposedInputs(text: string): Record<string, unknown> {
  const doc = parse(text) as {
    inputs?: Record<string, { default?: unknown; examples?: unknown[] }>;
  };
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(doc.inputs ?? {})) {
    if (spec.default !== undefined) continue;
    expect(spec.examples?.length, `input ${name} proposes an example`).toBeGreaterThan(0);
    out[name] = spec.examples![0];
  }
  return out;
}

/** The studio's Run: the dialog runs the draft on screen; the proposed inputs go in as JSON. */
async function runFromStudio(page: Page, inputs: Record<string, unknown>): Promise<RunPage> {
  await page.getByRole("button", { name: "Run", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Run a flow" });
  await expect(dialog.getByLabel("Workflow")).not.toHaveValue("");
  await dialog.getByRole("radio", { name: "JSON" }).click();
  await dialog.getByLabel("Inputs (JSON)").fill(JSON.stringify(inputs));
  await dialog.getByRole("button", { name: "Start run" }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  const run = new RunPage(page);
  await run.expectShown();
  return run;
}

interface RunData {
  status: string;
  error: { name: string; message: string } | null;
  attempts: { stepId: string; attempt: number; status: string }[];
}

/** Waits for the run (from the API) to wait for a person or to end. */
async function settled(request: APIRequestContext, runId: string): Promise<RunData> {
  let run: RunData | undefined;
  await expect
    .poll(
      async () => {
        run = await query<RunData>(request, "run.get", { id: runId });
        return run.status;
      },
      { timeout: 30_000, intervals: [100, 250, 500] },
    )
    .toMatch(/^(waiting|succeeded|failed|compensated|cancelled)$/);
  return run!;
}

/** The steps whose latest attempt waits for a decision. */
function waitingSteps(run: RunData): string[] {
  const latest = new Map<string, RunData["attempts"][number]>();
  for (const a of run.attempts) {
    const prev = latest.get(a.stepId);
    if (!prev || a.attempt > prev.attempt) latest.set(a.stepId, a);
  }
  return [...latest.values()].filter((a) => a.status === "waiting").map((a) => a.stepId);
}

/** A signed-in session of one demo user: its own browser context, one page. */
interface Session {
  context: BrowserContext;
  page: Page;
}

async function session(browser: Browser, user: DemoUser): Promise<Session> {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const page = await context.newPage();
  await signInViaApi(page.request, user);
  return { context, page };
}

/**
 * Follows a run the admin started to its end; each time it waits, the approver approves from
 * the run's banner in their own session (their page stays on the run, which updates live).
 * Returns the steps decided, in order.
 */
async function followAndApprove(admin: Page, approver: Session, runId: string) {
  const decided: string[] = [];
  const { page } = approver;
  const view = new RunPage(page);
  for (let round = 0; ; round++) {
    const run = await settled(admin.request, runId);
    if (run.status !== "waiting") {
      expect(run.error, JSON.stringify(run.error)).toBeNull();
      expect(run.status).toBe("succeeded");
      return decided;
    }
    expect(round, "too many decisions").toBeLessThan(4);
    const steps = waitingSteps(run);
    expect(steps.length).toBeGreaterThan(0);
    if (!page.url().endsWith(`/runs/${runId}`)) await page.goto(`/runs/${runId}`);
    for (const stepId of steps) {
      // A fresh page loads the run first (slow on a loaded machine), then its banners show.
      await expect(page.getByTestId(`decision-${stepId}`)).toBeVisible({ timeout: 30_000 });
      await view.approve(stepId);
      decided.push(stepId);
    }
  }
}

test.describe("first runs", () => {
  // One flow per test, in order, sharing the three signed-in sessions. Each takes a few seconds
  // on an idle machine; the timeout leaves room for a loaded one (a studio load, approvals).
  test.describe.configure({ mode: "serial", timeout: 90_000 });
  const suffix = Date.now().toString(36);
  let admin: Session;
  let approvers: Session[];

  test.beforeAll(async ({ browser }) => {
    admin = await session(browser, ADMIN);
    approvers = await Promise.all(APPROVERS.map((u) => session(browser, u)));
  });
  test.afterAll(async () => {
    for (const s of [admin, ...(approvers ?? [])]) await s?.context.close();
  });

  /** Runs alternate between the two approvers. */
  let runs = 0;
  const nextApprover = () => approvers[runs++ % approvers.length]!;

  for (const template of flowTemplates) {
    test(`template "${template.title}" succeeds on its first run`, async ({}, testInfo) => {
      const { page } = admin;
      // Create it from the template in the Workflows page.
      const name = `${template.title} ${suffix}`;
      const workflows = new WorkflowsPage(page);
      await workflows.open();
      await workflows.createButton().first().click();
      const dialog = page.getByRole("dialog", { name: "New workflow" });
      await dialog.getByLabel("Name").fill(name);
      await dialog.getByRole("combobox").last().selectOption(template.id);
      await dialog.getByRole("button", { name: "Create workflow" }).click();
      await expect(dialog).toBeHidden();
      await workflows.openWorkflow(name);

      // The studio shows it without errors; its Run runs the draft on screen.
      const studio = new StudioPage(page);
      await studio.editor.waitReady();
      await studio.editor.expectNoErrors();
      const run = await runFromStudio(page, proposedInputs(template.text));
      const decided = await followAndApprove(page, nextApprover(), run.id);
      if (template.id === "refund-approval") expect(decided).toEqual(["approval"]);
      else expect(decided).toEqual([]);
      await run.expectStatus("succeeded");
      await shot(page, testInfo, `${template.id} succeeded`);
    });
  }

  for (const name of ["Quote to cash", "Invoice dunning"]) {
    test(`seeded "${name}" succeeds on its first run`, async ({}, testInfo) => {
      const { page } = admin;
      const workflows = new WorkflowsPage(page);
      await workflows.open();
      await workflows.openWorkflow(name);
      const studio = new StudioPage(page);
      await studio.editor.waitReady();
      await studio.editor.expectNoErrors();
      const id = new URL(page.url()).pathname.split("/").at(-1)!;
      const { draft } = await query<{ draft: string }>(page.request, "workflow.get", { id });
      const run = await runFromStudio(page, proposedInputs(draft));
      const decided = await followAndApprove(page, nextApprover(), run.id);
      // The drafting agent scores under its step's minimum: an approver lets the run start.
      if (name === "Quote to cash") expect(decided[0]).toBe("trust-gate");
      await run.expectStatus("succeeded");
      await shot(page, testInfo, `${name} succeeded`);
    });
  }
});
