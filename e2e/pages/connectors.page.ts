import { expect, type Locator, type Page } from "@playwright/test";

export interface FaultSettings {
  operation?: string;
  latencyMs?: number;
  errorRate?: number;
  status?: 429 | 500 | 503;
  retryAfterS?: number;
  timeoutRate?: number;
  malformedRate?: number;
  seed?: number;
}

/** The Connectors page, spoken in intent: create a connector, set its credential, inject faults. */
export class ConnectorsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/connectors");
    await expect(this.page.getByRole("heading", { name: "Connectors", level: 1 })).toBeVisible();
  }

  get table(): Locator {
    return this.page.getByRole("table", { name: "Connectors" });
  }

  row(name: string): Locator {
    return this.page.getByTestId(`connector-${name}`);
  }

  async expectEmpty() {
    await expect(this.page.getByRole("heading", { name: "No connectors yet" })).toBeVisible();
  }

  private confirmNextDialog() {
    this.page.once("dialog", (d) => void d.accept());
  }

  /** Creates a connector for `system` that calls this app's mock service (the "Use" link). */
  async createMockConnector(name: string, system: "crm" | "billing" | "clm", authScheme = "none") {
    await this.page.getByRole("button", { name: "New connector" }).click();
    const dialog = this.page.getByRole("dialog", { name: "New connector" });
    await dialog.getByLabel("Name").fill(name);
    await dialog.getByLabel("System").selectOption(system);
    await dialog.getByRole("button", { name: `Use this app's mock ${system} service` }).click();
    await expect(dialog.getByLabel("Base URL")).toHaveValue(`mock://${system}`);
    await dialog.getByLabel("Authentication").selectOption(authScheme);
    await dialog.getByRole("button", { name: "Create connector" }).click();
    await expect(dialog).toBeHidden();
    await expect(this.row(name)).toContainText(system);
  }

  /** Creates a connector and expects the form to refuse it with `message` by a field. */
  async expectCreateRefused(
    values: { name: string; system: string; baseUrl: string },
    message: RegExp,
  ) {
    await this.page.getByRole("button", { name: "New connector" }).click();
    const dialog = this.page.getByRole("dialog", { name: "New connector" });
    await dialog.getByLabel("Name").fill(values.name);
    await dialog.getByLabel("System").selectOption(values.system);
    await dialog.getByLabel("Base URL").fill(values.baseUrl);
    await dialog.getByRole("button", { name: "Create connector" }).click();
    await expect(dialog).toContainText(message);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
  }

  async editAuth(name: string, authScheme: string, header?: string) {
    await this.page.getByRole("button", { name: `Edit ${name}` }).click();
    const dialog = this.page.getByRole("dialog", { name: `Edit ${name}` });
    await dialog.getByLabel("Authentication").selectOption(authScheme);
    if (header) await dialog.getByLabel("Header (optional)").fill(header);
    await dialog.getByRole("button", { name: "Save connector" }).click();
    await expect(dialog).toBeHidden();
  }

  async setCredential(name: string, secret: string) {
    await this.page.getByRole("button", { name: `Set credential of ${name}` }).click();
    const dialog = this.page.getByRole("dialog", { name: `Set the credential of ${name}` });
    const field = dialog.locator('input[type="password"]');
    await field.fill(secret);
    await dialog.getByRole("button", { name: "Save credential" }).click();
    await expect(dialog).toBeHidden();
  }

  credential(name: string): Locator {
    return this.page.getByTestId(`credential-${name}`);
  }

  async delete(name: string) {
    this.confirmNextDialog();
    await this.page.getByRole("button", { name: `Delete ${name}` }).click();
    await expect(this.row(name)).toHaveCount(0);
  }

  /** Imports an OpenAPI document; returns the dialog's list of created blocks. */
  async importOpenApi(name: string, document: string, baseUrl?: string): Promise<Locator> {
    await this.page.getByRole("button", { name: "Import OpenAPI" }).click();
    const dialog = this.page.getByRole("dialog", { name: "Import an OpenAPI document" });
    await dialog.getByLabel("Name").fill(name);
    if (baseUrl) await dialog.getByLabel("Base URL (optional)").fill(baseUrl);
    await dialog.getByLabel("OpenAPI document (JSON or YAML)").fill(document);
    await dialog.getByRole("button", { name: "Import" }).click();
    const blocks = dialog.getByRole("list", { name: "Imported blocks" });
    await expect(blocks).toBeVisible();
    return blocks;
  }

  async closeImport() {
    const dialog = this.page.getByRole("dialog", { name: "Import an OpenAPI document" });
    await dialog.getByRole("button", { name: "Done" }).click();
    await expect(dialog).toBeHidden();
  }

  /** Opens the fault-injection panel of a mock-backed connector. */
  async openFaults(name: string): Promise<FaultPanelPart> {
    const toggle = this.page.getByRole("button", { name: `Faults of ${name}` });
    if ((await toggle.getAttribute("aria-pressed")) !== "true") await toggle.click();
    const panel = this.page.getByRole("region", { name: `Fault injection: ${name}` });
    await expect(panel).toBeVisible();
    return new FaultPanelPart(panel);
  }
}

export class FaultPanelPart {
  constructor(readonly root: Locator) {}

  get faults(): Locator {
    return this.root.getByRole("table", { name: "Faults" });
  }

  async inject(f: FaultSettings) {
    const form = this.root.getByRole("form", { name: "Inject a fault" });
    await form.getByLabel("Operation").selectOption(f.operation ?? "*");
    const text: [string, number | undefined][] = [
      ["Latency (ms)", f.latencyMs],
      ["Error rate", f.errorRate],
      ["Retry-After (s)", f.retryAfterS],
      ["Timeout rate", f.timeoutRate],
      ["Malformed rate", f.malformedRate],
      ["Seed (optional)", f.seed],
    ];
    for (const [label, v] of text)
      await form.getByLabel(label).fill(v === undefined ? "" : String(v));
    if (f.status) await form.getByLabel("Error status").selectOption(String(f.status));
    await form.getByRole("button", { name: "Inject fault" }).click();
    await expect(
      this.faults.getByRole("row").filter({ hasText: f.operation ?? "*" }),
    ).toBeVisible();
  }

  async clearAll() {
    await this.root.getByRole("button", { name: "Clear all faults" }).click();
    await expect(this.root.getByTestId("no-faults")).toBeVisible();
  }

  async refresh() {
    await this.root.getByRole("button", { name: "Refresh" }).click();
  }

  /** The "requests served" counts, e.g. `{ "contract.get": 1 }`. */
  requests(): Locator {
    return this.root.getByRole("list", { name: "Requests by operation" });
  }
}
