import { expect, type Download, type Locator, type Page } from "@playwright/test";

export class AuditPage {
  constructor(private readonly page: Page) {}

  async open(query = "") {
    await this.page.goto(`/audit${query ? `?${query}` : ""}`);
    await expect(this.page.getByRole("heading", { name: "Audit", level: 1 })).toBeVisible();
  }

  get table(): Locator {
    return this.page.getByRole("table", { name: "Audit entries" });
  }

  async filterByAction(prefix: string) {
    await this.page.getByLabel("Action starts with").fill(prefix);
    await this.page.getByRole("button", { name: "Apply" }).click();
  }

  async filterBySubjectType(label: string) {
    await this.page.getByLabel("Subject type").selectOption({ label });
    await this.page.getByRole("button", { name: "Apply" }).click();
  }

  /** The label of every option the subject type filter offers. */
  async subjectTypeOptions(): Promise<string[]> {
    return this.page.getByLabel("Subject type").locator("option").allTextContents();
  }

  row(action: string, text?: string): Locator {
    const rows = this.table.getByRole("row").filter({ hasText: action });
    return (text ? rows.filter({ hasText: text }) : rows).first();
  }

  async expectEntry(action: string, text?: string) {
    await expect(this.row(action, text)).toBeVisible();
  }

  /** Expands the first entry with `action` and returns its payload as parsed JSON. */
  async expand(action: string, text?: string): Promise<unknown> {
    const row = this.row(action, text);
    const toggle = row.getByRole("button", { name: /^Show entry #\d+$/ });
    await toggle.click();
    await expect(row.getByRole("button", { name: /^Hide entry #\d+$/ })).toHaveAttribute(
      "aria-expanded",
      "true",
    );
    const detailId = await row.getByRole("button").first().getAttribute("aria-controls");
    const payload = this.page.locator(`#${detailId} pre`);
    await expect(payload).toBeVisible();
    return JSON.parse((await payload.textContent()) ?? "null");
  }

  /** Follows the subject link of the first entry with `action`. */
  async openSubject(action: string, subjectName: string) {
    await this.row(action).getByRole("link", { name: subjectName }).first().click();
  }

  async expectChainVerified() {
    await expect(this.page.getByTestId("audit-chain-status")).toContainText(
      /Chain verified: \d+ entr/,
    );
  }

  async export(format: "CSV" | "JSON Lines"): Promise<Download> {
    const download = this.page.waitForEvent("download");
    await this.page.getByRole("link", { name: `Export ${format}` }).click();
    return download;
  }
}
