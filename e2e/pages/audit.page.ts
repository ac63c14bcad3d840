import { expect, type Page } from "@playwright/test";

export class AuditPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/audit");
    await expect(this.page.getByRole("heading", { name: "Audit", level: 1 })).toBeVisible();
  }

  async filterByAction(prefix: string) {
    await this.page.getByLabel("Action starts with").fill(prefix);
    await this.page.getByRole("button", { name: "Apply" }).click();
  }

  async expectEntry(action: string, text?: string) {
    const row = this.page
      .getByRole("table", { name: "Audit entries" })
      .getByRole("row")
      .filter({ hasText: action });
    await expect(text ? row.filter({ hasText: text }).first() : row.first()).toBeVisible();
  }

  async expectChainVerified() {
    await expect(this.page.getByTestId("audit-chain-status")).toContainText(
      /Chain verified: \d+ entr/,
    );
  }
}
