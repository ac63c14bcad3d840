import { expect, type Locator, type Page } from "@playwright/test";

/** The dead-letters page, spoken in intent: filter, select, reprocess, discard, follow a job. */
export class DeadLettersPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/dead-letters");
    await expect(this.page.getByRole("heading", { name: "Dead letters", level: 1 })).toBeVisible();
    await expect(this.page.getByText("Loading dead letters…")).toHaveCount(0);
  }

  async filterByFlow(name: string) {
    await this.page
      .getByRole("form", { name: "Filter dead letters" })
      .getByLabel("Flow")
      .selectOption({ label: name });
  }

  get rows(): Locator {
    return this.page.getByRole("table", { name: "Dead letters" }).locator("tbody tr[data-testid]");
  }

  row(id: string): Locator {
    return this.page.getByTestId(`dead-letter-${id}`);
  }

  async openDetail(step: string, runId: string): Promise<Locator> {
    await this.page
      .getByRole("button", { name: `Detail of ${step} of run ${runId.slice(0, 8)}` })
      .click();
    return this.page.getByRole("region", {
      name: `Dead letter ${step} of run ${runId.slice(0, 8)}`,
    });
  }

  async select(step: string, runId: string) {
    await this.page
      .getByRole("checkbox", { name: `Select ${step} of run ${runId.slice(0, 8)}` })
      .check();
  }

  async selectAllMatching() {
    await this.page.getByRole("button", { name: "Select all matching the filter" }).click();
  }

  /** Opens "Reprocess…", sets the pace, and returns the dialog (not yet sent). */
  async reprocess(pace: { canary: string; rate: string }): Promise<Locator> {
    await this.page.getByRole("button", { name: "Reprocess…" }).click();
    const dialog = this.page.getByRole("dialog", { name: "Reprocess dead letters" });
    await dialog.getByLabel("Canary").fill(pace.canary);
    await dialog.getByLabel("Rate (per minute)").fill(pace.rate);
    return dialog;
  }

  async discard(reason: string): Promise<Locator> {
    await this.page.getByRole("button", { name: "Discard…" }).click();
    const dialog = this.page.getByRole("dialog", { name: /^Discard \d+ dead letters?\?$/ });
    await dialog.getByLabel("Reason").fill(reason);
    await dialog.getByRole("button", { name: "Discard" }).click();
    return dialog;
  }

  job(id: string): Locator {
    return this.page.getByTestId(`reprocess-job-${id}`);
  }
}
