/**
 * Search from anywhere (issue 17 item 8): Ctrl+K opens the command palette; a flow's name finds
 * it and Enter opens it in the studio; the text of a run's error finds the run (the palette is
 * keyboard-driven and passes axe's WCAG 2 A/AA rules while open).
 */
import AxeBuilder from "@axe-core/playwright";
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { mutate, query } from "../support/api";

test("Ctrl+K finds a flow by name and a run by its error text", async ({
  page,
  signedInUser: _signedIn,
}) => {
  test.setTimeout(90_000);
  const suffix = randomUUID().replace(/-/g, "").slice(0, 8);
  const name = `Palette ${suffix}`;
  // The error word comes with the run's inputs: only the run's error holds it, not the flow.
  const word = `quokka${suffix}`;
  const dsl = `flow: palette-${suffix}
version: 1.0.0
trigger:
  manual: {}
inputs:
  when: { type: string }
steps:
  - id: explode
    uses: control.wait@1
    with:
      until: \${{ inputs.when }}
`;
  const wf = await mutate<{ id: string }>(page.request, "workflow.create", { name, dsl });
  const run = await mutate<{ id: string }>(page.request, "run.start", {
    workflowId: wf.id,
    draft: true,
    inputs: { when: word },
  });
  await expect
    .poll(
      async () => (await query<{ status: string }>(page.request, "run.get", { id: run.id })).status,
      { timeout: 45_000, intervals: [100, 250, 500] },
    )
    .toBe("failed");

  await page.goto("/runs");
  // The runs list is fetched by the client: once it shows the run, the page is interactive.
  await expect(page.getByRole("table", { name: "Runs" })).toContainText(run.id.slice(0, 8));
  const palette = page.getByRole("dialog", { name: "Search" });
  const input = palette.getByRole("combobox", { name: "Search" });

  // A flow by its name; Enter opens the first result in the studio.
  await page.keyboard.press("Control+k");
  await expect(input).toBeFocused();
  await input.fill(`palette ${suffix}`);
  const flowOption = palette
    .getByRole("group", { name: "Flows" })
    .getByRole("option", { name: new RegExp(name) });
  await expect(flowOption).toBeVisible();
  await expect(flowOption).toHaveAttribute("aria-selected", "true");
  const axe = await new AxeBuilder({ page })
    .include("dialog[open]")
    .withTags(["wcag2a", "wcag2aa"])
    .analyze();
  expect(
    axe.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
  ).toEqual([]);
  await input.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/studio/${wf.id}$`));
  await expect(palette).toBeHidden();

  // A run by the text of its error (the step's error is found too, in its own group).
  await page.keyboard.press("Control+k");
  await input.fill(word);
  const runs = palette.getByRole("group", { name: "Runs" });
  await expect(runs.getByRole("option")).toHaveCount(1);
  await expect(runs).toContainText(run.id.slice(0, 8));
  await expect(palette.getByRole("group", { name: "Step errors" })).toContainText("explode");
  await expect(runs.getByRole("option").locator("mark")).toHaveText(word);
  await input.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/runs/${run.id}$`));

  // Nothing found says so; Escape closes.
  await page.keyboard.press("Control+k");
  await input.fill(`zz${suffix}nothing`);
  await expect(palette.getByRole("status").first()).toContainText("No results");
  await input.press("Escape");
  await expect(palette).toBeHidden();
});
