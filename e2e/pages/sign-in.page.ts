import { expect, type Page } from "@playwright/test";

export class SignInPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/sign-in");
    await expect(this.page.getByRole("heading", { name: "Sign in to Trustflow" })).toBeVisible();
  }

  async signIn(email: string, password: string) {
    await this.page.getByLabel("Email").fill(email);
    await this.page.getByLabel("Password").fill(password);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }

  async expectError(message: string | RegExp) {
    await expect(this.page.getByRole("alert").filter({ hasText: message })).toBeVisible();
  }

  async expectShown() {
    await expect(this.page).toHaveURL(/\/sign-in/);
    await expect(this.page.getByRole("heading", { name: "Sign in to Trustflow" })).toBeVisible();
  }
}
