/**
 * The Trust and Operations pages, end to end (issue 17), in a workspace of its own: before any
 * run both say so; after a few runs of a flow with a connector step (reconciled, then folded by
 * the rollup and trust consumers in the background), the Operations page draws its charts for
 * each range with a table behind each, the flow's row links to its runs, and the Trust page lists
 * the flow's blocks with their interval and "not enough data" (fewer than 20 runs), a block's
 * trend and the flow it ran in, linking to that flow's runs.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { mutate, query, shot } from "../support/api";

const flowText = (suffix: string) => `flow: dashboards-${suffix}
version: 1.0.0
trigger:
  manual: {}
inputs:
  customerId: { type: string }
steps:
  - id: label
    uses: data.transform@1
    with:
      fields: { id: inputs.customerId }
  - id: account
    uses: billing.account.upsert@2
    needs: [label]
    sla: T1
    with:
      customer:
        id: \${{ inputs.customerId }}
        name: Dashboards ${suffix}
        email: dash-${suffix}@example.test
      currency: EUR
`;

interface OperationsView {
  flows: Array<{ workflowId: string | null; runs: number }>;
}

test.describe("dashboards", () => {
  test("Operations and Trust show charts and tables of a workspace's runs, with empty states before", async ({
    page,
    signedInUser: _admin,
  }, testInfo) => {
    test.setTimeout(300_000);
    await page.goto("/operations");
    await expect(page.getByRole("heading", { name: "Operations", level: 1 })).toBeVisible();
    await expect(page.getByText("No runs ended in this range")).toBeVisible();
    await page.goto("/trust");
    await expect(page.getByText("No block version has a score yet")).toBeVisible();

    const suffix = randomUUID().slice(0, 6);
    await mutate(page.request, "connector.create", {
      name: "billing",
      system: "billing",
      baseUrl: "mock://billing",
    });
    const dsl = flowText(suffix);
    const flowName = `Dashboards ${suffix}`;
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: flowName,
      dsl,
    });
    await mutate(page.request, "workflow.createVersion", { id: wf.id, version: "1.0.0", dsl });
    const runIds: string[] = [];
    for (let i = 0; i < 4; i++)
      runIds.push(
        (
          await mutate<{ id: string }>(page.request, "run.start", {
            workflowId: wf.id,
            version: "1.0.0",
            inputs: { customerId: `CUS-${suffix}-${i}` },
          })
        ).id,
      );
    for (const id of runIds)
      await expect
        .poll(
          async () => (await query<{ status: string }>(page.request, "run.get", { id })).status,
          {
            timeout: 60_000,
            intervals: [250, 500, 1000],
          },
        )
        .toBe("succeeded");
    // Reconciled, then folded by the consumers' background loops (behind the demo workspace's
    // seeded history at a first start: they fold in order).
    await expect
      .poll(
        async () =>
          (
            await query<OperationsView>(page.request, "dashboard.operations", { range: "1h" })
          ).flows.find((f) => f.workflowId === wf.id)?.runs ?? 0,
        { timeout: 150_000, intervals: [500, 1000, 2000] },
      )
      .toBe(4);

    await page.goto("/operations");
    const runsChart = page.getByRole("figure", { name: "Runs per minute" });
    await expect(
      runsChart.getByRole("group", { name: /4 runs ended in this range/ }),
    ).toBeVisible();
    await expect(runsChart.locator(".recharts-wrapper")).toBeVisible();
    const success = page.getByRole("figure", { name: "Success rate by flow" });
    await expect(success.locator(".recharts-bar-rectangle").first()).toBeVisible();
    await success.getByText("Show as table").click();
    const flowLink = success.getByRole("link", { name: `dashboards-${suffix}` });
    await expect(flowLink).toHaveAttribute("href", `/runs?workflow=${wf.id}`);
    await expect(page.getByRole("figure", { name: "SLA compliance by tier" })).toBeVisible();
    await expect(page.getByRole("table", { name: "Circuit breakers" })).toContainText(
      "billing:billing.account.upsert",
    );
    await expect(
      page.getByRole("heading", { name: "No agent step ran in this range" }),
    ).toBeVisible();
    await shot(page, testInfo, "operations, last hour");
    // Every range answers from the rollups; the runs are in each.
    for (const range of ["24 h", "7 d", "30 d"]) {
      await page
        .getByRole("group", { name: "Range", exact: true })
        .getByText(range, { exact: true })
        .click();
      await expect(runsChart.getByRole("group", { name: /4 runs ended/ })).toBeVisible();
    }

    // The trust consumer folds the same runs on its own loop.
    await expect
      .poll(
        async () =>
          (await query<{ items: unknown[] }>(page.request, "trust.list", { kind: "block" })).items
            .length,
        { timeout: 150_000, intervals: [500, 1000, 2000] },
      )
      .toBeGreaterThan(0);
    await page.goto("/trust");
    const scores = page.getByRole("table", { name: "Trust scores" });
    await expect(scores).toContainText("billing.account.upsert@");
    await expect(scores).toContainText("not enough data");
    // Sortable by name.
    await scores.getByRole("button", { name: "Entity" }).click();
    await expect(scores.getByRole("columnheader", { name: /Entity/ })).toHaveAttribute(
      "aria-sort",
      "ascending",
    );
    await scores.getByRole("button", { name: /Details of billing\.account\.upsert@/ }).click();
    const trend = page.getByRole("figure", { name: "Score over the last 30 days" });
    await expect(trend.locator(".recharts-wrapper")).toBeVisible();
    await trend.getByText("Show as table").click();
    await expect(trend.getByRole("table", { name: "Score by day" })).toContainText("(baseline)");
    const behind = page.getByRole("table", { name: "Flows it ran in" });
    await expect(behind).toContainText(flowName);
    await expect(behind.getByRole("link", { name: `Runs of ${flowName}` })).toHaveAttribute(
      "href",
      `/runs?workflow=${wf.id}`,
    );
    await page
      .getByRole("group", { name: "Kind", exact: true })
      .getByText("Endpoints", { exact: true })
      .click();
    await expect(scores).toContainText("billing:billing.account.upsert");
    await shot(page, testInfo, "trust, endpoints");
  });
});
