/**
 * The approvals inbox, end to end, in a workspace of its own with three people: an admin who
 * starts a run, and two approvers invited into the workspace. The run's approval needs two
 * distinct approvers: the admin who started it is refused (the inbox says why, and break glass
 * on one's own request is refused by the server, its message shown); the two approvers approve
 * from the inbox, the navigation's count following; then a `human.form` is filled in from the
 * inbox (a bad value refused in the browser, another by the server) and the run finishes.
 */
import { randomUUID } from "node:crypto";
import type { Browser, BrowserContext, Page } from "@playwright/test";
import { expect, newUserData, signInViaApi, signUpViaApi, test, type TestUser } from "../fixtures";
import { ApprovalsPage } from "../pages/approvals.page";
import { RunPage } from "../pages/runs.page";
import { mutate, query, shot } from "../support/api";

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
      message: Refund the customer?
      minApprovals: 2
  - id: seats
    uses: human.form@1
    needs: [approve]
    with:
      assignees: { role: approver }
      title: Seats to provision
      schema:
        type: object
        required: [seats]
        properties:
          seats: { type: integer, minimum: 1, maximum: 50, title: Seats }
  - id: record
    uses: data.transform@1
    needs: [seats]
    with:
      fields: { seats: steps.seats.output.values.seats }
outputs:
  seats: \${{ steps.record.output.seats }}
`;

/** A person invited into the admin's workspace as an approver, signed in in a context of their own. */
interface Member {
  user: TestUser;
  context: BrowserContext;
  page: Page;
  inbox: ApprovalsPage;
}

async function inviteApprover(
  browser: Browser,
  admin: Page,
  workspaceId: string,
  baseURL: string | undefined,
): Promise<Member> {
  const user = newUserData("approver");
  const invite = await mutate<{ token: string }>(admin.request, "workspace.invite", {
    email: user.email,
    role: "approver",
  });
  const context = await browser.newContext({ baseURL });
  // The studio acts in the workspace the browser selected (the switcher's choice).
  await context.addInitScript((id) => {
    window.localStorage.setItem("trustflow.workspace", id);
  }, workspaceId);
  const page = await context.newPage();
  await signUpViaApi(page.request, user);
  await signInViaApi(page.request, user);
  await mutate(page.request, "workspace.acceptInvitation", { token: invite.token });
  return { user, context, page, inbox: new ApprovalsPage(page) };
}

test.describe("approvals inbox", () => {
  test("two approvers decide a two-approval step, the requester cannot; a form is filled in; the run finishes", async ({
    browser,
    page,
    signedInUser: admin,
  }, testInfo) => {
    test.setTimeout(120_000);
    const baseURL = testInfo.project.use.baseURL;
    const ws = await query<{ id: string; name: string }>(page.request, "workspace.current");
    const name = `Inbox ${randomUUID().slice(0, 6)}`;
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name,
      dsl: flowText(`inbox-${randomUUID().slice(0, 6)}`),
    });
    const first = await inviteApprover(browser, page, ws.id, baseURL);
    const second = await inviteApprover(browser, page, ws.id, baseURL);

    // The admin starts the run: it parks on the approval, which reaches the inbox by itself.
    const run = await mutate<{ id: string }>(page.request, "run.start", {
      workflowId: wf.id,
      inputs: { amount: 120 },
    });

    // The requester sees what is asked, and why they cannot decide it; no count for them.
    const inbox = new ApprovalsPage(page);
    await inbox.open();
    const step = inbox.card("Approve step approve");
    await expect(step).toBeVisible({ timeout: 20_000 });
    await expect(step.getByTestId("approval-message")).toHaveText("Refund the customer?");
    await expect(step).toContainText(name);
    await expect(step.getByRole("link", { name: `Run ${run.id}` })).toBeVisible();
    await expect(step.getByTestId("approval-requester")).toContainText(admin.email);
    await expect(step).toContainText("2 approvals needed");
    // The run's own inputs, on demand.
    await step.getByText("Inputs of the run").click();
    await expect(step.getByLabel(/^Inputs of the run of/)).toContainText('"amount": 120');
    await inbox.expectCannotDecide(step, /another person must decide/);
    await inbox.expectNavCount(0);
    await shot(page, testInfo, "the requester cannot decide");

    // Break glass is its own action; on one's own request the server refuses it, and says so.
    await step.getByRole("button", { name: /^Break glass/ }).click();
    const dialog = page.getByRole("dialog", { name: "Break glass" });
    await dialog.getByRole("button", { name: "Break glass: approve" }).click();
    await expect(dialog.getByLabel("Reason (required)")).toHaveAccessibleDescription(
      /needs a reason/,
    );
    await dialog.getByLabel("Reason (required)").fill("the customer is waiting");
    await dialog.getByRole("button", { name: "Break glass: approve" }).click();
    await expect(dialog.getByTestId("break-glass-error")).toContainText(/own request/);
    await shot(page, testInfo, "break glass refused on one's own request");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    await expect(step).toHaveAttribute("data-status", "pending");

    // The first approver: counted in the navigation; a rejection without a comment is stopped
    // before it is sent; the approval is counted, one more is needed.
    await first.inbox.open();
    await first.inbox.expectNavCount(1);
    const firstCard = first.inbox.card("Approve step approve");
    await firstCard.getByRole("button", { name: /^Reject:/ }).click();
    await expect(firstCard.getByLabel("Comment", { exact: true })).toHaveAccessibleDescription(
      /A rejection needs a comment/,
    );
    await expect(firstCard).toHaveAttribute("data-status", "pending");
    await first.inbox.approve(firstCard, "amount checked");
    await expect(first.inbox.announcement).toContainText("1 more approval needed");
    await first.inbox.expectCannotDecide(firstCard, /already decided/);
    await expect(firstCard).toContainText("amount checked");
    await first.inbox.expectNavCount(0);
    await shot(first.page, testInfo, "one of two approvals");

    // The second approver completes the quorum; the run moves on to the form.
    await second.inbox.open();
    await second.inbox.expectNavCount(1);
    const secondCard = second.inbox.card("Approve step approve");
    await expect(secondCard).toContainText("2 approvals needed, 1 so far");
    await second.inbox.approve(secondCard);
    await expect(second.inbox.announcement).toContainText("the run continues");
    await expect(secondCard).toHaveCount(0);

    // The form reaches the first approver's inbox (the count follows on the next load).
    await first.inbox.open();
    const form = first.inbox.card("Fill in: Seats to provision");
    await expect(form).toBeVisible({ timeout: 20_000 });
    await first.inbox.expectNavCount(1);

    // A value out of range: refused in the browser, nothing sent.
    const seats = form.getByLabel(/^Seats/);
    await seats.fill("0");
    await form.getByRole("button", { name: /^Submit:/ }).click();
    await expect(seats).toHaveAttribute("aria-invalid", "true");
    await expect(seats).toHaveAccessibleDescription(/Must be at least 1/);
    await expect(form).toHaveAttribute("data-status", "pending");

    // A value the browser does not check (as JSON): the server validates and refuses it.
    await form.getByRole("radio", { name: "JSON" }).click();
    const json = form.getByLabel("Inputs (JSON)");
    await json.fill('{ "seats": 2.5 }');
    await form.getByRole("button", { name: /^Submit:/ }).click();
    await expect(json).toHaveAttribute("aria-invalid", "true");
    await expect(json).toHaveAccessibleDescription(/values do not match the form.*seats/);
    await expect(form).toHaveAttribute("data-status", "pending");
    await shot(first.page, testInfo, "a bad form value refused by the server");

    // A good value: submitted, the run continues and finishes.
    await json.fill('{ "seats": 5 }');
    await form.getByRole("button", { name: /^Submit:/ }).click();
    await expect(first.inbox.announcement).toContainText("the run continues");
    await first.inbox.expectNavCount(0);

    const view = new RunPage(page);
    await page.goto(`/runs/${run.id}`);
    await view.expectShown();
    await view.expectStatus("succeeded");
    await expect(page.getByLabel("Run output")).toContainText('"seats": 5');

    // Decided requests stay readable: who decided, with their comments.
    await inbox.open();
    await inbox.filter("Status", "Decided");
    const decided = inbox.card("Approve step approve");
    await expect(decided).toHaveAttribute("data-status", "approved");
    await expect(decided).toContainText(first.user.email);
    await expect(decided).toContainText(second.user.email);
    await expect(inbox.card("Fill in: Seats to provision")).toHaveAttribute(
      "data-status",
      "submitted",
    );
    await shot(page, testInfo, "decided");
    await inbox.filter("Kind", "Form");
    await expect(inbox.card("Approve step approve")).toHaveCount(0);
    await expect(inbox.card("Fill in: Seats to provision")).toContainText(first.user.email);

    await first.context.close();
    await second.context.close();
  });
});
