import { expect, type Locator, type Page } from "@playwright/test";

/** The Sandbox page's Evaluations tab, spoken in intent: create a suite, run it, compare runs. */
export class EvalsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto("/sandbox?tab=evaluations");
    await expect(this.page.getByRole("heading", { name: "Sandbox", level: 1 })).toBeVisible();
    await expect(this.page.getByText("Loading suites…")).toHaveCount(0);
  }

  /** Creates a suite of agent.classify on a dataset, with the form's example assertions. */
  async createBlockSuite(name: string, dataset: string) {
    const form = this.page.getByRole("form", { name: "Create an evaluation suite" });
    await form.getByLabel("Suite name").fill(name);
    await form.getByLabel("Dataset").selectOption({ label: `${dataset} (v1, 3 rows)` });
    await form.getByRole("button", { name: "Create suite" }).click();
    await expect(this.suite(name)).toBeVisible();
  }

  /** The chosen suite's section (named by its heading). */
  suite(name: string): Locator {
    return this.page.getByRole("region", { name });
  }

  /** Runs the shown suite in the first session, on `route` when given. */
  async run(route?: string) {
    const form = this.page.getByRole("form", { name: "Run the suite" });
    // The sessions load after the form: a click before would send no session.
    await expect(form.getByLabel("Sandbox session")).not.toHaveValue("");
    await form.getByLabel("Model route (optional)").fill(route ?? "");
    await form.getByRole("button", { name: "Run suite" }).click();
  }

  runs(): Locator {
    return this.page.getByRole("table", { name: "Runs of the suite" });
  }

  async expectCompleted(count: number) {
    await expect(this.runs().getByText("completed", { exact: true })).toHaveCount(count, {
      timeout: 60_000,
    });
  }

  async compare(labels: [string, string]) {
    for (const label of labels) await this.runs().getByLabel(`Compare ${label}`).check();
  }

  comparison(): Locator {
    return this.page.getByRole("table", { name: "Comparison of two runs" });
  }

  chart(): Locator {
    return this.page.getByRole("figure", { name: "Pass rates per variant and model route" });
  }

  async showResults(label: string) {
    await this.runs().getByRole("button", { name: label }).click();
    return this.page.getByRole("table", { name: "Samples per row" });
  }
}
