/**
 * A guardian fix from failure to release (issue 18, items 4–6), in a workspace of its own: an
 * admin and an approver invited into it.
 *
 * A flow's billing write meets an injected 429 storm and three runs fail (one run before the
 * storm succeeded). The guardian groups them, proposes a back-off and proves it in the sandbox
 * on its own: the Guardian page shows the proof (every recorded failure fixed, no regression,
 * each step's recorded or mocked answers). The fix waits in the Approvals inbox as a guardian
 * fix; the approver accepts it on the Guardian page (with replays of the failed runs): version
 * 1.0.1 is released. The failed runs left dead letters, so their replays are one reprocess job
 * on the new version; the storm is over, the admin approves it (four eyes again), and the page
 * shows it completed, three of three succeeded.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { ApprovalsPage } from "../pages/approvals.page";
import { GuardianPage } from "../pages/guardian.page";
import { invitedMemberSession, mutate, query, shot } from "../support/api";
import { stormedFlow } from "../support/guardian";

test.describe("guardian fix", () => {
  test("a fault-injected flow fails, the guardian proves a fix, an approver releases it and the failed runs replay to success", async ({
    browser,
    page,
    signedInUser: _admin,
  }, testInfo) => {
    test.setTimeout(480_000);
    const baseURL = testInfo.project.use.baseURL;
    const suffix = randomUUID().slice(0, 6);
    const flow = await stormedFlow(page.request, suffix);
    const { flowName } = flow;
    const wf = { id: flow.workflowId };

    // The approver opens the Guardian page: the group, its fix and the fix's sandbox proof.
    const approver = await invitedMemberSession(browser, page.request, baseURL);
    const ap = approver.page;
    const guardian = new GuardianPage(ap);
    await guardian.open();
    await expect(ap.getByTestId("guardian-metrics")).toContainText("Open groups");
    const row = await guardian.groupOf(flowName);
    const group = await guardian.openGroup(row, "account", flowName);
    const fix = group.getByRole("article", { name: /Back off longer on "account"/ });
    const proof = fix.getByTestId("proposal-proof");
    // The proof covers all three recorded failures: one proved before the third was grouped is
    // proved again (its approval voided), so wait for the summary, not just a proof.
    const summary = fix.getByTestId("proof-summary");
    await expect(async () => {
      if (!(await summary.isVisible()))
        await ap.reload().then(() => guardian.openGroup(row, "account", flowName));
      await expect(summary).toContainText(
        "3 of 3 recorded failures fixed · 0 regressions in 1 successful run",
        { timeout: 3_000 },
      );
      await expect(fix.getByRole("form", { name: /^Accept fix/ })).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 200_000, intervals: [2_000, 3_000, 5_000] });
    await expect(proof).toContainText("Proof passed");
    await expect(proof).toContainText(
      /1 attempt on recorded answers, then \d+ on the session's mock/,
    );
    await fix.getByRole("button", { name: "Compare text and graph" }).click();
    await expect(
      fix.getByRole("dialog", { name: /Compare Version 1\.0\.0 with Proposed 1\.0\.1/ }),
    ).toBeVisible();
    await fix.getByRole("tab", { name: "Graph diff" }).click();
    await expect(fix.getByTestId("diff-summary")).toContainText("1 changed");
    await shot(ap, testInfo, "the fix's sandbox proof and graph diff");

    // It waits in the inbox as a guardian fix, requested by the guardian.
    const inbox = new ApprovalsPage(ap);
    await inbox.open();
    const card = inbox.card("Release a guardian fix");
    await expect(card).toBeVisible({ timeout: 20_000 });
    await expect(card.getByTestId("approval-requester")).toContainText("guardian");
    await expect(card.getByTestId("approval-message")).toContainText("3 of 3 recorded failures");

    // The approver accepts it on the Guardian page, asking for replays of the failed runs.
    await guardian.open();
    const row2 = await guardian.groupOf(flowName);
    const group2 = await guardian.openGroup(row2, "account", flowName);
    const fix2 = group2.getByRole("article", { name: /Back off longer on "account"/ });
    const accept = fix2.getByRole("form", { name: /^Accept fix/ });
    await accept.getByLabel("Comment (optional)").fill("The proof replays all three failures.");
    await expect(
      accept.getByRole("checkbox", {
        name: /Also replay the 3 failed runs from their failing step/,
      }),
    ).toBeChecked();
    await accept.getByRole("button", { name: "Accept and release 1.0.1" }).click();
    const release = fix2.getByTestId("proposal-release");
    await expect(release).toContainText("Released as version 1.0.1", { timeout: 30_000 });
    // The failed runs left dead letters: they are reprocessed as one job on the new version.
    await expect(fix2.getByTestId("release-reprocess")).toContainText(
      "Reprocessing of 3 dead letters on this version: waits for another approver",
      { timeout: 30_000 },
    );
    const versions = await query<Array<{ version: string }>>(
      page.request,
      "workflow.listVersions",
      {
        id: wf.id,
      },
    );
    expect(versions.map((v) => v.version)).toContain("1.0.1");

    // The storm is over; the admin approves the reprocessing the approver asked for.
    await flow.clearFaults();
    const pending = await query<{ items: Array<{ id: string; planHash: string | null }> }>(
      page.request,
      "approval.list",
      { kind: "reprocess" },
    );
    expect(pending.items).toHaveLength(1);
    for (const a of pending.items)
      await mutate(page.request, "approval.decide", {
        id: a.id,
        decision: "approve",
        planHash: a.planHash,
      });
    await expect(async () => {
      await ap.reload();
      const g = await guardian.openGroup(await guardian.groupOf(flowName), "account", flowName);
      await expect(
        g
          .getByRole("article", { name: /Back off longer on "account"/ })
          .getByTestId("release-reprocess"),
      ).toContainText("completed · 3 of 3 succeeded", { timeout: 3_000 });
    }).toPass({ timeout: 90_000, intervals: [2_000, 3_000, 5_000] });
    await shot(ap, testInfo, "released and replayed");
    await approver.context.close();
  });
});
