import { expect, type Locator, type Page } from "@playwright/test";

/** The Guardian page, spoken in intent: find a flow's group, open it, read its fixes. */
export class GuardianPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/guardian");
    await expect(this.page.getByRole("heading", { name: "Guardian", level: 1 })).toBeVisible();
  }

  /**
   * The row of a flow's group, once the guardian has grouped its failures (reloads until then):
   * a fresh server first reads the demo history's 20,000 runs, on a loaded machine for minutes.
   */
  async groupOf(flowName: string): Promise<Locator> {
    const row = this.page
      .getByRole("table", { name: "Failure groups" })
      .locator("tbody tr", { hasText: flowName });
    await expect(async () => {
      await this.page.reload();
      await expect(row).toHaveCount(1, { timeout: 2_000 });
    }).toPass({ timeout: 150_000, intervals: [2_000, 3_000, 5_000] });
    return row;
  }

  async openGroup(row: Locator, stepId: string, flowName: string): Promise<Locator> {
    await row.getByRole("button", { name: `Open group ${stepId} of ${flowName}` }).click();
    return this.page.getByRole("region", { name: new RegExp(`^${flowName}: ${stepId}`) });
  }
}
