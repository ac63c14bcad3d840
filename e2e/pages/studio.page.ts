import { expect, type Locator, type Page } from "@playwright/test";

/** The flow text the studio holds (the single source of truth behind canvas and editor). */
async function studioText(page: Page): Promise<string> {
  return page.evaluate(() => window.__tfStudio?.text() ?? "");
}

declare global {
  interface Window {
    __tfStudio?: { text: () => string; revision: () => number };
  }
}

/** The canvas, spoken in intent: add, connect, select steps. */
export class CanvasPart {
  constructor(private readonly page: Page) {}

  get root(): Locator {
    return this.page.getByTestId("flow-canvas");
  }

  node(stepId: string): Locator {
    return this.root.locator(`.react-flow__node[data-id="${stepId}"]`);
  }

  /** Drags a block from the palette onto an empty part of the canvas. */
  async addBlock(blockId: string) {
    const steps = async () => ((await studioText(this.page)).match(/^\s*- id: /gm) ?? []).length;
    const before = await steps();
    await this.page.getByRole("searchbox", { name: "Search blocks" }).fill(blockId);
    const item = this.page.locator(`[data-block="${blockId}"]`);
    const pane = this.root.locator(".react-flow__pane");
    const box = (await pane.boundingBox())!;
    // HTML5 drag and drop, as the browser fires it: dragstart on the block, dragover and drop
    // on an empty corner of the canvas, sharing one DataTransfer.
    const dataTransfer = await this.page.evaluateHandle(() => new DataTransfer());
    const at = { clientX: box.x + box.width - 120, clientY: box.y + box.height - 60 };
    await item.dispatchEvent("dragstart", { dataTransfer });
    await pane.dispatchEvent("dragover", { dataTransfer, ...at });
    await pane.dispatchEvent("drop", { dataTransfer, ...at });
    await expect.poll(steps).toBe(before + 1);
    await this.page.getByRole("searchbox", { name: "Search blocks" }).fill("");
  }

  /** Fits the view: the canvas renders only the nodes inside the viewport. */
  async fit() {
    await this.root.getByRole("button", { name: "Fit View" }).click();
  }

  async expectNode(stepId: string) {
    await expect(async () => {
      await this.fit();
      await expect(this.node(stepId)).toBeVisible({ timeout: 1000 });
    }).toPass();
  }

  async expectNoNode(stepId: string) {
    await this.fit();
    await expect(this.node(stepId)).toHaveCount(0);
  }

  /** Drags from `from`'s output handle to `to`'s input handle. */
  async connect(from: string, to: string) {
    await this.fit();
    await this.node(from)
      .locator(".react-flow__handle.source")
      .dragTo(this.node(to).locator(".react-flow__handle.target"));
  }

  async select(stepId: string) {
    await this.node(stepId).click();
  }

  async expectBadge(stepId: string, label: RegExp) {
    await this.fit();
    await expect(this.node(stepId).getByLabel(label)).toBeVisible();
  }

  async expectNoBadges(stepId: string) {
    await expect(this.node(stepId).getByTestId("node-badges")).toHaveCount(0);
  }

  async undo() {
    await this.root.locator(".react-flow__pane").click({ position: { x: 5, y: 5 } });
    await this.page.keyboard.press("Control+z");
  }

  async redo() {
    await this.root.locator(".react-flow__pane").click({ position: { x: 5, y: 5 } });
    await this.page.keyboard.press("Control+Shift+z");
  }
}

/** The YAML editor (Monaco). */
export class EditorPart {
  constructor(private readonly page: Page) {}

  get root(): Locator {
    return this.page.getByTestId("dsl-editor");
  }

  async waitReady() {
    await expect(this.root.locator(".monaco-editor .view-lines")).toBeVisible();
  }

  async text(): Promise<string> {
    return studioText(this.page);
  }

  async expectText(re: RegExp | string) {
    await expect.poll(() => this.text()).toMatch(re);
  }

  async expectNoText(re: RegExp | string) {
    await expect.poll(() => this.text()).not.toMatch(re);
  }

  /** Puts the cursor at the end of the first line containing `needle` and types `text`. */
  async typeAfter(needle: string, text: string) {
    const line = (await this.text()).split("\n").findIndex((l) => l.includes(needle)) + 1;
    expect(line, `no line contains ${needle}`).toBeGreaterThan(0);
    await this.goToLine(line);
    await this.page.keyboard.press("End");
    await this.page.keyboard.type(text);
  }

  /** On the first line ending with `from`, deletes it and types `to` instead. */
  async replaceAtLineEnd(from: string, to: string) {
    const line = (await this.text()).split("\n").findIndex((l) => l.trimEnd().endsWith(from)) + 1;
    expect(line, `no line ends with ${from}`).toBeGreaterThan(0);
    await this.goToLine(line);
    await this.page.keyboard.press("End");
    for (let i = 0; i < from.length; i++) await this.page.keyboard.press("Backspace");
    await this.page.keyboard.type(to);
  }

  private async goToLine(line: number) {
    // Near the top left of the text area (the wide `.view-lines` box may reach under the canvas
    // when the editor is scrolled sideways).
    await this.root
      .locator(".monaco-editor")
      .first()
      .click({ position: { x: 90, y: 12 } });
    await this.page.keyboard.press("Control+Home");
    for (let i = 1; i < line; i++) await this.page.keyboard.press("ArrowDown");
  }

  /** The token `word` as Monaco renders it (the first visible occurrence). */
  private token(word: string): Locator {
    return this.root
      .locator(".monaco-editor .view-line span span", { hasText: new RegExp(`^${word}$`) })
      .first();
  }

  /** Hovers the first visible `word` and expects the hover (schema docs from monaco-yaml). */
  async expectHover(word: string, content: RegExp | string) {
    const hover = this.root.locator(".monaco-editor .monaco-hover:not(.hidden)");
    await expect(async () => {
      // The mouse, not `locator.hover()`: that scrolls the span into view, which scrolls Monaco's
      // overflow-hidden layers behind its back.
      const box = (await this.token(word).boundingBox())!;
      await this.page.mouse.move(0, 0);
      await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 2 });
      await expect(hover).toContainText(content, { timeout: 3000 });
    }).toPass({ timeout: 20_000 });
  }

  /**
   * Opens a new line after the first line starting with `afterLine`, triggers completion
   * (Ctrl+Space) and expects a schema property `label` among the suggestions (a property item,
   * not a word from the text); then leaves the text as it was.
   */
  async expectCompletion(afterLine: string, label: string) {
    const line = (await this.text()).split("\n").findIndex((l) => l.startsWith(afterLine)) + 1;
    expect(line, `no line starts with ${afterLine}`).toBeGreaterThan(0);
    const before = await this.text();
    await this.goToLine(line);
    await this.page.keyboard.press("End");
    await this.page.keyboard.press("Enter");
    const item = this.root
      .locator(".suggest-widget .monaco-list-row")
      .filter({ has: this.page.locator(".codicon-symbol-property") })
      .filter({ hasText: new RegExp(`^${label}`) });
    await expect(async () => {
      await this.page.keyboard.press("Escape");
      await this.page.keyboard.press("Control+Space");
      await expect(item.first()).toBeVisible({ timeout: 3000 });
    }).toPass({ timeout: 20_000 });
    await this.page.keyboard.press("Escape");
    await this.page.keyboard.press("Backspace");
    await expect.poll(() => this.text()).toBe(before);
  }

  async expectDiagnostic(code: string) {
    await expect(this.root.locator(".monaco-editor .squiggly-error").first()).toBeVisible();
    await this.page.getByRole("tab", { name: /Problems/ }).click();
    await expect(this.page.getByRole("list", { name: "Problems" })).toContainText(code);
  }

  async expectNoErrors() {
    await expect(this.root.locator(".monaco-editor .squiggly-error")).toHaveCount(0);
    await expect(this.page.getByTestId("problem-counts")).toContainText("0 errors");
  }

  async expectReadOnly() {
    await this.root.locator(".monaco-editor .view-lines").click();
    const before = await this.text();
    await this.page.keyboard.type("xyz");
    expect(await this.text()).toBe(before);
  }
}

/** The studio page for one workflow. */
export class StudioPage {
  readonly canvas: CanvasPart;
  readonly editor: EditorPart;

  constructor(private readonly page: Page) {
    this.canvas = new CanvasPart(page);
    this.editor = new EditorPart(page);
  }

  async open(workflowId: string, name: string) {
    await this.page.goto(`/studio/${workflowId}`);
    await expect(this.page.getByRole("heading", { name, level: 1 })).toBeVisible();
    await expect(this.canvas.root).toBeVisible();
    await this.editor.waitReady();
  }

  async saveDraft() {
    await this.page.getByRole("button", { name: "Save draft" }).click();
    await expect(this.page.getByTestId("save-status")).toContainText("Draft saved");
  }

  /** Opens "Save version", checks the suggestion, saves; returns the suggested version. */
  async saveVersion(opts: { expectSuggested?: string; message?: string } = {}) {
    await this.page.getByRole("button", { name: "Save version", exact: true }).click();
    const dialog = this.page.getByRole("dialog", { name: "Save version" });
    const version = dialog.getByLabel("Version");
    if (opts.expectSuggested) await expect(version).toHaveValue(opts.expectSuggested);
    const suggested = await version.inputValue();
    if (opts.message) await dialog.getByLabel("Message").fill(opts.message);
    await dialog.getByRole("button", { name: /^Save version/ }).click();
    await expect(dialog).toBeHidden();
    return suggested;
  }

  /** Opens "Save version" and returns the dialog without saving. */
  async openSaveVersion() {
    await this.page.getByRole("button", { name: "Save version", exact: true }).click();
    return this.page.getByRole("dialog", { name: "Save version" });
  }

  async showVersions() {
    await this.page.getByRole("tab", { name: "Versions" }).click();
  }

  async expectReadOnly() {
    await expect(this.page.getByText("Read-only", { exact: true })).toBeVisible();
    await expect(this.page.getByRole("button", { name: "Save version", exact: true })).toHaveCount(
      0,
    );
    await expect(this.page.getByRole("button", { name: "Save draft" })).toHaveCount(0);
  }
}
