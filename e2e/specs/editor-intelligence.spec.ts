import type { Locator, Page } from "@playwright/test";
import { expect, test } from "../fixtures";
import { StudioPage } from "../pages/studio.page";

/** tRPC over HTTP: a mutation is a POST of `{ json: input }`. */
async function mutate<T>(page: Page, path: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/api/trpc/${path}`, { data: { json: input } });
  expect(res.ok(), `${path}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** The YAML editor, spoken in intent: type, open the suggestions, accept one, run a quick fix. */
class Editor {
  constructor(
    private readonly page: Page,
    private readonly studio: StudioPage,
  ) {}

  private get root(): Locator {
    return this.studio.editor.root;
  }

  /** Puts the cursor at the end of line `line` (1-based), through "Go to line" (Ctrl+G). */
  async endOfLine(line: number) {
    await this.root
      .locator(".monaco-editor")
      .first()
      .click({ position: { x: 90, y: 12 } });
    await this.page.keyboard.press("Control+g");
    const input = this.root.locator(".quick-input-widget input");
    await expect(input).toBeVisible();
    // "Go to line" is quick access with a `:` prefix.
    await input.fill(`:${line}`);
    await this.page.keyboard.press("Enter");
    await expect(input).toBeHidden();
    await this.page.keyboard.press("End");
  }

  /** Inserts text on the current line as it is (no auto-closed brackets). */
  async insert(text: string) {
    await this.page.keyboard.insertText(text);
  }

  /** Starts a new line holding exactly `text` (whatever indentation Enter proposed). */
  async newLine(text: string) {
    await this.page.keyboard.press("Enter");
    await this.page.keyboard.press("Shift+Home");
    await this.page.keyboard.insertText(text);
  }

  /** A row of the open suggestion list whose label is `label`. */
  suggestion(label: string): Locator {
    return this.root
      .locator(".suggest-widget .monaco-list-row")
      .filter({ has: this.page.locator(".label-name", { hasText: label }) })
      .filter({ hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`) });
  }

  /** Opens the suggestions (Ctrl+Space), expects `label` among them and accepts it. */
  async accept(label: string, opts: { open?: boolean } = {}) {
    const row = this.suggestion(label).first();
    if (opts.open !== false) {
      await expect(async () => {
        await this.page.keyboard.press("Control+Space");
        await expect(row).toBeVisible({ timeout: 3000 });
      }).toPass({ timeout: 20_000 });
    } else {
      await expect(row).toBeVisible();
    }
    await row.click();
    await expect(
      this.root.locator(".suggest-widget.visible .monaco-list-row", { hasText: label }),
    ).toHaveCount(0);
  }

  /** The suggestion labels on screen (the list shows the first dozen or so). */
  async labels(): Promise<string[]> {
    return this.root
      .locator(".suggest-widget.visible .monaco-list-row .label-name")
      .allTextContents();
  }
}

test.describe("editor intelligence", () => {
  test("completes a block id, an input and a step output, fixes a diagnostic, saves with Ctrl+S", async ({
    page,
    signedInUser: _user,
  }, testInfo) => {
    // A long journey typed key by key on a shared, loaded machine.
    test.setTimeout(240_000);
    const wf = await mutate<{ id: string }>(page, "workflow.createFromTemplate", {
      name: "Editor intelligence",
      template: "quote-to-cash",
    });
    const studio = new StudioPage(page);
    await studio.open(wf.id, "Editor intelligence");
    await studio.canvas.expectNode("deal");
    const editor = new Editor(page, studio);
    const text = () => studio.editor.text();

    // A new step after the last one (before `policies:`).
    const lines = (await text()).split("\n");
    let last = lines.findIndex((l) => l.startsWith("policies:")) - 1;
    while (last > 0 && lines[last]!.trim() === "") last--;
    await editor.endOfLine(last + 1);

    // 1. A block id after `uses:`, from the registry (not words of the document).
    await editor.newLine("");
    await editor.newLine("  - id: followup");
    await editor.newLine("    uses: crm.deal.up");
    await editor.accept("crm.deal.update@1");
    await studio.editor.expectText(/- id: followup\n {4}uses: crm\.deal\.update@1\n/);
    await testInfo.attach("block id", { body: await page.screenshot(), contentType: "image/png" });

    // 2. An input of that block inside `with:`; its documentation names its type.
    await editor.newLine("    with:");
    await editor.newLine("      ");
    await expect(async () => {
      await page.keyboard.press("Control+Space");
      await expect(editor.suggestion("note").first()).toBeVisible({ timeout: 3000 });
    }).toPass({ timeout: 20_000 });
    // Only the block's inputs (and no words such as `invoice` from the text).
    const offered = await editor.labels();
    expect(offered).toEqual(expect.arrayContaining(["id", "stage", "note"]));
    expect(offered).not.toContain("invoice");
    await testInfo.attach("inputs", { body: await page.screenshot(), contentType: "image/png" });
    await editor.accept("note", { open: false });
    await studio.editor.expectText(/uses: crm\.deal\.update@1\n {4}with:\n {6}note: \n/);

    // 3. A step output inside `${{ }}`: the step, then its output field.
    await editor.insert("${{ steps.");
    await editor.accept("contract");
    // Accepting a step inserts `contract.output.` and lists its output fields at once.
    await editor.accept("dealId", { open: false });
    await editor.insert(" }}");
    await studio.editor.expectText(/ {6}note: \$\{\{ steps\.contract\.output\.dealId \}\}\n/);
    await studio.canvas.expectNode("followup");

    // 4. The step lacks its required `id`: a diagnostic whose quick fix adds it.
    await studio.editor.expectDiagnostic("TF3011");
    const withLine = (await text()).split("\n").findLastIndex((l) => l === "    with:") + 1;
    await editor.endOfLine(withLine);
    await page.keyboard.press("Home");
    await page.keyboard.press("Control+.");
    const fix = page.locator(".action-widget").getByText("Add the required input `id`");
    await expect(fix).toBeVisible();
    await testInfo.attach("quick fix", { body: await page.screenshot(), contentType: "image/png" });
    await fix.click();
    await studio.editor.expectText(
      / {6}note: \$\{\{ steps\.contract\.output\.dealId \}\}\n {6}id: DEAL-/,
    );
    await studio.editor.expectNoErrors();

    // 5. Hover on a block reference shows the registry's docs.
    await studio.editor.expectHover("crm.deal.update@1", /Update CRM deal/);

    // 6. Ctrl+S saves the draft at once (the autosave would wait 1.5 s after the last change).
    await editor.endOfLine(2);
    const typedAt = await page.evaluate(() => Date.now());
    await editor.insert(" ");
    const saved = page.waitForRequest((r) => r.url().includes("workflow.saveDraft"));
    await page.keyboard.press("Control+s");
    const request = await saved;
    expect(request.timing().startTime - typedAt).toBeLessThan(1500);
    await expect(page.getByTestId("save-status")).toContainText("Draft saved");
    const stored = await page.request.get(
      `/api/trpc/workflow.get?input=${encodeURIComponent(JSON.stringify({ json: { id: wf.id } }))}`,
    );
    const body = (await stored.json()) as { result: { data: { json: { draft: string } } } };
    expect(body.result.data.json.draft).toBe(await text());
    expect(body.result.data.json.draft).toContain("note: ${{ steps.contract.output.dealId }}");
  });
});
