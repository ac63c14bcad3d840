/**
 * Every page of the studio, signed in as the demo admin (and the sign-in and sign-up pages signed
 * out), passes axe's WCAG 2 A and AA rules without a serious or critical violation, and logs no
 * console error and throws no page error while it loads and settles.
 *
 * Each page is visited in its loaded state (its data shown, not a spinner): that is what a person
 * reads. Violations are reported with their rule, impact, help text and the elements involved.
 */
import AxeBuilder from "@axe-core/playwright";
import type { APIRequestContext, BrowserContext, Page, TestInfo } from "@playwright/test";
import { flowTemplates } from "@/dsl";
import { DEMO_WORKSPACE, expect, signInViaApi, test } from "../fixtures";
import { DEMO_ADMIN_USER as ADMIN, mutate, query } from "../support/api";

/** Console errors and uncaught page errors, from the moment the listener is attached. */
function watchErrors(page: Page) {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") {
      const where = msg.location();
      errors.push(`console.error: ${msg.text()}${where.url ? ` (${where.url})` : ""}`);
    }
  });
  page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
  return errors;
}

/** Runs axe and fails with a readable list of the serious and critical violations. */
async function expectAccessible(page: Page, testInfo: TestInfo, name: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  await testInfo.attach(`axe-${name}.json`, {
    body: JSON.stringify(results.violations, null, 2),
    contentType: "application/json",
  });
  const blocking = results.violations.filter(
    (v) => v.impact === "serious" || v.impact === "critical",
  );
  const report = blocking.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n` +
      v.nodes
        .slice(0, 5)
        .map(
          (n) => `    ${n.target.join(" ")}\n      ${n.failureSummary?.replace(/\n/g, "\n      ")}`,
        )
        .join("\n"),
  );
  expect.soft(report, `axe violations on ${name}`).toEqual([]);
}

/** The workflow and run the signed-in pages show: a seeded flow and a run waiting for approval. */
async function arrange(request: APIRequestContext) {
  const list = await query<
    { items?: Array<{ id: string; name: string }> } | Array<{ id: string; name: string }>
  >(request, "workflow.list", {});
  const workflows = Array.isArray(list) ? list : (list.items ?? []);
  const seeded = workflows.find((w) => w.name === "Quote to cash");
  expect(seeded, "the demo workspace has its seeded flows").toBeTruthy();
  const template = flowTemplates.find((t) => t.id === "refund-approval")!;
  const wf = await mutate<{ id: string }>(request, "workflow.create", {
    name: `A11y refund ${Date.now().toString(36)}`,
    dsl: template.text,
  });
  const run = await mutate<{ id: string }>(request, "run.start", {
    workflowId: wf.id,
    draft: true,
    inputs: { chargeId: "CH-9f2a", amount: 25 },
  });
  return { studioId: seeded!.id, runId: run.id };
}

interface Visit {
  name: string;
  path: (ids: { studioId: string; runId: string }) => string;
  /** Waits until the page shows its data. */
  ready: (page: Page) => Promise<void>;
  signedOut?: boolean;
  /** A heavy page (the canvas, the editor): axe walks a large DOM. */
  slow?: boolean;
}

const heading = (name: string | RegExp) => async (page: Page) => {
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
};

const VISITS: Visit[] = [
  {
    name: "sign-in",
    path: () => "/sign-in",
    signedOut: true,
    ready: async (page) => {
      await expect(page.getByRole("heading", { name: "Sign in to Trustflow" })).toBeVisible();
    },
  },
  {
    name: "sign-up",
    path: () => "/sign-up",
    signedOut: true,
    ready: async (page) => {
      await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
    },
  },
  {
    name: "workflows",
    path: () => "/workflows",
    ready: async (page) => {
      await heading("Workflows")(page);
      await expect(page.getByText("Quote to cash").first()).toBeVisible();
    },
  },
  {
    // The workflow's own page: its triggers, versions and runs.
    name: "workflow",
    path: ({ studioId }) => `/workflows/${studioId}`,
    ready: heading("Quote to cash"),
  },
  {
    name: "studio",
    slow: true,
    path: ({ studioId }) => `/studio/${studioId}`,
    ready: async (page) => {
      // Monaco loads its workers after the page: allow it the time a cold start takes.
      await expect(page.locator(".react-flow__node").first()).toBeVisible({ timeout: 30_000 });
      await expect(page.locator(".monaco-editor .view-lines").first()).toBeVisible({
        timeout: 30_000,
      });
    },
  },
  {
    name: "runs",
    path: () => "/runs",
    ready: async (page) => {
      await heading("Runs")(page);
      await expect(page.getByRole("table", { name: "Runs" })).toBeVisible();
    },
  },
  {
    name: "run",
    slow: true,
    path: ({ runId }) => `/runs/${runId}`,
    ready: async (page) => {
      // Waiting for the finance group's decision: the banner and the graph are shown.
      await expect(page.getByText(/is waiting for an approval/).first()).toBeVisible();
      await expect(page.getByRole("region", { name: "Run canvas" })).toBeVisible();
      await expect(page.locator(".react-flow__node").first()).toBeVisible();
    },
  },
  { name: "approvals", path: () => "/approvals", ready: heading("Approvals") },
  {
    name: "audit",
    path: () => "/audit",
    ready: async (page) => {
      await heading("Audit")(page);
      await expect(page.getByTestId("audit-chain-status")).toContainText("Chain verified");
      // An expanded entry too: its payload and links are part of the page.
      await page
        .getByRole("button", { name: /^Show entry #\d+$/ })
        .first()
        .click();
      await expect(page.locator('[data-testid^="audit-payload-"]').first()).toBeVisible();
    },
  },
  {
    name: "connectors",
    path: () => "/connectors",
    ready: async (page) => {
      await heading("Connectors")(page);
      await expect(page.getByRole("table").first()).toBeVisible();
    },
  },
  {
    name: "registry",
    path: () => "/registry",
    ready: async (page) => {
      await heading("Registry")(page);
      await expect(page.getByRole("navigation", { name: "Block kinds" })).toBeVisible();
    },
  },
  {
    name: "settings",
    path: () => "/settings",
    ready: async (page) => {
      await heading("Settings")(page);
      await expect(page.getByText(ADMIN.email).first()).toBeVisible();
    },
  },
  { name: "trust", path: () => "/trust", ready: heading("Trust") },
  {
    name: "operations",
    path: () => "/operations",
    ready: async (page) => {
      await heading("Operations")(page);
      // Charts (the demo workspace's history) or the empty state: either is the page.
      await expect(
        page.getByRole("figure").first().or(page.getByText("No runs ended in this range")),
      ).toBeVisible();
    },
  },
  { name: "guardian", path: () => "/guardian", ready: heading("Guardian") },
  { name: "sandbox", path: () => "/sandbox", ready: heading("Sandbox") },
];

test.describe("accessibility of every page", DEMO_WORKSPACE, () => {
  let ids: { studioId: string; runId: string };
  /** The demo admin's session cookies: signed in once, every signed-in page's context gets them. */
  let adminCookies: Awaited<ReturnType<BrowserContext["cookies"]>>;

  test.beforeAll(async ({ browser }) => {
    const context = await browser.newContext();
    await signInViaApi(context.request, ADMIN);
    ids = await arrange(context.request);
    adminCookies = await context.cookies();
    await context.close();
  });

  for (const visit of VISITS) {
    test(`${visit.name}: no serious or critical axe violation, no console error`, async ({
      page,
    }, testInfo) => {
      if (visit.slow) test.slow();
      if (!visit.signedOut) await page.context().addCookies(adminCookies);
      const errors = watchErrors(page);
      await page.goto(visit.path(ids));
      await visit.ready(page);
      await expect(page).toHaveTitle(/Trustflow/);
      // Both checks report, whichever fails first.
      await expectAccessible(page, testInfo, visit.name);
      expect.soft(errors, `console or page errors on ${visit.name}`).toEqual([]);
    });
  }
});
