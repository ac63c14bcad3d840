import { expect, type Locator, type Page } from "@playwright/test";

/** The approvals inbox, spoken in intent: find a request, approve, reject, fill in a form. */
export class ApprovalsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/approvals");
    await expect(this.page.getByRole("heading", { name: "Approvals", level: 1 })).toBeVisible();
    await expect(this.page.getByText("Loading approvals…")).toHaveCount(0);
  }

  /** The count next to "Approvals" in the navigation. */
  get navCount(): Locator {
    return this.page.getByRole("navigation", { name: "Main" }).getByTestId("approvals-nav-count");
  }

  async expectNavCount(n: number) {
    if (n === 0) await expect(this.navCount).toHaveCount(0);
    else await expect(this.navCount).toHaveText(String(n));
  }

  /** The request titled `title` ("Approve step approve", "Fill in: Seats"). */
  card(title: string): Locator {
    return this.page.getByRole("list", { name: "Approvals" }).getByRole("article", { name: title });
  }

  /** The inbox's announcement of what the last decision changed. */
  get announcement(): Locator {
    return this.page.getByTestId("approvals-announcement");
  }

  async filter(label: "Status" | "Kind" | "Flow", option: string) {
    await this.page
      .getByRole("form", { name: "Filter approvals" })
      .getByLabel(label)
      .selectOption({ label: option });
  }

  /** The card says why this person cannot decide, and offers no approve or reject button. */
  async expectCannotDecide(card: Locator, why: RegExp) {
    await expect(card.getByTestId("approval-why-not")).toContainText(why);
    await expect(card.getByRole("button", { name: /^(Approve|Reject|Submit):/ })).toHaveCount(0);
  }

  async approve(card: Locator, comment = "") {
    if (comment) await card.getByLabel("Comment", { exact: true }).fill(comment);
    await card.getByRole("button", { name: /^Approve:/ }).click();
  }

  async reject(card: Locator, comment: string) {
    await card.getByLabel("Comment", { exact: true }).fill(comment);
    await card.getByRole("button", { name: /^Reject:/ }).click();
  }
}
