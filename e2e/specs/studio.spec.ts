import type { APIRequestContext, Page, TestInfo } from "@playwright/test";
import { DEMO_VIEWER, DEMO_WORKSPACE, expect, signInViaApi, test } from "../fixtures";
import { StudioPage } from "../pages/studio.page";

/** tRPC over HTTP: a mutation is a POST of `{ json: input }`, a query a GET with `?input=`. */
async function mutate<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${path}`, { data: { json: input } });
  expect(res.ok(), `${path}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function query<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.get(
    `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
  );
  expect(res.ok(), `${path}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await testInfo.attach(name, { body: await page.screenshot(), contentType: "image/png" });
}

test.describe("studio", () => {
  test("canvas and YAML edit the same flow, with diagnostics, undo and versions", async ({
    page,
    signedInUser: _user,
  }, testInfo) => {
    // A long journey (language service, canvas, history, versions) on a shared, loaded machine.
    test.setTimeout(120_000);
    const wf = await mutate<{ id: string }>(page.request, "workflow.createFromTemplate", {
      name: "Studio journey",
      template: "quote-to-cash",
    });
    const studio = new StudioPage(page);
    await studio.open(wf.id, "Studio journey");
    await studio.canvas.expectNode("contract");
    await studio.canvas.expectNode("deal");
    await shot(page, testInfo, "opened");

    // monaco-yaml's language service (in its own worker): schema docs on hover, schema keys on
    // completion.
    await studio.editor.expectHover("sla", /Resilience tier/);
    await studio.editor.expectCompletion("description:", "sandbox");
    await shot(page, testInfo, "schema completion");

    // Drag a block from the palette: the YAML gains the step, the comments survive.
    await studio.canvas.addBlock("crm.deal.update");
    await studio.canvas.expectNode("deal_update");
    await studio.editor.expectText(/- id: deal_update\n\s+uses: crm\.deal\.update@1/);
    await studio.editor.expectText("# saga rollback when a later step fails");
    await shot(page, testInfo, "block added");

    // Type in Monaco: the canvas follows.
    await studio.editor.typeAfter("- id: deal", "_closed");
    await studio.canvas.expectNode("deal_closed");
    await studio.canvas.expectNoNode("deal");

    // An error: a marker in the editor and a badge on the node; then fixed.
    await studio.editor.replaceAtLineEnd("uses: crm.deal.update@1", "uses: crm.deal.update@9");
    await studio.editor.expectDiagnostic("TF3002");
    await studio.canvas.expectBadge("deal_closed", /1 error/);
    await shot(page, testInfo, "diagnostic");
    await studio.editor.replaceAtLineEnd("uses: crm.deal.update@9", "uses: crm.deal.update@1");
    await studio.editor.expectNoErrors();
    await studio.canvas.expectNoBadges("deal_closed");

    // Connect two nodes: `needs` appears; undo and redo from the canvas.
    await studio.canvas.connect("contract", "deal_update");
    await studio.editor.expectText(/- id: deal_update\n(\s{4}.*\n)*?\s{4}needs: \[contract\]/);
    await studio.canvas.undo();
    await studio.editor.expectNoText(/needs: \[contract\]/);
    await studio.canvas.redo();
    await studio.editor.expectText(/needs: \[contract\]/);
    await shot(page, testInfo, "connected");

    // The first version is the flow's declared one; the next is suggested from the diff.
    await studio.saveVersion({ expectSuggested: "0.1.0", message: "first" });
    await studio.canvas.addBlock("agent.summarize");
    const dialog = await studio.openSaveVersion();
    await expect(dialog.getByLabel("Version")).toHaveValue("0.2.0");
    await expect(dialog.getByTestId("version-suggestion")).toContainText("minor");
    await expect(dialog.getByTestId("version-suggestion")).toContainText("summarize");
    await shot(page, testInfo, "version suggestion");
    await dialog.getByRole("button", { name: "Show diff" }).click();
    const compare = page.getByRole("dialog", { name: /Compare Version 0\.1\.0/ });
    await expect(compare.getByTestId("diff-summary")).toContainText("1 added");
    await expect(compare.getByTestId("text-diff").locator(".monaco-diff-editor")).toBeVisible();
    await shot(page, testInfo, "text diff");
    await compare.getByRole("tab", { name: "Graph diff" }).click();
    await expect(compare.locator('.react-flow__node [data-change="added"]')).toHaveCount(1);
    await shot(page, testInfo, "graph diff");
    await compare.getByRole("button", { name: "Close" }).click();
    await studio.saveVersion({ expectSuggested: "0.2.0" });
    await studio.showVersions();
    await expect(page.getByRole("list", { name: "Version history" })).toContainText("0.2.0");
    await expect(page.getByRole("list", { name: "Version history" })).toContainText("0.1.0");
    await studio.editor.expectText(/^version: 0\.2\.0$/m);
  });

  test("a viewer sees a read-only studio", DEMO_WORKSPACE, async ({ page }, testInfo) => {
    await signInViaApi(page.request, DEMO_VIEWER);
    const list = await query<{ id: string; name: string }[]>(page.request, "workflow.list", {
      deleted: false,
    });
    const wf = list.find((w) => w.name === "Quote to cash")!;
    const studio = new StudioPage(page);
    await studio.open(wf.id, "Quote to cash");
    await studio.expectReadOnly();
    await studio.editor.expectReadOnly();
    await expect(page.locator('[data-block="crm.deal.update"]')).toHaveAttribute(
      "draggable",
      "false",
    );
    await expect(page.getByRole("button", { name: "Add crm.deal.update" })).toHaveCount(0);
    await shot(page, testInfo, "read-only");
  });
});
