import { readFileSync } from "node:fs";
import path from "node:path";
import type { APIRequestContext, Page, TestInfo } from "@playwright/test";
import { DEMO_VIEWER, DEMO_WORKSPACE, expect, signInViaApi, test } from "../fixtures";
import { ConnectorsPage } from "../pages/connectors.page";
import { RunPage } from "../pages/runs.page";
import { StudioPage } from "../pages/studio.page";
import { WorkflowsPage } from "../pages/workflows.page";
import { invitedApprover } from "../support/api";

/** tRPC over HTTP: a mutation is a POST of `{ json: input }`, a query a GET with `?input=`. */
async function mutate<T>(request: APIRequestContext, p: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${p}`, { data: { json: input } });
  expect(res.ok(), `${p}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function query<T>(request: APIRequestContext, p: string, input?: unknown): Promise<T> {
  const q =
    input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await request.get(`/api/trpc/${p}${q}`);
  expect(res.ok(), `${p}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** A mock service's REST API (server/adapters/connectors/REST.md), in this workspace's tenant. */
async function mockGet<T>(request: APIRequestContext, system: string, ws: string, p: string) {
  const res = await request.get(`/api/mock/${system}/t/${ws}${p}`);
  expect(res.ok(), `mock ${system} ${p}: ${res.status()}`).toBe(true);
  return (await res.json()) as T;
}

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await testInfo.attach(name, { body: await page.screenshot(), contentType: "image/png" });
}

interface Contract {
  id: string;
  customer: { id: string; name: string; email: string };
  currency: string;
  amount: number;
  dealId: string;
}

/**
 * What a person adds to the template: a welcome note drafted by an agent (it reads the customer's
 * data, so it needs the billing consent like the invoice) and a credit check that asks an
 * approver when the contract is larger than the account's credit limit. The consent id comes from
 * the run's inputs (`consentId`, the template's input), where the engine looks for it.
 */
function extendTemplate(text: string): string {
  const replaceOnce = (s: string, from: string, to: string) => {
    expect(s.split(from).length, `the template has one "${from.trim()}"`).toBe(2);
    return s.replace(from, to);
  };
  // The template declares `consentId` (bound to the invoice's consent); here it is optional, so a
  // run without it reaches the agent step and fails closed there.
  let t = replaceOnce(
    text,
    "    examples: [CNS-1001]\n",
    "    examples: [CNS-1001]\n    required: false\n",
  );
  t = replaceOnce(
    t,
    "  - id: account\n    uses: billing.account.upsert@2\n",
    `  - id: welcome
    uses: agent.draft@1
    with:
      prompt: Write a short welcome note to \${{ steps.contract.output.customer.name }} for contract \${{ inputs.contractId }}.
      output:
        type: object
        required: [subject, body]
        properties:
          subject: { type: string }
          body: { type: string }
    consent:
      purpose: billing

  - id: account
    uses: billing.account.upsert@2
    needs: [welcome]
`,
  );
  t = replaceOnce(
    t,
    "  - id: invoice\n    uses: billing.invoice.create@4\n",
    `  - id: credit_check
    uses: policy.check@1
    needs: [account]
    with:
      rule: double(steps.contract.output.amount) <= double(steps.account.output.creditLimit)
      otherwise: approval
      message: The contract is larger than the account's credit limit.
      approvers: { role: approver }

  - id: invoice
    uses: billing.invoice.create@4
    needs: [credit_check]
`,
  );
  return t;
}

const STEPS = ["contract", "welcome", "account", "credit_check", "invoice", "deal"];

test.describe("quote to cash", () => {
  test("connectors: mock-backed connectors, a write-only credential, faults, an OpenAPI import", async ({
    page,
    signedInUser: _user,
  }, testInfo) => {
    const connectors = new ConnectorsPage(page);
    await connectors.open();
    await connectors.expectEmpty();

    // Bad input is refused by the field and changes nothing.
    await connectors.expectCreateRefused(
      { name: "crm", system: "crm", baseUrl: "not a url" },
      /absolute http\(s\) URL/,
    );
    await connectors.expectEmpty();

    await connectors.createMockConnector("crm", "crm");
    await connectors.createMockConnector("billing", "billing");
    await expect(connectors.credential("crm")).toHaveText("Not needed");

    // A credential is write-only: after saving, only a hint of its last four characters shows.
    await connectors.editAuth("crm", "api_key", "X-API-Key");
    await expect(connectors.credential("crm")).toHaveText("Not set");
    const secret = `sk-e2e-${Date.now()}-wxyz`;
    await connectors.setCredential("crm", secret);
    await expect(connectors.credential("crm")).toContainText("Set (…wxyz)");
    await expect(page.locator("body")).not.toContainText(secret);
    await expect(page.locator(`input[value="${secret}"]`)).toHaveCount(0);
    const listed = await query<{ name: string; credential: unknown }[]>(
      page.request,
      "connector.list",
    );
    expect(JSON.stringify(listed)).not.toContain(secret);

    // Fault injection on the mock CRM: the rule is stored by the mock, and it answers with it.
    const faults = await connectors.openFaults("crm");
    await faults.inject({
      operation: "deal.get",
      errorRate: 1,
      status: 503,
      retryAfterS: 2,
      seed: 42,
    });
    await expect(faults.faults).toContainText("100% → 503 (Retry-After 2 s)");
    // Runs reach the mock in-process (`mock://crm`); over HTTP the same tenant is served at
    // /api/mock/crm/t/<workspace id>.
    const baseUrl = (
      await query<{ name: string; baseUrl: string }[]>(page.request, "connector.list")
    ).find((c) => c.name === "crm")!.baseUrl;
    expect(baseUrl).toBe("mock://crm");
    const ws = await query<{ id: string }>(page.request, "workspace.current");
    const mockPath = `/api/mock/crm/t/${ws.id}`;
    const dealRes = await page.request.get(`${mockPath}/deals/DEAL-311`);
    expect(dealRes.status()).toBe(503);
    expect(dealRes.headers()["retry-after"]).toBe("2");
    await faults.inject({ operation: "*", latencyMs: 5 });
    await faults.refresh();
    await expect(faults.requests()).toContainText("deal.get: 1");
    await shot(page, testInfo, "faults");
    await faults.clearAll();
    expect((await page.request.get(`${mockPath}/deals/DEAL-311`)).status()).toBe(200);

    // An OpenAPI document becomes blocks.
    const petstore = readFileSync(
      path.join(process.cwd(), "server/adapters/connectors/testdata/petstore.yaml"),
      "utf8",
    );
    const blocks = await connectors.importOpenApi("petstore", petstore);
    await expect(blocks).toContainText("petstore.list-pets@");
    await expect(blocks).toContainText("petstore.create-pet@");
    await shot(page, testInfo, "openapi import");
    await connectors.closeImport();
    await expect(connectors.row("petstore")).toContainText("https://petstore.example.com/v2");

    await connectors.delete("petstore");
    await connectors.delete("billing");
    await expect(connectors.row("crm")).toBeVisible();
  });

  test(
    "viewers read connectors and faults but change nothing",
    DEMO_WORKSPACE,
    async ({ page }) => {
      await signInViaApi(page.request, DEMO_VIEWER);
      const connectors = new ConnectorsPage(page);
      await connectors.open();
      await expect(connectors.row("crm-mock")).toBeVisible();
      await expect(page.getByRole("button", { name: "New connector" })).toHaveCount(0);
      await expect(page.getByRole("button", { name: "Import OpenAPI" })).toHaveCount(0);
      await expect(
        page.getByRole("button", { name: /^(Edit|Delete|Set credential of) / }),
      ).toHaveCount(0);
      const faults = await connectors.openFaults("crm-mock");
      await expect(faults.root.getByRole("form", { name: "Inject a fault" })).toHaveCount(0);
      await expect(faults.root.getByTestId("mock-stats")).toBeVisible();
      // The server refuses a viewer's change too.
      const res = await page.request.post("/api/trpc/connector.create", {
        data: { json: { name: "x", system: "crm", baseUrl: "https://example.com" } },
      });
      expect(res.status()).toBe(403);
    },
  );

  test("a fresh admin runs quote-to-cash against the mock CLM, billing and CRM and the model", async ({
    page,
    playwright,
    signedInUser: _user,
  }, testInfo) => {
    test.setTimeout(120_000);
    const ws = await query<{ id: string }>(page.request, "workspace.current");

    // The fresh workspace has no connectors: point the three systems at the mocks.
    const connectors = new ConnectorsPage(page);
    await connectors.open();
    for (const system of ["clm", "billing", "crm"] as const)
      await connectors.createMockConnector(system, system);

    // Create the workflow from the template in the Workflows page.
    const name = `Q2C ${Date.now().toString(36)}`;
    const workflows = new WorkflowsPage(page);
    await workflows.open();
    await workflows.createButton().first().click();
    const dialog = page.getByRole("dialog", { name: "New workflow" });
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByRole("combobox").last().selectOption("quote-to-cash");
    await dialog.getByRole("button", { name: "Create workflow" }).click();
    await expect(dialog).toBeHidden();
    await workflows.expectListed(name);
    const wf = (await query<{ id: string; name: string }[]>(page.request, "workflow.list")).find(
      (w) => w.name === name,
    )!;

    // Extend the template's draft (as the studio's autosave does), then open it in the studio.
    const { draft } = await query<{ draft: string }>(page.request, "workflow.get", { id: wf.id });
    await mutate(page.request, "workflow.saveDraft", { id: wf.id, dsl: extendTemplate(draft) });
    const studio = new StudioPage(page);
    await studio.open(wf.id, name);
    for (const id of STEPS) await studio.canvas.expectNode(id);
    await studio.editor.expectNoErrors();
    await studio.saveVersion();
    await shot(page, testInfo, "studio");

    // The mocks hold the contract; the expectations below come from them, not from constants.
    const contract = await mockGet<Contract>(page.request, "clm", ws.id, "/contracts/CTR-1001");

    // Without a consent id the run fails closed at the agent step, before calling the model.
    const denied = await startFromStudio(page, { contractId: contract.id });
    await denied.expectStatus("failed");
    await denied.expectStep("contract", "succeeded");
    await denied.expectStep("welcome", "failed");
    await denied.expectStep("account", "pending");
    await expect(page.getByRole("alert").filter({ hasText: "ConsentError" })).toContainText(
      'step welcome needs consent for "billing" but no consent id was given',
    );
    const deniedData = await query<{ agentUsage: unknown[] }>(page.request, "run.get", {
      id: denied.id,
    });
    expect(deniedData.agentUsage, "the model was not called").toHaveLength(0);
    await shot(page, testInfo, "no consent");

    // With the consent id the run goes through; the credit check asks for approval when the
    // contract is larger than the account's limit.
    await studio.open(wf.id, name);
    const consentId = `CNS-${Date.now()}`;
    const run = await startFromStudio(page, { contractId: contract.id, consentId });
    await expect(run.node("credit_check")).toHaveAttribute("data-status", /^(waiting|succeeded)$/, {
      timeout: 30_000,
    });
    const account = await stepOutput<{ accountId: string; creditLimit: number }>(
      page.request,
      run.id,
      "account",
    );
    if (contract.amount > account.creditLimit) {
      await run.expectStep("credit_check", "waiting");
      await run.expectStatus("waiting");
      await shot(page, testInfo, "credit check waits");
      // Four eyes: the admin started the run, a second person approves it.
      const approver = await invitedApprover(
        page.request,
        playwright,
        testInfo.project.use.baseURL,
      );
      await approver.approve(run.id, "credit_check");
    }
    await run.expectStatus("succeeded");
    for (const id of STEPS) await run.expectStep(id, "succeeded");
    await run.expectTimeline(STEPS);

    // The demo model (the workspace's model out of the box) drafted the note for this customer;
    // its tokens are on the run, at no cost.
    const welcome = await stepOutput<{ subject: string; body: string }>(
      page.request,
      run.id,
      "welcome",
    );
    expect(welcome.body).toContain(contract.customer.name);
    const cost = page.getByTestId("run-cost");
    await expect(cost).toHaveText(/^\$\d+\.\d{4} · \d+ tokens$/);
    const drawer = await run.openStep("welcome");
    const usage = drawer.getByRole("table", { name: "Agent cost of welcome" });
    await expect(usage).toContainText("demo model (no AI)");
    await expect(usage).toContainText(/\d+ \/ \d+/);
    await expect(drawer).toContainText(consentId);
    const runData = await query<{
      agentUsage: { tokensIn: number; tokensOut: number; costUsd: number }[];
    }>(page.request, "run.get", { id: run.id });
    expect(runData.agentUsage).toHaveLength(1);
    expect(runData.agentUsage[0]!.tokensIn).toBeGreaterThan(0);
    expect(runData.agentUsage[0]!.tokensOut).toBeGreaterThan(0);
    expect(runData.agentUsage[0]!.costUsd).toBe(0);
    await shot(page, testInfo, "succeeded");

    // The systems changed: the invoice is in billing, the deal is won in the CRM.
    const invoice = await stepOutput<{ invoiceId: string; currency: string }>(
      page.request,
      run.id,
      "invoice",
    );
    expect(invoice.currency).toBe(contract.currency);

    const billed = await mockGet<{
      accountId: string;
      currency: string;
      lines: { unitPrice: number }[];
    }>(page.request, "billing", ws.id, `/invoices/${invoice.invoiceId}`);
    expect(billed.accountId).toBe(account.accountId);
    expect(billed.currency).toBe(contract.currency);
    expect(billed.lines[0]!.unitPrice).toBe(contract.amount);
    const deal = await mockGet<{ stage: string }>(
      page.request,
      "crm",
      ws.id,
      `/deals/${contract.dealId}`,
    );
    expect(deal.stage).toBe("closed_won");

    // The Connectors page shows what the run asked each mock.
    await connectors.open();
    const billing = await connectors.openFaults("billing");
    await expect(billing.requests()).toContainText("account.upsert: 1");
    await expect(billing.requests()).toContainText("invoice.create: 1");
  });
});

/** "Run" in the studio toolbar: the "Run a flow" dialog opens with this workflow chosen. */
async function startFromStudio(page: Page, inputs: Record<string, unknown>): Promise<RunPage> {
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

/** The output of a step's last attempt, from `run.get`. */
async function stepOutput<T>(
  request: APIRequestContext,
  runId: string,
  stepId: string,
): Promise<T> {
  const run = await query<{ attempts: { stepId: string; attempt: number; output: unknown }[] }>(
    request,
    "run.get",
    { id: runId },
  );
  const attempts = run.attempts.filter((a) => a.stepId === stepId && a.output !== null);
  expect(attempts.length, `step ${stepId} has an output`).toBeGreaterThan(0);
  return attempts.at(-1)!.output as T;
}
