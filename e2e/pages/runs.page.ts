import { expect, type Locator, type Page } from "@playwright/test";

/** The runs list and its "Run a flow" dialog. */
export class RunsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/runs");
    await expect(this.page.getByRole("heading", { name: "Runs", level: 1 })).toBeVisible();
  }

  get table(): Locator {
    return this.page.getByRole("table", { name: "Runs" });
  }

  async expectNoRuns() {
    await expect(this.page.getByRole("heading", { name: "No runs yet" })).toBeVisible();
  }

  private async fillStartDialog(workflowName: string, inputs: string) {
    const dialog = this.page.getByRole("dialog", { name: "Run a flow" });
    if (!(await dialog.isVisible())) {
      await this.page.getByRole("button", { name: "Run a flow" }).first().click();
    }
    await expect(dialog).toBeVisible();
    await dialog.getByLabel("Workflow").selectOption({ label: workflowName });
    // The inputs as JSON: one click away from the generated form.
    await dialog.getByRole("radio", { name: "JSON" }).click();
    await dialog.getByLabel("Inputs (JSON)").fill(inputs);
    await dialog.getByRole("button", { name: "Start run" }).click();
    return dialog;
  }

  /** Starts a run from the dialog and waits for its page. */
  async startRun(workflowName: string, inputs: Record<string, unknown>): Promise<RunPage> {
    await this.fillStartDialog(workflowName, JSON.stringify(inputs));
    await expect(this.page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
    const run = new RunPage(this.page);
    await run.expectShown();
    return run;
  }

  /** Tries to start a run with inputs the server refuses; the dialog stays open with the error. */
  async expectInputsRefused(workflowName: string, inputs: string, message: RegExp) {
    const dialog = await this.fillStartDialog(workflowName, inputs);
    const field = dialog.getByLabel("Inputs (JSON)");
    await expect(field).toHaveAttribute("aria-invalid", "true");
    await expect(field).toHaveAccessibleDescription(message);
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect(dialog).toBeHidden();
  }

  private row(runId: string): Locator {
    return this.table
      .getByRole("row")
      .filter({ has: this.page.getByRole("link", { name: `Run ${runId}` }) });
  }

  async expectListed(runId: string, status: string) {
    await expect(this.row(runId)).toContainText(status);
  }

  async expectNotListed(runId: string) {
    await expect(this.row(runId)).toHaveCount(0);
  }

  async filterByStatus(status: string) {
    await this.page
      .getByRole("form", { name: "Filter runs" })
      .getByLabel("Status")
      .selectOption(status);
  }
}

/** One run's page: header, canvas, timeline, step drawer. */
export class RunPage {
  constructor(private readonly page: Page) {}

  get id(): string {
    return new URL(this.page.url()).pathname.split("/").at(-1)!;
  }

  async expectShown() {
    await expect(this.page.getByRole("region", { name: "Run canvas" })).toBeVisible();
  }

  async expectStatus(status: string) {
    await expect(this.page.getByTestId("run-status")).toHaveText(status);
  }

  /** The finished run was reconciled against its flow with no finding. */
  async expectReconciled(steps: number) {
    await expect(this.page.getByTestId("reconciliation")).toHaveText(
      `Reconciled: all ${steps} steps accounted for.`,
    );
  }

  node(stepId: string): Locator {
    return this.page.getByTestId(`run-node-${stepId}`);
  }

  async expectStep(stepId: string, status: string) {
    await expect(this.node(stepId)).toHaveAttribute("data-status", status);
  }

  /** Following the run through its event stream (SSE). */
  async expectFollowingLive() {
    await expect(this.page.getByTestId("live-mode")).toHaveText("Live");
  }

  /** Following the run by polling `run.get` (the stream failed). */
  async expectPolling() {
    await expect(this.page.getByTestId("live-mode")).toHaveText(/polling/);
  }

  /** Approves a waiting human step from its banner. */
  async approve(stepId: string) {
    await this.page.getByRole("button", { name: `Approve ${stepId}` }).click();
    await expect(this.page.getByTestId(`decision-${stepId}`)).toBeHidden();
  }

  async openStep(stepId: string): Promise<Locator> {
    await this.page.getByRole("button", { name: `Show step ${stepId}` }).click();
    const drawer = this.page.getByRole("complementary", { name: `Step ${stepId}` });
    await expect(drawer).toBeVisible();
    return drawer;
  }

  /** Every step has a timeline row with at least one bar of the given outcome. */
  async expectTimeline(stepIds: string[], outcome = "succeeded") {
    const rows = this.page.getByRole("list", { name: "Steps over time" }).getByRole("listitem");
    await expect(rows).toHaveCount(stepIds.length);
    for (const id of stepIds) {
      await expect(
        this.page.getByTestId(`timeline-row-${id}`).locator(`[data-kind="${outcome}"]`).first(),
      ).toBeVisible();
    }
  }

  /** Moves the scrubber to event `k` (0: before the first event). */
  async scrubTo(k: number) {
    const slider = this.page.getByRole("slider", { name: "Replay events" });
    await slider.fill(String(k));
  }

  async backToLive() {
    await this.page.getByRole("button", { name: "Live", exact: true }).click();
  }

  async cancel(reason: string) {
    await this.page.getByRole("button", { name: "Cancel run" }).click();
    const dialog = this.page.getByRole("dialog", { name: "Cancel this run?" });
    await dialog.getByLabel("Reason (optional)").fill(reason);
    await dialog.getByRole("button", { name: "Cancel run" }).click();
    await expect(dialog).toBeHidden();
  }
}
