/**
 * Notifications, end to end: an admin adds a signed webhook endpoint in Settings (its secret
 * shown once; a test message to a loopback URL is refused by outbound access and logged), then
 * starts a run that parks on an approval; an approver invited into the workspace finds it in the
 * bell (keyboard: open, Escape closes and gives the focus back), opens it and lands on the inbox,
 * the notification read.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { invitedMemberSession, mutate, query, shot } from "../support/api";

const flowText = (name: string) => `flow: ${name}
version: 1.0.0
trigger:
  manual: {}
inputs:
  amount: { type: number }
steps:
  - id: approve
    uses: human.approval@1
    with:
      approvers: { role: approver }
      message: Ship the order?
`;

test.describe("notifications", () => {
  test("a webhook endpoint in Settings; an approver hears of a request in the bell", async ({
    browser,
    page,
    signedInUser: admin,
  }, testInfo) => {
    test.setTimeout(120_000);
    expect(admin.email).toBeTruthy();
    const member = await invitedMemberSession(
      browser,
      page.request,
      testInfo.project.use.baseURL,
      "approver",
    );

    // Settings: the endpoint, its secret shown once, a test message refused by outbound access.
    await page.goto("/settings");
    const hooks = page.getByRole("region", { name: "Approval webhooks" });
    await hooks.getByLabel("URL", { exact: true }).fill("http://127.0.0.1:9/hooks");
    await hooks.getByRole("button", { name: "Add endpoint" }).click();
    const secret = page.getByTestId("new-webhook-secret");
    await expect(secret).toContainText(/whsec_[A-Za-z0-9+/]+=/);
    await secret.getByRole("button", { name: "Done" }).click();
    await expect(secret).toBeHidden();
    await expect(hooks.getByRole("table", { name: "Webhook endpoints" })).toContainText(
      "http://127.0.0.1:9/hooks",
    );
    await hooks
      .getByRole("button", { name: "Send a test message to http://127.0.0.1:9/hooks" })
      .click();
    await expect(hooks.getByText(/Test message not delivered/)).toBeVisible();
    const log = page.getByTestId("webhook-delivery-log");
    await expect(log).toContainText("webhook.test");
    await expect(log).toContainText("pending");
    await shot(page, testInfo, "webhook endpoint and its log");

    // The admin starts a run; it parks on the approval.
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: `Bell ${randomUUID().slice(0, 6)}`,
      dsl: flowText(`bell-${randomUUID().slice(0, 6)}`),
    });
    const run = await mutate<{ id: string }>(page.request, "run.start", {
      workflowId: wf.id,
      inputs: { amount: 3 },
    });
    await expect
      .poll(
        async () =>
          (await query<{ status: string }>(page.request, "run.get", { id: run.id })).status,
        {
          timeout: 20_000,
        },
      )
      .toBe("waiting");

    // The approver's bell: the count, the panel by keyboard, Escape gives the focus back.
    const p = member.page;
    await p.goto("/workflows");
    const bell = p.getByRole("button", { name: "Notifications (1 unread)" });
    await expect(bell).toBeVisible({ timeout: 20_000 });
    await bell.focus();
    await p.keyboard.press("Enter");
    const panel = p.getByRole("dialog", { name: "Notifications" });
    await expect(panel).toBeVisible();
    await expect(panel.getByRole("heading", { name: "Notifications" })).toBeFocused();
    const item = panel.getByRole("link", { name: /awaits your decision/ });
    await expect(item).toContainText("Ship the order?");
    await shot(p, testInfo, "the bell's panel");
    await p.keyboard.press("Escape");
    await expect(panel).toBeHidden();
    await expect(bell).toBeFocused();

    // Opening the notification reads it and lands on the inbox.
    await bell.click();
    await panel.getByRole("link", { name: /awaits your decision/ }).click();
    await expect(p).toHaveURL(/\/approvals$/);
    await expect(p.getByRole("button", { name: "Notifications" })).toBeVisible();
    await member.context.close();
  });
});
