import { randomUUID } from "node:crypto";
import type { APIRequestContext, Page } from "@playwright/test";
import { DEMO_WORKSPACE, expect, signInViaApi, test } from "../fixtures";
import { RunPage } from "../pages/runs.page";
import { StudioPage } from "../pages/studio.page";
import { WorkflowsPage } from "../pages/workflows.page";
import { mutate, query, shot } from "../support/api";

/** The demo workspace's admin (prisma/demo-users.json): its workspace has the mock connectors. */
const DEMO_ADMIN = { email: "admin@demo.trustflow.dev", password: "trustflow-admin" };

/** Puts a seeded workflow's draft back to its latest saved version (other journeys use it). */
async function resetSeededDraft(request: APIRequestContext, name: string) {
  const list = await query<Array<{ id: string; name: string }>>(request, "workflow.list", {});
  const wf = list.find((w) => w.name === name);
  expect(wf, `no seeded workflow "${name}"`).toBeTruthy();
  const detail = await query<{ versions: Array<{ id: string }> }>(request, "workflow.get", {
    id: wf!.id,
  });
  const latest = await query<{ dsl: string }>(request, "workflow.getVersion", {
    id: wf!.id,
    versionId: detail.versions[0]!.id,
  });
  await mutate(request, "workflow.saveDraft", { id: wf!.id, dsl: latest.dsl });
}

function runDialog(page: Page) {
  return page.getByRole("dialog", { name: "Run a flow" });
}

test.describe("run form", DEMO_WORKSPACE, () => {
  test("a seeded flow, edited in the studio, runs from its generated form as a draft run", async ({
    page,
  }, testInfo) => {
    test.setTimeout(180_000);
    await signInViaApi(page.request, DEMO_ADMIN);
    await resetSeededDraft(page.request, "Invoice dunning");
    const workflows = new WorkflowsPage(page);
    await workflows.open();
    await workflows.openWorkflow("Invoice dunning");
    const studio = new StudioPage(page);
    await expect(page.getByRole("heading", { name: "Invoice dunning", level: 1 })).toBeVisible();
    await studio.editor.waitReady();

    // Edit the draft on screen: the form must offer what the screen says, saved or not.
    await studio.editor.replaceAtLineEnd("default: 0", "default: 2");
    await studio.editor.expectText(/longOverdue:\n\s+type: integer\n\s+default: 2/);

    await page.getByRole("button", { name: "Run", exact: true }).click();
    const dialog = runDialog(page);
    await expect(dialog.getByLabel("What to run")).toHaveValue("__screen");
    await expect(dialog.getByTestId("runs-what")).toContainText(
      "Runs the draft on screen, unsaved changes included",
    );
    await expect(dialog.getByTestId("runs-what")).toContainText("out of trust scores and replays");

    // The generated form: the list of invoice ids (required), the integer with its new default.
    const overdue = dialog.getByLabel(/^longOverdue/);
    await expect(overdue).toHaveValue("2");
    await expect(dialog.getByText("Default: 2")).toBeVisible();
    await overdue.fill("1.5");
    await overdue.blur();
    await expect(overdue).toHaveAccessibleDescription(/Enter a whole number\./);
    await overdue.fill("0");

    // Add an invoice id to the list, picked from the mock billing service.
    await dialog.getByRole("button", { name: "Add invoiceIds" }).click();
    const first = dialog.getByLabel(/^invoiceIds 1/);
    // Typing searches ids and labels: only open invoices can be sent.
    await first.fill("open");
    const picker = dialog.getByRole("combobox", { name: "Pick an invoice for invoiceIds 1" });
    await expect(picker.locator("option").first()).toHaveText(/^Pick an invoice matching “open”/);
    const option = picker.locator("option").nth(1);
    await expect(option).toHaveText(/^INV-\d+ — .* · open$/);
    const invoiceId = (await option.getAttribute("value"))!;
    await shot(page, testInfo, "run form with an id picker");
    await page.setViewportSize({ width: 1440, height: 900 });
    await shot(page, testInfo, "run form at 1440x900");
    await page.setViewportSize({ width: 1280, height: 800 });
    await picker.selectOption(invoiceId);
    await expect(first).toHaveValue(invoiceId);

    // JSON mode is one click away, and the form comes back unchanged.
    await dialog.getByRole("radio", { name: "JSON" }).click();
    const json = dialog.getByLabel("Inputs (JSON)");
    expect(JSON.parse(await json.inputValue())).toEqual({
      invoiceIds: [invoiceId],
      longOverdue: 0,
    });
    await dialog.getByRole("radio", { name: "Form" }).click();
    await expect(dialog.getByLabel(/^invoiceIds 1/)).toHaveValue(invoiceId);
    await expect(overdue).toHaveValue("0");

    await dialog.getByRole("button", { name: "Start run" }).click();
    await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
    const run = new RunPage(page);
    await run.expectShown();
    await expect(page.getByTestId("run-title")).toHaveText("Invoice dunning (draft)");
    await expect(page.getByText("Draft run", { exact: true })).toBeVisible();
    await run.expectStatus("succeeded");
    await shot(page, testInfo, "draft run");

    // Back to the studio: the draft that ran is there (the Run saved it).
    await page.getByRole("link", { name: "Open in studio" }).click();
    await expect(page).toHaveURL(/\/studio\/[0-9a-f-]{36}$/);
    await studio.editor.waitReady();
    await studio.editor.expectText(/longOverdue:\n\s+type: integer\n\s+default: 2/);

    // Leave the seeded flow as it was for whoever comes next.
    await resetSeededDraft(page.request, "Invoice dunning");
  });

  test("the form checks patterns and ranges, and a draft that does not compile is not run", async ({
    page,
  }, testInfo) => {
    test.setTimeout(150_000);
    await signInViaApi(page.request, DEMO_ADMIN);
    const name = `Run form ${randomUUID().slice(0, 6)}`;
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name,
      dsl: `flow: run-form-check
version: 1.0.0
trigger:
  manual: {}
inputs:
  accountId:
    type: string
    title: Billing account
    description: The account to read
    pattern: "^ACC-[0-9]+$"
    examples: [ACC-5521]
  months:
    type: integer
    default: 3
    minimum: 1
    maximum: 12
  channel:
    type: string
    enum: [email, letter]
    default: email
steps:
  - id: account
    uses: billing.account.get@1
    with:
      accountId: \${{ inputs.accountId }}
`,
    });
    const studio = new StudioPage(page);
    await studio.open(wf.id, name);

    await page.getByRole("button", { name: "Run", exact: true }).click();
    const dialog = runDialog(page);
    const account = dialog.getByLabel(/^Billing account/);
    await expect(account).toHaveAttribute("placeholder", "e.g. ACC-5521");
    await expect(dialog.getByText(/The account to read · Example: ACC-5521/)).toBeVisible();
    await account.fill("5521");
    await account.blur();
    await expect(account).toHaveAccessibleDescription(
      /Does not match the pattern \^ACC-\[0-9\]\+\$ \(e\.g\. ACC-5521\)\./,
    );
    const months = dialog.getByLabel(/^months/);
    await months.fill("13");
    await months.blur();
    await expect(months).toHaveAccessibleDescription(/Must be at most 12\./);
    await expect(dialog.getByLabel(/^channel/)).toHaveValue("0");
    await shot(page, testInfo, "validation messages");

    // JSON typed by hand that the form cannot show unchanged stays in JSON mode, with reasons.
    await dialog.getByRole("radio", { name: "JSON" }).click();
    await dialog.getByLabel("Inputs (JSON)").fill('{ "accountId": 5521, "extra": true }');
    await dialog.getByRole("radio", { name: "Form" }).click();
    await expect(dialog.getByLabel("Inputs (JSON)")).toHaveAccessibleDescription(
      /extra: not an input of this flow.*accountId: expected text, got 5521/,
    );
    await dialog.getByRole("button", { name: "Close" }).click();

    // A draft with an error: the dialog lists it and does not start a run.
    await studio.editor.replaceAtLineEnd(
      "uses: billing.account.get@1",
      "uses: billing.account.get@9",
    );
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await expect(dialog.getByRole("alert")).toContainText("This flow does not compile");
    await expect(dialog.getByRole("alert")).toContainText(/TF\d+ at line \d+/);
    await expect(dialog.getByRole("button", { name: "Start run" })).toBeDisabled();
    await shot(page, testInfo, "draft with errors");
  });
});
