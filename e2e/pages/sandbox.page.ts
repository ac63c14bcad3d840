import { expect, type Locator, type Page } from "@playwright/test";

/** The Sandbox page's Sessions tab, spoken in intent. */
export class SandboxSessionsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/sandbox");
    await expect(this.page.getByRole("heading", { name: "Sandbox", level: 1 })).toBeVisible();
  }

  async createSession(name: string, from?: { dataset: string; version: RegExp }) {
    const form = this.page.getByRole("form", { name: "Create a session" });
    await form.getByLabel("Session name").fill(name);
    if (from) {
      await form.getByLabel("Dataset").selectOption({ label: from.dataset });
      const version = form.getByLabel("Version");
      const option = version.locator("option").filter({ hasText: from.version });
      await expect(option).toHaveCount(1);
      await version.selectOption({ label: (await option.textContent())!.trim() });
    }
    await form.getByRole("button", { name: "Create session" }).click();
    // A created session opens below the list.
    await expect(this.session(name)).toBeVisible();
  }

  session(name: string): Locator {
    return this.page.getByRole("region", { name: `Session ${name}` });
  }

  /** Adds a rule to the session's fault profile and saves it. */
  async addFault(
    name: string,
    rule: { system: string; operation: string; errorRate: string; status?: string },
  ) {
    const session = this.session(name);
    const form = session.getByRole("form", { name: "Add a fault rule" });
    await form.getByLabel("System").selectOption({ label: rule.system });
    await form.getByLabel("Operation").selectOption(rule.operation);
    await form.getByLabel("Error rate").fill(rule.errorRate);
    if (rule.status) await form.getByLabel("Error status").selectOption(rule.status);
    await form.getByRole("button", { name: "Add rule" }).click();
    await session.getByRole("button", { name: "Save faults" }).click();
    await expect(session.getByRole("button", { name: "Save faults" })).toBeDisabled();
  }
}

/** The studio's Sandbox tab and the run marks on the canvas. */
export class StudioSandboxPart {
  constructor(private readonly page: Page) {}

  get panel(): Locator {
    return this.page.getByTestId("studio-sandbox");
  }

  async open() {
    await this.page.getByRole("button", { name: "Run in sandbox" }).first().click();
    await expect(this.panel).toBeVisible();
  }

  async run(opts: { session: string; usePins?: boolean }) {
    const form = this.panel.getByRole("form", { name: "Run in sandbox" });
    await form.getByLabel("Session", { exact: true }).selectOption({ label: opts.session });
    const pins = form.getByLabel(/Use pinned outputs/);
    if (opts.usePins !== undefined && (await pins.isEnabled())) await pins.setChecked(opts.usePins);
    await form.getByRole("button", { name: "Run in sandbox" }).click();
  }

  /** Waits until the canvas shows `status` on the step (from the last sandbox run). */
  async expectStep(stepId: string, status: RegExp | string) {
    const node = this.page
      .getByTestId("flow-canvas")
      .locator(`.react-flow__node[data-id="${stepId}"]`);
    await expect(node.getByTestId("node-run-status")).toHaveText(status, { timeout: 30_000 });
  }

  /** Selects a step from the run's step list (as a click on the canvas does). */
  async selectStep(stepId: string) {
    await this.panel.locator(`[data-testid="sandbox-step"][data-step="${stepId}"]`).click();
  }

  /** Pins `json` as the step's output; `shows` is a piece of it the pin then shows. */
  async pinJson(stepId: string, json: string, shows: string) {
    await this.selectStep(stepId);
    const step = this.panel.getByRole("region", { name: `Step ${stepId}` });
    await step.getByRole("button", { name: /Pin JSON|Edit pinned JSON/ }).click();
    await step.getByLabel("Output (JSON)").fill(json);
    await step.getByRole("button", { name: "Save pin" }).click();
    await expect(step.getByTestId("step-pin")).toContainText(shows);
  }

  stepOutput(stepId: string): Locator {
    return this.panel
      .getByRole("region", { name: `Step ${stepId}` })
      .getByTestId("sandbox-step-output");
  }
}
