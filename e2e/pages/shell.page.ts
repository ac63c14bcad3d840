import { expect, type Page } from "@playwright/test";

/** The frame around every signed-in page: navigation, workspace, user. */
export class ShellPage {
  constructor(private readonly page: Page) {}

  async goTo(
    area:
      | "Studio"
      | "Runs"
      | "Approvals"
      | "Trust"
      | "Guardian"
      | "Sandbox"
      | "Registry"
      | "Audit"
      | "Settings",
  ) {
    await this.page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: area })
      .click();
  }

  async expectSignedInAs(email: string, role?: string) {
    const user = this.page.getByTestId("current-user");
    await expect(user).toContainText(email);
    if (role) await expect(user).toContainText(role);
  }

  async expectWorkspace(name: string) {
    const switcher = this.page.getByLabel("Workspace");
    await expect(switcher.locator("option:checked")).toHaveText(name);
  }

  async createWorkspace(name: string) {
    await this.page.getByRole("button", { name: "New workspace" }).click();
    const dialog = this.page.getByRole("dialog", { name: "Create a workspace" });
    await dialog.getByLabel("Workspace name").fill(name);
    await dialog.getByRole("button", { name: "Create workspace" }).click();
    await expect(dialog).toBeHidden();
  }

  async switchWorkspace(name: string) {
    await this.page.getByLabel("Workspace").selectOption({ label: name });
  }

  async signOut() {
    await this.page.getByRole("link", { name: "Sign out" }).click();
    await expect(this.page.getByRole("heading", { name: "Sign out?" })).toBeVisible();
    await this.page.getByRole("button", { name: "Sign out" }).click();
    await expect(this.page).toHaveURL(/\/sign-in/);
  }
}
