import { expect, type Locator, type Page } from "@playwright/test";
import type { StudioPage } from "./studio.page";

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The studio's YAML editor (Monaco) spoken in intent: put the cursor somewhere, type, open the
 * suggestions, accept one, apply a quick fix. For the flow language's completion (block ids after
 * `uses:`, a block's inputs in `with:`, step outputs in `${{ }}`), not the studio's other parts
 * (those are in `StudioPage`).
 */
export class MonacoEditorPart {
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

  /** Inserts text at the cursor as it is (no auto-closed brackets, no suggestions typed into). */
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
      .filter({ hasText: new RegExp(`^${escapeRegExp(label)}`) });
  }

  /** Opens the suggestions (Ctrl+Space, again until it shows) and waits for `label` in them. */
  async openSuggestions(label: string) {
    const row = this.suggestion(label).first();
    await expect(async () => {
      await this.page.keyboard.press("Control+Space");
      await expect(row).toBeVisible({ timeout: 3000 });
    }).toPass({ timeout: 20_000 });
  }

  /**
   * Accepts the suggestion `label`: opens the list first (Ctrl+Space), or with `open: false`
   * takes it from the list already open (one that reopened itself after an accepted item).
   */
  async accept(label: string, opts: { open?: boolean } = {}) {
    const row = this.suggestion(label).first();
    if (opts.open !== false) await this.openSuggestions(label);
    else await expect(row).toBeVisible();
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

  /** On the current line, opens the quick fixes (Ctrl+.) and applies the one titled `title`. */
  async quickFix(title: string) {
    await this.page.keyboard.press("Home");
    const fix = this.page.locator(".action-widget").getByText(title);
    await expect(async () => {
      await this.page.keyboard.press("Control+.");
      await expect(fix).toBeVisible({ timeout: 3000 });
      // The widget can close between being seen and clicked (the editor re-validates): then
      // open it again rather than wait for a click that cannot land.
      await fix.click({ timeout: 3000 });
    }).toPass({ timeout: 20_000 });
    await expect(fix).toBeHidden();
  }
}
