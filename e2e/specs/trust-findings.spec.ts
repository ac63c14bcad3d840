/**
 * Findings in earned trust (issue 17 item 1), in a workspace of its own: a step that fails the
 * same way on five runs becomes a guardian group (the guardian consumer, in the background);
 * the block's trust score then lists the group among its inputs — in the row's hover and in the
 * Details panel, which names the finding.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { mutate, query } from "../support/api";

const failing = (suffix: string) => `flow: findings-fails-${suffix}
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields: { n: int("not a number") }
`;

interface TrustList {
  items: Array<{ key: string; inputs: { guardianGroups: number } }>;
}

test.describe("findings in earned trust", () => {
  test("a guardian group shows among a block score's inputs, on hover and in its details", async ({
    page,
    signedInUser: _user,
  }) => {
    test.setTimeout(240_000);
    const suffix = randomUUID().slice(0, 6);
    const dsl = failing(suffix);
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: `Findings ${suffix}`,
      dsl,
    });
    await mutate(page.request, "workflow.createVersion", { id: wf.id, version: "1.0.0", dsl });
    for (let i = 0; i < 5; i++)
      await mutate(page.request, "run.start", { workflowId: wf.id, version: "1.0.0", inputs: {} });
    // Runs end, are reconciled, folded by the trust consumer and grouped by the guardian.
    await expect
      .poll(
        async () =>
          (
            await query<TrustList>(page.request, "trust.list", { kind: "block", limit: 100 })
          ).items.find((e) => e.key.startsWith("data.transform@"))?.inputs.guardianGroups ?? 0,
        { timeout: 180_000, intervals: [1000, 2000] },
      )
      .toBe(1);

    await page.goto("/trust");
    const scores = page.getByRole("table", { name: "Trust scores" });
    const row = scores.getByRole("row", { name: /data\.transform@/ });
    const scoreCell = row.getByRole("cell").nth(1);
    await expect(scoreCell).toHaveAttribute("title", /^Inputs \(decayed\)/);
    await expect(scoreCell).toHaveAttribute("title", /guardian groups: 1/);
    await expect(scoreCell).toHaveAttribute("title", /anomalies: 0/);

    await row.getByRole("button", { name: /Details of data\.transform@/ }).click();
    await expect(page.getByText("fixes failing again", { exact: true })).toBeVisible();
    await expect(
      page.getByText(/^Findings \(\+1 pseudo-failures once it has enough data\)$/),
    ).toBeVisible();
    await expect(
      page
        .getByRole("listitem")
        // The group names the block version its failures ran.
        .filter({
          hasText: /^guardian group of \d+ failures of data\.transform@\d+\.\d+\.\d+ in /,
        }),
    ).toBeVisible();
  });
});
