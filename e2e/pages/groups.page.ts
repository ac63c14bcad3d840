import { expect, type Locator, type Page } from "@playwright/test";

/** Settings → Groups, spoken in intent: create a group, add and remove members, delete it. */
export class GroupsPanel {
  constructor(private readonly page: Page) {}

  get root(): Locator {
    return this.page.getByRole("region", { name: "Groups" });
  }

  async open() {
    await this.page.goto("/settings");
    await expect(this.root).toBeVisible();
    await expect(this.root.getByText("Loading groups…")).toHaveCount(0);
  }

  /** The row of group `name` in the groups table. */
  row(name: string): Locator {
    return this.root
      .getByRole("table", { name: "Groups" })
      .getByRole("row")
      .filter({ has: this.page.getByText(name, { exact: true }) });
  }

  members(name: string): Locator {
    return this.root.getByRole("list", { name: `Members of ${name}` });
  }

  async create(name: string, description = "") {
    const form = this.root.getByRole("form", { name: "Create a group" });
    await form.getByLabel("Group name").fill(name);
    await form.getByLabel("Description (optional)").fill(description);
    await form.getByRole("button", { name: "Create group" }).click();
    await expect(form.getByRole("status")).toContainText(`Created group ${name}`);
    await expect(this.row(name)).toBeVisible();
  }

  /** Adds the workspace member whose option mentions `email`. */
  async addMember(group: string, email: string) {
    const form = this.root.getByRole("form", { name: `Add a member to ${group}` });
    const select = form.getByRole("combobox", { name: `Member to add to ${group}` });
    const value = await select.locator("option", { hasText: email }).getAttribute("value");
    await select.selectOption(value!);
    await form.getByRole("button", { name: "Add" }).click();
    await expect(this.members(group)).toContainText(email);
  }

  /** Deletes `name`, accepting the confirmation. */
  async delete(name: string) {
    this.page.once("dialog", (d) => void d.accept());
    await this.root.getByRole("button", { name: `Delete group ${name}` }).click();
    await expect(this.row(name)).toHaveCount(0);
  }

  /** No control that changes groups is offered. */
  async expectReadOnly() {
    await expect(
      this.root.getByText("Only admins of this workspace change its groups."),
    ).toBeVisible();
    await expect(this.root.getByRole("form")).toHaveCount(0);
    await expect(this.root.getByRole("button")).toHaveCount(0);
    await expect(this.root.getByRole("combobox")).toHaveCount(0);
  }
}
