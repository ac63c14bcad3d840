/**
 * Dead letters, end to end (issue 15), in a workspace of its own: runs whose billing write
 * fails under an injected fault are dead-lettered; the admin finds them on the Dead letters page
 * (filtered by flow, each with its inputs, attempts and error), discards one with a reason (a
 * discard without one is refused), and asks to reprocess every other one matching the filter as
 * a job, seeing what is submitted for approval; the admin cannot approve it; an invited approver
 * does, from the inbox; with the fault cleared, the job runs its canary, then the rest, and
 * completes: every dead letter reprocessed by a new linked run.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { ApprovalsPage } from "../pages/approvals.page";
import { DeadLettersPage } from "../pages/dead-letters.page";
import { invitedMemberSession, query, shot } from "../support/api";
import { failingBillingFlow } from "../support/billing";

const flowText = (suffix: string) => `flow: dead-letters-${suffix}
version: 1.0.0
trigger:
  manual: {}
inputs:
  customerId: { type: string }
steps:
  - id: account
    uses: billing.account.upsert@2
    sla: T1
    retry: { max: 0 }
    with:
      customer:
        id: \${{ inputs.customerId }}
        name: Dead letter ${suffix}
        email: dl-${suffix}@example.test
      currency: EUR
`;

test.describe("dead letters", () => {
  test("dead letters are discarded with a reason, or reprocessed as an approved job: canary, then the rest", async ({
    browser,
    page,
    signedInUser: _admin,
  }, testInfo) => {
    test.setTimeout(180_000);
    const baseURL = testInfo.project.use.baseURL;
    const suffix = randomUUID().slice(0, 6);
    const dsl = flowText(suffix);
    const flowName = `Dead letters ${suffix}`;
    const { runs, faults } = await failingBillingFlow(page.request, {
      name: flowName,
      dsl,
      fault: { operation: "account.upsert", errorRate: 1, status: 503, seed: 5 },
      inputs: [0, 1, 2].map((i) => ({ customerId: `CUS-${suffix}-${i}` })),
    });
    await faults.clear();

    // The page lists the open dead letters of the flow, each with its detail.
    const dl = new DeadLettersPage(page);
    await dl.open();
    await dl.filterByFlow(flowName);
    await expect(dl.rows).toHaveCount(3);
    const detail = await dl.openDetail("account", runs[0]!);
    await expect(detail).toContainText("billing.account.upsert");
    await expect(detail.getByLabel("Inputs of account")).toContainText(`CUS-${suffix}-0`);
    await expect(detail).toContainText("Attempts");
    await shot(page, testInfo, "a dead letter's detail");

    // Discard needs a reason.
    await dl.select("account", runs[0]!);
    const discard = await dl.discard("");
    await expect(discard.getByText(/Say why they are discarded/)).toBeVisible();
    await discard.getByLabel("Reason").fill("Test customer, never billed");
    await discard.getByRole("button", { name: "Discard" }).click();
    await expect(page.getByText("Discarded 1 dead letter.")).toBeVisible();
    await expect(dl.rows).toHaveCount(2);

    // Every other open one matching the filter, reprocessed as a job: what goes to approval.
    await dl.selectAllMatching();
    const dialog = await dl.reprocess({ canary: "1", rate: "600" });
    const summary = dialog.getByRole("region", { name: "What will be submitted for approval" });
    await expect(summary).toContainText(`flow ${flowName}`);
    await expect(summary).toContainText("Canary: the first 1 alone");
    await expect(summary).toContainText("at most 600 started per minute");
    await shot(page, testInfo, "the reprocess request");
    await dialog.getByRole("button", { name: "Request approval" }).click();
    await expect(dialog.getByTestId("reprocess-requested")).toContainText(
      "a job of 2 dead letters",
    );
    await dialog.getByRole("button", { name: "Close" }).click();
    const jobs = await query<{ items: Array<{ id: string; state: string }> }>(
      page.request,
      "deadLetter.jobs",
      { limit: 20 },
    );
    const jobId = jobs.items[0]!.id;
    await expect(dl.job(jobId)).toHaveAttribute("data-state", "pending-approval");

    // The requester cannot approve it; an invited approver does.
    const inbox = new ApprovalsPage(page);
    await inbox.open();
    const card = inbox.card("Reprocess dead letters");
    await expect(card).toContainText("Reprocess 2 dead letter(s) of 2 run(s)");
    await inbox.expectCannotDecide(card, /another person must decide/);
    const approver = await invitedMemberSession(browser, page.request, baseURL);
    const theirs = new ApprovalsPage(approver.page);
    await theirs.open();
    await theirs.approve(theirs.card("Reprocess dead letters"), "fault fixed");
    await expect(theirs.announcement).toContainText("the job starts");

    // The job runs its canary, then the rest, and completes.
    await dl.open();
    await expect(dl.job(jobId)).toHaveAttribute("data-state", "completed", { timeout: 60_000 });
    await expect(dl.job(jobId)).toContainText("2 of 2 done: 2 succeeded, 0 failed, 0 skipped");
    await shot(page, testInfo, "the completed job");
    for (const id of runs.slice(1)) {
      const run = await query<{ lineage: { replays: Array<{ status: string }> } }>(
        page.request,
        "run.get",
        { id },
      );
      expect(run.lineage.replays.map((r) => r.status)).toEqual(["succeeded"]);
    }
    await dl.filterByFlow(flowName);
    await page
      .getByRole("form", { name: "Filter dead letters" })
      .getByLabel("Status")
      .selectOption({ label: "reprocessed" });
    await expect(dl.rows).toHaveCount(2);
    // Each run's view says what became of its dead letter.
    await page.goto(`/runs/${runs[0]}`);
    const discarded = page.getByTestId("dead-letter-account");
    await expect(discarded).toHaveAttribute("data-status", "discarded");
    await expect(discarded).toContainText("Test customer, never billed");
    await page.goto(`/runs/${runs[1]}`);
    const reprocessed = page.getByTestId("dead-letter-account");
    await expect(reprocessed).toHaveAttribute("data-status", "reprocessed");
    await expect(reprocessed.getByRole("link")).toHaveAttribute("href", /^\/runs\//);
    await approver.context.close();
  });
});
