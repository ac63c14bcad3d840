import { expect, type Locator, type Page } from "@playwright/test";

/** The Sandbox page's Datasets tab, spoken in intent: create, upload, browse, compare. */
export class DatasetsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/sandbox?tab=datasets");
    await expect(this.page.getByRole("heading", { name: "Sandbox", level: 1 })).toBeVisible();
    await expect(this.page.getByText("Loading datasets…")).toHaveCount(0);
  }

  async create(name: string) {
    const form = this.page.getByRole("form", { name: "Create a dataset" });
    await form.getByLabel("Dataset name").fill(name);
    await form.getByRole("button", { name: "Create dataset" }).click();
    await expect(this.detail(name)).toBeVisible();
  }

  detail(name: string): Locator {
    return this.page.getByRole("region", { name: `Dataset ${name}` });
  }

  async uploadCsv(name: string, fileName: string, text: string) {
    const form = this.detail(name).getByRole("form", { name: "Upload a file" });
    await form
      .getByLabel(/CSV or JSON Lines file/)
      .setInputFiles({ name: fileName, mimeType: "text/csv", buffer: Buffer.from(text) });
    await form.getByRole("button", { name: "Upload CSV" }).click();
  }

  async expectNotice(name: string, text: RegExp) {
    await expect(this.detail(name).getByRole("status").filter({ hasText: text })).toBeVisible();
  }

  rows(name: string, version: number): Locator {
    return this.detail(name).getByRole("table", { name: `Rows of version ${version}` });
  }

  async compare(name: string, from: number, to: number, key?: string) {
    const form = this.detail(name).getByRole("form", { name: "Compare versions" });
    await form.getByLabel("From").selectOption({ label: `v${from}` });
    await form.getByLabel("To").selectOption({ label: `v${to}` });
    if (key) await form.getByLabel("Key column (optional)").fill(key);
    await form.getByRole("button", { name: "Compare" }).click();
  }

  diffSummary(name: string): Locator {
    return this.detail(name).getByTestId("diff-summary");
  }

  differences(name: string): Locator {
    return this.detail(name).getByRole("table", { name: "Row differences" });
  }
}
