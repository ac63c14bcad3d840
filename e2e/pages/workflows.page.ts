import { expect, type Locator, type Page } from "@playwright/test";

export class WorkflowsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/workflows");
    await this.expectShown();
  }

  async expectShown() {
    await expect(this.page).toHaveURL(/\/workflows$/);
    await expect(this.page.getByRole("heading", { name: "Workflows", level: 1 })).toBeVisible();
  }

  private get table(): Locator {
    return this.page.getByRole("table", { name: "Workflows" });
  }

  private row(name: string): Locator {
    return this.table
      .getByRole("row")
      .filter({ has: this.page.getByRole("link", { name, exact: true }) });
  }

  createButton(): Locator {
    return this.page.getByRole("button", { name: "New workflow" });
  }

  async create(name: string, description = "") {
    await this.createButton().first().click();
    const dialog = this.page.getByRole("dialog", { name: "New workflow" });
    await dialog.getByLabel("Name").fill(name);
    if (description) await dialog.getByLabel("Description (optional)").fill(description);
    await dialog.getByRole("button", { name: "Create workflow" }).click();
    await expect(dialog).toBeHidden();
  }

  async rename(from: string, to: string) {
    await this.page.getByRole("button", { name: `Rename ${from}` }).click();
    const dialog = this.page.getByRole("dialog", { name: "Rename workflow" });
    await dialog.getByLabel("Name").fill(to);
    await dialog.getByRole("button", { name: "Save name" }).click();
    await expect(dialog).toBeHidden();
  }

  async delete(name: string) {
    await this.page.getByRole("button", { name: `Delete ${name}` }).click();
    await expect(
      this.page.getByRole("status").filter({ hasText: `Deleted “${name}”` }),
    ).toBeVisible();
  }

  async undo() {
    await this.page.getByRole("button", { name: "Undo" }).click();
    await expect(
      this.page.getByRole("status").filter({ hasText: "Workflow restored." }),
    ).toBeVisible();
  }

  async showDeleted() {
    await this.page.getByRole("tab", { name: "Deleted" }).click();
  }

  async showActive() {
    await this.page.getByRole("tab", { name: "Active" }).click();
  }

  async restoreFromDeleted(name: string) {
    await this.showDeleted();
    await this.page.getByRole("button", { name: `Restore ${name}` }).click();
    await expect(this.page.getByRole("button", { name: `Restore ${name}` })).toBeHidden();
  }

  async expectListed(name: string) {
    await expect(this.row(name)).toBeVisible();
  }

  async expectNotListed(name: string) {
    await expect(this.table.getByRole("link", { name, exact: true })).toHaveCount(0);
  }

  async expectDeletedListed(name: string) {
    await expect(this.page.getByRole("table", { name: "Deleted workflows" })).toContainText(name);
  }

  async openWorkflow(name: string) {
    await this.table.getByRole("link", { name, exact: true }).click();
    await expect(this.page).toHaveURL(/\/studio\/[0-9a-f-]+$/);
    await expect(this.page.getByRole("heading", { name, level: 1 })).toBeVisible();
  }
}
