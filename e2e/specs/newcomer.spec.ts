/**
 * "A newcomer's first hour" (issue 13): what a new user does on a fresh `npm install && npm start`,
 * in the demo workspace, through the UI only.
 *
 * 1. The README's five-minute tour: sign in as the demo admin on the sign-in page, create a flow
 *    from a template, run it from its generated form, sign out, sign in as an approver, approve
 *    from the Runs page, read the audit.
 * 2. Every template and every seeded flow succeeds on its first Run from the studio, with the
 *    inputs its form proposes ("Fill in examples"; defaults left as the form shows them), against
 *    the demo's mock services. Each decision a run waits for (a trust gate, a refund approval) is
 *    taken by one of the demo's approvers in their own browser session: nobody decides a run they
 *    started.
 * 3. In the studio the editor completes a block id after `uses:`, an input inside `with:` and a
 *    step output inside `${{ steps. }}`.
 * 4. A fault injected into the mock billing service dead-letters a step, and the run says so.
 */
import type { APIRequestContext, Browser, BrowserContext, Page, TestInfo } from "@playwright/test";
import { flowTemplates } from "@/dsl";
import { DEMO_WORKSPACE, expect, signInViaApi, test } from "../fixtures";
import { AuditPage } from "../pages/audit.page";
import { ConnectorsPage } from "../pages/connectors.page";
import { MonacoEditorPart } from "../pages/editor.part";
import { RunPage } from "../pages/runs.page";
import { ShellPage } from "../pages/shell.page";
import { SignInPage } from "../pages/sign-in.page";
import { StudioPage } from "../pages/studio.page";
import { WorkflowsPage } from "../pages/workflows.page";
import {
  DEMO_ADMIN_USER as ADMIN,
  DEMO_APPROVERS as APPROVERS,
  query,
  shot,
  type DemoUser,
} from "../support/api";

/** Creates a workflow from a template on the Workflows page and opens it in the studio. */
async function createFromTemplate(page: Page, name: string, templateId: string) {
  const workflows = new WorkflowsPage(page);
  await workflows.open();
  await workflows.createButton().first().click();
  const dialog = page.getByRole("dialog", { name: "New workflow" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByRole("combobox").last().selectOption(templateId);
  await dialog.getByRole("button", { name: "Create workflow" }).click();
  await expect(dialog).toBeHidden();
  await workflows.openWorkflow(name);
  const studio = new StudioPage(page);
  await studio.editor.waitReady();
  return studio;
}

/**
 * The studio's Run: the dialog runs the draft on screen; the generated form is filled with the
 * inputs' examples (what a newcomer does first), `fill` sets fields by label; Start run.
 */
async function runFromForm(
  page: Page,
  opts: { fill?: Record<string, string>; testInfo?: TestInfo } = {},
): Promise<RunPage> {
  await page.getByRole("button", { name: "Run", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Run a flow" });
  await expect(dialog.getByLabel("What to run")).toHaveValue("__screen");
  await expect(dialog.getByTestId("runs-what")).toContainText("Runs the draft on screen");
  const inputs = dialog.getByTestId("run-inputs");
  await expect(inputs).toBeVisible();
  if (opts.fill) {
    for (const [label, value] of Object.entries(opts.fill))
      await inputs.getByLabel(new RegExp(`^${label}`)).fill(value);
  } else {
    const examples = inputs.getByRole("button", { name: "Fill in examples" });
    if (await examples.count()) await examples.click();
  }
  if (opts.testInfo) await shot(page, opts.testInfo, "run form");
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

/** Waits for the run (as the API reports it) to wait for a person or to end. */
async function settled(request: APIRequestContext, runId: string): Promise<RunData> {
  let run: RunData | undefined;
  await expect
    .poll(
      async () => {
        run = await query<RunData>(request, "run.get", { id: runId });
        return run.status;
      },
      { timeout: 45_000, intervals: [100, 250, 500] },
    )
    .toMatch(/^(waiting|succeeded|failed|compensated|cancelled)/);
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
 * Follows a run the admin started to its end; each time it waits, the approver approves from the
 * run's banner in their own session. Returns the steps decided, in order.
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
      await expect(page.getByTestId(`decision-${stepId}`)).toBeVisible({ timeout: 30_000 });
      await view.approve(stepId);
      decided.push(stepId);
    }
  }
}

test.describe("a newcomer's first hour", DEMO_WORKSPACE, () => {
  // In order, sharing the signed-in sessions. Each flow takes a few seconds on an idle machine;
  // the timeout leaves room for a loaded one (a studio load, approvals in another session).
  test.describe.configure({ mode: "serial", timeout: 120_000 });
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

  test("the README's tour: a template, its form, another person's approval, the audit", async ({
    page,
  }, testInfo) => {
    // Signs in on the sign-in page, as a newcomer does (not through the API).
    const signIn = new SignInPage(page);
    await signIn.open();
    await signIn.signIn(ADMIN.email, ADMIN.password);
    const shell = new ShellPage(page);
    await shell.expectSignedInAs(ADMIN.email);

    const name = `Refund ${suffix}`;
    const studio = await createFromTemplate(page, name, "refund-approval");
    await studio.canvas.expectNode("approval");
    await studio.canvas.expectNode("refund");
    await studio.editor.expectNoErrors();
    await shot(page, testInfo, "studio");

    // The form the tour describes: a charge id, an amount; the reason keeps its default.
    const run = await runFromForm(page, { fill: { chargeId: "CH-9f2a", amount: "25" }, testInfo });
    await run.expectStep("approval", "waiting");
    await run.expectStatus("waiting");
    await expect(page.getByTestId("decision-approval")).toContainText(
      "Approve a refund of 25 on CH-9f2a?",
    );
    await shot(page, testInfo, "waiting for finance");
    const runId = run.id;

    // Sign out; the approver (in group finance) signs in and approves from the Runs page.
    await shell.signOut();
    await signIn.signIn(APPROVERS[0]!.email, APPROVERS[0]!.password);
    await shell.expectSignedInAs(APPROVERS[0]!.email);
    await shell.goTo("Runs");
    await page.getByRole("link", { name: `Run ${runId}` }).click();
    await expect(page).toHaveURL(new RegExp(`/runs/${runId}$`));
    const view = new RunPage(page);
    await view.approve("approval");
    await view.expectStatus("succeeded");
    await view.expectStep("refund", "succeeded");
    await shot(page, testInfo, "approved and refunded");

    // The audit: the chain verifies; the start, the decision and the end are there, by whom.
    const audit = new AuditPage(page);
    await shell.goTo("Audit");
    await audit.expectChainVerified();
    await audit.filterBySubjectType("Run");
    await audit.expectEntry("run.start", ADMIN.email);
    await audit.expectEntry("run.step.approve", APPROVERS[0]!.email);
    const payload = (await audit.expand("run.step.approve")) as Record<string, unknown>;
    expect(JSON.stringify(payload)).toContain("approval");
    await shot(page, testInfo, "audit");
    await shell.signOut();
  });

  /** Runs alternate between the two approvers. */
  let runs = 0;
  const nextApprover = () => approvers[runs++ % approvers.length]!;

  for (const template of flowTemplates) {
    test(`template "${template.title}" succeeds on its first run from its form`, async ({}, testInfo) => {
      const { page } = admin;
      const studio = await createFromTemplate(page, `${template.title} ${suffix}`, template.id);
      await studio.editor.expectNoErrors();
      const run = await runFromForm(page, { testInfo });
      const decided = await followAndApprove(page, nextApprover(), run.id);
      if (template.id === "refund-approval") expect(decided).toEqual(["approval"]);
      else expect(decided).toEqual([]);
      // The admin's page followed the run live to its end.
      await run.expectStatus("succeeded");
      await shot(page, testInfo, `${template.id} succeeded`);
    });
  }

  for (const name of ["Quote to cash", "Invoice dunning"]) {
    test(`seeded "${name}" succeeds on its first run from its form`, async ({}, testInfo) => {
      const { page } = admin;
      const workflows = new WorkflowsPage(page);
      await workflows.open();
      await workflows.openWorkflow(name);
      const studio = new StudioPage(page);
      await studio.editor.waitReady();
      await studio.editor.expectNoErrors();
      const run = await runFromForm(page, { testInfo });
      const decided = await followAndApprove(page, nextApprover(), run.id);
      // The drafting agent scores under its step's minimum: an approver lets the run start.
      if (name === "Quote to cash") expect(decided[0]).toBe("trust-gate");
      await run.expectStatus("succeeded");
      await shot(page, testInfo, `${name} succeeded`);
    });
  }

  test("the studio completes a block id, an input and a step output", async ({}, testInfo) => {
    const { page } = admin;
    const studio = await createFromTemplate(page, `Completion ${suffix}`, "quote-to-cash");
    await studio.canvas.expectNode("deal");
    const editor = new MonacoEditorPart(page, studio);

    // A new step after the last one (before `policies:`).
    const lines = (await studio.editor.text()).split("\n");
    let last = lines.findIndex((l) => l.startsWith("policies:")) - 1;
    while (last > 0 && lines[last]!.trim() === "") last--;
    await editor.endOfLine(last + 1);

    await editor.newLine("");
    await editor.newLine("  - id: followup");
    await editor.newLine("    uses: crm.deal.up");
    await editor.accept("crm.deal.update@1");
    await editor.newLine("    with:");
    await editor.newLine("      ");
    await editor.accept("note");
    await editor.insert("${{ steps.");
    await editor.accept("contract");
    await editor.accept("dealId", { open: false });
    await editor.insert(" }}");
    await studio.editor.expectText(
      /- id: followup\n {4}uses: crm\.deal\.update@1\n {4}with:\n {6}note: \$\{\{ steps\.contract\.output\.dealId \}\}\n/,
    );
    // The canvas follows the text.
    await studio.canvas.expectNode("followup");
    await shot(page, testInfo, "completed");
  });

  test("a fault in the mock billing service dead-letters a step, and the run says so", async ({}, testInfo) => {
    const { page } = admin;
    // The demo's billing connector is this app's mock billing service: make it refuse every
    // account write.
    const connectors = new ConnectorsPage(page);
    await connectors.open();
    const connector = "billing-mock";
    const faults = await connectors.openFaults(connector);
    await faults.inject({ operation: "account.upsert", errorRate: 1, status: 503, seed: 7 });
    try {
      // The sync template keeps a dead letter when its write fails for good; a newcomer lowers
      // its patience to see it sooner.
      const studio = await createFromTemplate(page, `Dead letter ${suffix}`, "crm-billing-sync");
      await studio.editor.replaceAtLineEnd(
        "max: 6 # more patience than T1's default before the dead letter",
        "max: 1",
      );
      await studio.editor.expectText(/retry:\n {6}max: 1\n/);
      await studio.editor.expectNoErrors();
      const run = await runFromForm(page, { testInfo });
      await run.expectStatus("succeeded with dead letters");
      await run.expectStep("company", "succeeded");
      await run.expectStep("account", "failed");
      await expect(run.node("account")).toHaveAttribute("data-dead-lettered", "true");
      await expect(page.getByTestId("dead-letters")).toContainText(
        "The run succeeded with dead letters: account failed for good after 2 attempts",
      );
      await shot(page, testInfo, "dead letter");
    } finally {
      // The demo's other flows use the mock billing service: leave it healthy.
      await connectors.open();
      const panel = await connectors.openFaults(connector);
      await panel.clearAll();
    }
  });
});
