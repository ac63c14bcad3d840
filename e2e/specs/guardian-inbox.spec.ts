/**
 * The guardian in the loop (issue 18, item 6): a fix accepted from the Approvals inbox with its
 * replays, in a workspace of its own (an admin, and an approver invited into it).
 *
 * Three runs of a billing write fail in a 429 storm and leave dead letters. The guardian's new
 * group is announced to the admin (a notification linking to the group on the Guardian page);
 * its back-off fix, once proven, waits in the inbox. The approver accepts it there, choosing
 * the replays the Guardian page offers (the three failed runs, through one reprocess job of
 * their dead letters on the new version): version 1.0.1 is released. The storm is over; the
 * admin approves the reprocessing in the inbox (another person), and the Guardian page shows it
 * completed, three of three succeeded on the new version.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { ApprovalsPage } from "../pages/approvals.page";
import { GuardianPage } from "../pages/guardian.page";
import { invitedMemberSession, query, shot } from "../support/api";
import { stormedFlow } from "../support/guardian";

test.describe("guardian fixes in the inbox", () => {
  test("a fix is accepted from the Approvals inbox with its replays, which another person approves and which succeed", async ({
    browser,
    page,
    signedInUser: _admin,
  }, testInfo) => {
    test.setTimeout(480_000);
    const baseURL = testInfo.project.use.baseURL;
    const suffix = randomUUID().slice(0, 6);
    const flow = await stormedFlow(page.request, suffix);

    // The new group was announced once to the admin, linking to it on the Guardian page.
    const notes = await query<{ items: Array<{ kind: string; title: string; link: string }> }>(
      page.request,
      "notification.list",
      { limit: 50 },
    );
    const announced = notes.items.filter(
      (n) => n.kind === "guardian.group" && n.title.includes(flow.flowName),
    );
    expect(announced).toHaveLength(1);
    expect(announced[0]!.link).toMatch(/^\/guardian\?group=[0-9a-f-]{36}$/);
    await page.goto(announced[0]!.link);
    await expect(
      page.getByRole("region", { name: new RegExp(`^${flow.flowName}: account`) }),
    ).toBeVisible();

    // Once proven, the fix waits in the approver's inbox with the replay choice.
    const approver = await invitedMemberSession(browser, page.request, baseURL);
    const ap = approver.page;
    const inbox = new ApprovalsPage(ap);
    await inbox.open();
    const card = inbox.card("Release a guardian fix");
    // Its proof covers all three recorded failures (one made before the third was grouped is
    // done again, its approval voided).
    await expect(async () => {
      await ap.reload();
      await expect(card).toBeVisible({ timeout: 3_000 });
      await expect(card.getByTestId("approval-message")).toContainText("3 of 3 recorded failures", {
        timeout: 1_000,
      });
    }).toPass({ timeout: 200_000, intervals: [2_000, 3_000, 5_000] });
    const choice = card.getByRole("checkbox", {
      name: /Also replay the 3 failed runs from their failing step on version 1\.0\.1 \(3 dead letters of them reprocessed as one job\)/,
    });
    await expect(choice).toBeChecked();
    await shot(ap, testInfo, "the fix in the inbox with its replay choice");
    await inbox.approve(card, "Proven on all three failures.");
    await expect(inbox.announcement).toContainText("Released guardian fix as version 1.0.1.", {
      timeout: 30_000,
    });
    const versions = await query<Array<{ version: string }>>(
      page.request,
      "workflow.listVersions",
      {
        id: flow.workflowId,
      },
    );
    expect(versions.map((v) => v.version)).toContain("1.0.1");

    // The storm is over; the admin approves the reprocessing the approver asked for.
    await flow.clearFaults();
    const adminInbox = new ApprovalsPage(page);
    await adminInbox.open();
    const job = adminInbox.card("Reprocess dead letters");
    await expect(async () => {
      await page.reload();
      await expect(job).toBeVisible({ timeout: 3_000 });
    }).toPass({ timeout: 60_000, intervals: [1_000, 2_000, 5_000] });
    await expect(job.getByTestId("approval-requester")).toContainText(approver.user.email);
    await expect(job.getByTestId("approval-message")).toContainText("on version 1.0.1");
    // The approver asked for it, so only another person decides it.
    await inbox.open();
    await inbox.expectCannotDecide(
      inbox.card("Reprocess dead letters"),
      /another person must decide/,
    );
    await adminInbox.approve(job);
    await expect(adminInbox.announcement).toContainText(/Approved/);

    // The Guardian page shows the release and its reprocessing done on the new version.
    const guardian = new GuardianPage(ap);
    await expect(async () => {
      await guardian.open();
      const g = await guardian.openGroup(
        await guardian.groupOf(flow.flowName),
        "account",
        flow.flowName,
      );
      const fix = g.getByRole("article", { name: /Back off longer on "account"/ });
      await expect(fix.getByTestId("proposal-release")).toContainText("Released as version 1.0.1");
      await expect(fix.getByTestId("release-reprocess")).toContainText(
        "completed · 3 of 3 succeeded",
        { timeout: 3_000 },
      );
    }).toPass({ timeout: 120_000, intervals: [3_000, 5_000] });
    await shot(ap, testInfo, "released and reprocessed");
    await approver.context.close();
  });
});
