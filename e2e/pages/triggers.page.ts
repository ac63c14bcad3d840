import { expect, type Locator, type Page } from "@playwright/test";

/** A workflow's page (`/workflows/<id>`) and its Triggers panel. */
export class WorkflowTriggersPage {
  constructor(private readonly page: Page) {}

  async open(workflowId: string, name: string) {
    await this.page.goto(`/workflows/${workflowId}`);
    await expect(this.page.getByRole("heading", { name, level: 1 })).toBeVisible();
    await expect(this.panel).toBeVisible();
  }

  get panel(): Locator {
    return this.page.getByRole("region", { name: "Triggers" });
  }

  get currentTrigger(): Locator {
    return this.page.getByTestId("current-trigger");
  }

  get webhookUrl(): Locator {
    return this.panel.getByLabel("URL", { exact: true });
  }

  get webhookState(): Locator {
    return this.page.getByTestId("webhook-state");
  }

  /** Creates (or rotates, confirming) the secret; returns the new secret, shown once. */
  async newSecret(previous: string | null): Promise<string> {
    const rotate = this.panel.getByRole("button", { name: "Rotate secret" });
    if (await rotate.isVisible()) await rotate.click();
    await this.panel
      .getByRole("button", {
        name: /^(Create secret|Rotate now: the current secret stops working)$/,
      })
      .click();
    const field = this.page.getByLabel("New webhook secret");
    await expect(field).toHaveValue(/^whsec_/);
    if (previous) await expect(field).not.toHaveValue(previous);
    return field.inputValue();
  }

  /** The signed `curl` snippet as shown (what "Copy" copies). */
  async curl(): Promise<string> {
    const pre = this.panel.getByLabel("Signed curl command");
    await expect(pre).toBeVisible();
    return (await pre.textContent()) ?? "";
  }

  get cron(): Locator {
    return this.panel.getByLabel("Cron expression (UTC)");
  }

  get fireTimes(): Locator {
    return this.panel.getByRole("list", { name: "Next fire times" }).getByRole("listitem");
  }

  get scheduleError(): Locator {
    return this.page.getByTestId("schedule-error");
  }

  async saveSchedule() {
    await this.panel.getByRole("button", { name: "Save schedule to the draft" }).click();
    await expect(this.page.getByTestId("schedule-saved")).toBeVisible();
  }
}
