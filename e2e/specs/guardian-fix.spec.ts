/**
 * A guardian fix from failure to release (issue 18, items 4–6), in a workspace of its own: an
 * admin and an approver invited into it.
 *
 * A flow's billing write meets an injected 429 storm and three runs fail (one run before the
 * storm succeeded). The guardian groups them, proposes a back-off and proves it in the sandbox
 * on its own: the Guardian page shows the proof (3 of 3 recorded failures fixed, no regression,
 * each step's recorded or mocked answers). The fix waits in the Approvals inbox as a guardian
 * fix; the approver accepts it on the Guardian page (with replays of the failed runs): version
 * 1.0.1 is released. The storm is over; the admin approves the replays the approver asked for
 * (four eyes again), and the page shows them succeeded on the new version.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { ApprovalsPage } from "../pages/approvals.page";
import { GuardianPage } from "../pages/guardian.page";
import { expectRunStatus, invitedMemberSession, mutate, query, shot } from "../support/api";

const flowText = (suffix: string) => `# guardian fix ${suffix}: bills new customers.
flow: guardian-fix-${suffix}
version: 1.0.0
trigger:
  manual: {}
inputs:
  customerId: { type: string }
steps:
  - id: account        # the billing write
    uses: billing.account.upsert@2
    retry: { max: 0 }
    with:
      customer:
        id: \${{ inputs.customerId }}
        name: Guardian fix ${suffix}
        email: guardian-fix-${suffix}@example.test
      currency: EUR
`;

test.describe("guardian fix", () => {
  test("a fault-injected flow fails, the guardian proves a fix, an approver releases it and the failed runs replay to success", async ({
    browser,
    page,
    signedInUser: _admin,
  }, testInfo) => {
    test.setTimeout(480_000);
    const baseURL = testInfo.project.use.baseURL;
    const ws = await query<{ id: string }>(page.request, "workspace.current");
    const suffix = randomUUID().slice(0, 6);
    await mutate(page.request, "connector.create", {
      name: "billing",
      system: "billing",
      baseUrl: "mock://billing",
    });
    const dsl = flowText(suffix);
    const flowName = `Guardian fix ${suffix}`;
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: flowName,
      dsl,
    });
    await mutate(page.request, "workflow.createVersion", { id: wf.id, version: "1.0.0", dsl });
    const start = (i: number) =>
      mutate<{ id: string }>(page.request, "run.start", {
        workflowId: wf.id,
        version: "1.0.0",
        inputs: { customerId: `CUS-${suffix}-${i}` },
      });
    // One good run (the proof's regression set), then the storm.
    const good = await start(0);
    await expectRunStatus(page.request, good.id, /^succeeded$/);
    const faults = `/api/mock/billing/t/${ws.id}/_faults`;
    const injected = await page.request.post(faults, {
      data: { operation: "account.upsert", errorRate: 1, status: 429, seed: 11 },
    });
    expect(injected.ok()).toBe(true);
    const failed: string[] = [];
    for (let i = 1; i <= 3; i++) failed.push((await start(i)).id);
    for (const id of failed) await expectRunStatus(page.request, id, /^failed$/);

    // The guardian groups the failures off the request path, after their runs are reconciled.
    await expect
      .poll(
        async () =>
          (
            await query<{ items: Array<{ flowName: string }> }>(page.request, "guardian.groups", {
              limit: 100,
            })
          ).items.some((g) => g.flowName.endsWith(suffix)),
        { timeout: 180_000, intervals: [1_000, 2_000, 5_000] },
      )
      .toBe(true);

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
    await expect(async () => {
      if (!(await proof.isVisible()))
        await ap.reload().then(() => guardian.openGroup(row, "account", flowName));
      await expect(proof).toBeVisible({ timeout: 3_000 });
    }).toPass({ timeout: 150_000, intervals: [2_000, 3_000, 5_000] });
    await expect(fix.getByTestId("proof-summary")).toContainText(
      "3 of 3 recorded failures fixed · 0 regressions in 1 successful run",
    );
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
      accept.getByRole("checkbox", { name: /Also replay the failed runs/ }),
    ).toBeChecked();
    await accept.getByRole("button", { name: "Accept and release 1.0.1" }).click();
    const release = fix2.getByTestId("proposal-release");
    await expect(release).toContainText("Released as version 1.0.1", { timeout: 30_000 });
    await expect(release.getByRole("list", { name: "Replays of the failed runs" })).toContainText(
      "waits for another approver",
    );
    const versions = await query<Array<{ version: string }>>(
      page.request,
      "workflow.listVersions",
      {
        id: wf.id,
      },
    );
    expect(versions.map((v) => v.version)).toContain("1.0.1");

    // The storm is over; the admin approves the replays the approver asked for.
    const cleared = await page.request.delete(faults, {
      headers: { "content-type": "application/json" },
    });
    expect(cleared.ok()).toBe(true);
    const pending = await query<{ items: Array<{ id: string; planHash: string | null }> }>(
      page.request,
      "approval.list",
      { kind: "replay" },
    );
    expect(pending.items).toHaveLength(3);
    for (const a of pending.items)
      await mutate(page.request, "approval.decide", {
        id: a.id,
        decision: "approve",
        planHash: a.planHash,
      });
    await expect(async () => {
      await ap.reload();
      const g = await guardian.openGroup(await guardian.groupOf(flowName), "account", flowName);
      const replays = g
        .getByRole("article", { name: /Back off longer on "account"/ })
        .getByRole("list", { name: "Replays of the failed runs" });
      await expect(replays.getByRole("link", { name: "succeeded" })).toHaveCount(3, {
        timeout: 3_000,
      });
    }).toPass({ timeout: 90_000, intervals: [2_000, 3_000, 5_000] });
    await shot(ap, testInfo, "released and replayed");
    await approver.context.close();
  });
});
