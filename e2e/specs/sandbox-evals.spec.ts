/**
 * Evaluation suites on the Sandbox page (issue 16, item 8), in a workspace of its own: the admin
 * has a dataset of three tickets and a session (made through the API), creates a suite of
 * agent.classify from the Evaluations tab, runs it on the default route and on the
 * `classification` route (3 repetitions per row, the demo model answers), sees pass@1, pass^n
 * and flaky per route with the chart, the per-row results, and the two runs side by side.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { EvalsPage } from "../pages/evals.page";
import { mutate } from "../support/api";

const ROWS = [
  { text: "I was charged twice on my billing statement", expected: "billing" },
  { text: "The technical integration keeps timing out", expected: "technical" },
  { text: "Please send me sales material", expected: "billing" },
];

test("create a suite, run it on two routes, read the metrics and compare", async ({
  page,
  signedInUser: _admin,
}) => {
  test.setTimeout(180_000);
  const dataset = `tickets-${randomUUID().slice(0, 6)}`;
  const ds = await mutate<{ id: string }>(page.request, "dataset.create", { name: dataset });
  await mutate(page.request, "dataset.upload", {
    datasetId: ds.id,
    format: "jsonl",
    text: ROWS.map((r) => JSON.stringify(r)).join("\n"),
  });
  await mutate(page.request, "sandbox.create", { name: "evals" });

  const evals = new EvalsPage(page);
  await evals.open();
  await evals.createBlockSuite("Ticket triage", dataset);
  await evals.run();
  await evals.expectCompleted(1);
  await evals.run("classification");
  await evals.expectCompleted(2);

  // Rows 1 and 2 get their label every time; row 3 never does: pass@1 = pass^n = 2/3, no flakes.
  const first = evals.runs().locator("tbody tr").first();
  await expect(first).toContainText("route classification");
  await expect(first).toContainText("trustflow-demo");
  await expect(first).toContainText("66.7%");
  await expect(first).toContainText("9/9");
  await expect(
    evals.runs().getByTitle(/pass\^n: share of rows whose every repetition/),
  ).toBeVisible();
  await expect(evals.chart()).toBeVisible();

  const samples = await evals.showResults("default route");
  await expect(samples.locator("tbody tr")).toHaveCount(3);
  await expect(samples.locator("tbody tr").nth(2)).toContainText('expected "billing", got "sales"');

  await evals.compare(["default route", "route classification"]);
  await expect(evals.comparison()).toContainText("pass^n");
  await expect(page.getByText("Every row has the same outcome on both sides.")).toBeVisible();
});
