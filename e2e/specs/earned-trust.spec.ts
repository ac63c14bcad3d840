/**
 * Earned trust where decisions are made (issue 17), in a workspace of its own: a flow whose data
 * step fails on every run builds a history (22 runs of a saved version, reconciled and folded by
 * the trust consumer in the background); the studio then shows that block's earned score on its nodes (interval and
 * n on hover) and the flow's in the header, the Stats tab shows the step's runs and last
 * failure, and a run of another flow with `trust.min` above the earned score halts before any
 * step with the message on the run view.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { mutate, query } from "../support/api";

const failing = (suffix: string) => `flow: earned-fails-${suffix}
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields: { n: int("not a number") }
`;

const gated = (suffix: string) => `flow: earned-gated-${suffix}
version: 1.0.0
trigger:
  manual: {}
trust: { min: 0.6 }
steps:
  - id: shape
    uses: data.transform@1
    with:
      fields: { ok: "'yes'" }
`;

interface TrustList {
  items: Array<{ key: string; enoughData: boolean; score: number }>;
}

test.describe("earned trust in the studio and at run start", () => {
  test("nodes show earned scores; a flow below its minimum halts with the reason on the run view", async ({
    page,
    signedInUser: _user,
  }) => {
    test.setTimeout(180_000);
    const suffix = randomUUID().slice(0, 6);
    const fails = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: `Earned fails ${suffix}`,
      dsl: failing(suffix),
    });
    // Saved-version runs: draft runs are experiments and stay out of the scores.
    await mutate(page.request, "workflow.createVersion", {
      id: fails.id,
      version: "1.0.0",
      dsl: failing(suffix),
    });
    for (let i = 0; i < 22; i++)
      await mutate(page.request, "run.start", {
        workflowId: fails.id,
        version: "1.0.0",
        inputs: {},
      });
    // Runs end, are reconciled, then folded into the block's counts by the trust consumer.
    await expect
      .poll(
        async () =>
          (
            await query<TrustList>(page.request, "trust.list", { kind: "block", limit: 100 })
          ).items.find((e) => e.key.startsWith("data.transform@"))?.enoughData ?? false,
        { timeout: 90_000, intervals: [1000, 2000] },
      )
      .toBe(true);

    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: `Earned gated ${suffix}`,
      dsl: gated(suffix),
    });
    await page.goto(`/studio/${wf.id}`);
    const earned = page.locator('[data-step="shape"] [data-testid="node-earned"]');
    await expect(earned).toHaveText(/^earned 0\.\d\d < 0\.6$/);
    await expect(earned).toHaveAttribute("data-enough", "true");
    await expect(earned).toHaveAttribute("title", /90% interval 0\.\d\d–0\.\d\d, n = \d+/);
    await expect(earned).toHaveAttribute("title", /Beta posterior/);
    await expect(page.getByTestId("flow-trust")).toHaveText(/trust 0\.\d\d < 0\.6 · earned/);

    // The failing flow's step statistics: 22 runs, none succeeded, the last failure links a run.
    await page.goto(`/studio/${fails.id}`);
    await page.getByRole("tab", { name: "Stats" }).click();
    const stats = page.locator('[data-step-stats="shape"]');
    await expect(stats).toContainText("Runs22");
    await expect(stats).toContainText("0 %");
    await expect(stats.getByRole("link")).toHaveAttribute("href", /^\/runs\//);

    const run = await mutate<{ id: string }>(page.request, "run.start", {
      workflowId: wf.id,
      draft: true,
      inputs: {},
    });
    await page.goto(`/runs/${run.id}`);
    await expect(page.getByText(/trust gate halted the run before any step/).first()).toBeVisible({
      timeout: 30_000,
    });
    await expect(page.getByText(/earned from run history: 90% interval/).first()).toBeVisible();
  });
});
