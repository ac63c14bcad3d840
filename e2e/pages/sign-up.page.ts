import { expect, type Page } from "@playwright/test";
import type { TestUser } from "../fixtures";

export class SignUpPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/sign-up");
    await expect(this.page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  }

  async signUp(user: TestUser & { workspaceName?: string }) {
    await this.page.getByLabel("Name", { exact: true }).fill(user.name);
    await this.page.getByLabel("Email").fill(user.email);
    await this.page.getByLabel("Password").fill(user.password);
    if (user.workspaceName) {
      await this.page.getByLabel("Workspace name (optional)").fill(user.workspaceName);
    }
    await this.page.getByRole("button", { name: "Create account" }).click();
  }

  /** The message shown next to a field (wired to it with aria-describedby). */
  async expectFieldError(label: string, message: string) {
    await expect(this.page.getByLabel(label, { exact: true })).toHaveAccessibleDescription(
      new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
    );
  }
}
