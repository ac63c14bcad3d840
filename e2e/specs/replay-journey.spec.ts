/**
 * Replay with a plan, end to end (issue 15), in a workspace of its own: an admin, and two
 * approvers invited into it, each in a browser of their own.
 *
 * 1. A run fails under a fault injected into the mock billing service. An approver asks for a
 *    replay from the run view: the dialog plans it (the failed write re-executed, what succeeded
 *    reused), shows the server's message for inputs the flow refuses, and requests it; that
 *    approver cannot approve it (the inbox says why); the second approver approves it from the
 *    inbox; with the fault cleared, the replay run succeeds, and both runs show their lineage.
 * 2. The run view offers a step's Approve and Reject only to a person the approval's guard lets
 *    decide: the admin who started the run reads why not; an approver decides.
 *
 * (A `human.form` filled in from the inbox, the run then continuing to its end, is walked in
 * approvals-inbox.spec.ts.)
 */
import { randomUUID } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "../fixtures";
import { ApprovalsPage } from "../pages/approvals.page";
import { RunPage } from "../pages/runs.page";
import { expectRunStatus, invitedMemberSession, mutate, query, shot } from "../support/api";
import { failedRuns, failingBillingFlow, mockBilling, savedFlow } from "../support/billing";

const flowText = (suffix: string) => `flow: replay-${suffix}
version: 1.0.0
trigger:
  manual: {}
inputs:
  customerId: { type: string }
  email: { type: string }
steps:
  - id: prepare
    uses: data.transform@1
    with:
      fields: { id: inputs.customerId, email: inputs.email }
  - id: account
    uses: billing.account.upsert@2
    needs: [prepare]
    retry: { max: 0 }
    with:
      customer:
        id: \${{ steps.prepare.output.id }}
        name: Replay ${suffix}
        email: \${{ steps.prepare.output.email }}
      currency: EUR
  - id: confirm
    uses: data.transform@1
    needs: [account]
    with:
      fields: { accountId: steps.account.output.accountId }
outputs:
  accountId: \${{ steps.confirm.output.accountId }}
`;

interface RunData {
  status: string;
  attempts: Array<{ stepId: string; attempt: number; idempotencyKey: string }>;
  lineage: {
    replayOf: { id: string; status: string } | null;
    replays: Array<{ id: string; status: string }>;
  };
}

test.describe("replay journey", () => {
  test("a run failed by a fault is replayed from its failed step: one approver asks with the plan, another approves in the inbox; both runs show their lineage", async ({
    browser,
    page,
    signedInUser: _admin,
  }, testInfo) => {
    test.setTimeout(180_000);
    const baseURL = testInfo.project.use.baseURL;
    const suffix = randomUUID().slice(0, 6);

    // The fresh workspace's billing system is this app's mock billing service; it fails every
    // account write (503) until the fault is cleared.
    const {
      runs: [failedId],
      faults,
    } = await failingBillingFlow(page.request, {
      name: `Replay ${suffix}`,
      dsl: flowText(suffix),
      fault: { operation: "account.upsert", errorRate: 1, status: 503, seed: 3 },
      inputs: [{ customerId: `CUS-${suffix}`, email: `replay-${suffix}@example.test` }],
    });
    const failed = { id: failedId! };
    await faults.clear();
    const requester = await invitedMemberSession(browser, page.request, baseURL);
    const approver = await invitedMemberSession(browser, page.request, baseURL);

    // The first approver opens the failed run and asks for a replay.
    const { page: rp } = requester;
    const original = new RunPage(rp);
    await rp.goto(`/runs/${failed.id}`);
    await original.expectShown();
    await original.expectStatus("failed");
    await original.expectStep("account", "failed");
    await rp.getByRole("button", { name: "Replay…" }).click();
    const dialog = rp.getByRole("dialog", { name: "Replay this run" });
    await expect(dialog.getByRole("radio", { name: /Resume from the failed step/ })).toBeChecked();
    await expect(dialog.getByLabel("Flow version")).toHaveValue("run");

    // The plan, before anything is asked: what succeeded is reused, the failed write and what
    // follows it run again, with the write's side effect and idempotency key.
    const plan = dialog.getByTestId("replay-plan");
    await expect(plan.getByTestId("plan-step-prepare")).toContainText("reused");
    const account = plan.getByTestId("plan-step-account");
    await expect(account).toContainText("re-executed");
    await expect(account).toContainText("write");
    // The failed write keeps its recorded key: a write that happened before its answer was
    // lost is deduplicated by the billing service, not done twice.
    const source = await query<RunData>(page.request, "run.get", { id: failed.id });
    const key = source.attempts.find((a) => a.stepId === "account")!.idempotencyKey;
    await expect(account).toContainText(key);
    await expect(plan.getByTestId("plan-step-confirm")).toContainText("re-executed");
    await expect(plan).toContainText("0 skipped");

    // Edited inputs are sent as an RFC 6902 patch; ones the flow refuses get the server's
    // message, and no request can be made.
    const inputs = dialog.getByLabel(/^Inputs \(JSON/);
    await inputs.fill(`{ "customerId": 42, "email": "replay-${suffix}@example.test" }`);
    await expect(dialog.getByLabel("Inputs patch of the replay")).toContainText('"op": "replace"');
    await expect(dialog.getByTestId("replay-plan-error")).toContainText(
      /patched inputs do not match the flow's inputs/,
    );
    await expect(dialog.getByRole("button", { name: "Request approval" })).toBeDisabled();
    await shot(rp, testInfo, "inputs the flow refuses");
    await inputs.fill("{ customerId: ");
    await expect(inputs).toHaveAttribute("aria-invalid", "true");
    await expect(inputs).toHaveAccessibleDescription(/Not JSON/);
    await dialog.getByRole("button", { name: "Undo input edits" }).click();
    await expect(dialog.getByText("The run's inputs, unchanged.")).toBeVisible();
    await expect(plan.getByTestId("plan-step-prepare")).toContainText("reused");
    await shot(rp, testInfo, "the plan of a resume");
    // The dialog passes axe's WCAG 2 A and AA rules (no serious or critical violation).
    const axe = await new AxeBuilder({ page: rp })
      .include("dialog[open]")
      .withTags(["wcag2a", "wcag2aa"])
      .analyze();
    expect(
      axe.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    ).toEqual([]);

    await dialog.getByRole("button", { name: "Request approval" }).click();
    const requested = dialog.getByTestId("replay-requested");
    await expect(requested).toContainText("A second approver");
    await requested.getByRole("link", { name: "Open the Approvals inbox" }).click();

    // The requester cannot approve their own replay: the inbox says why.
    const inbox = new ApprovalsPage(rp);
    await expect(rp.getByRole("heading", { name: "Approvals", level: 1 })).toBeVisible();
    const title = `Replay of run ${failed.id.slice(0, 8)}`;
    const card = inbox.card(title);
    await expect(card).toBeVisible({ timeout: 20_000 });
    await expect(card.getByTestId("replay-plan")).toBeVisible();
    await inbox.expectCannotDecide(card, /another person must decide/);
    await shot(rp, testInfo, "the requester cannot approve");

    // The original run says a request waits.
    await rp.goto(`/runs/${failed.id}`);
    await expect(rp.getByTestId("replay-requests")).toContainText(
      `requested by ${requester.user.email}`,
    );

    // The second approver approves it from the inbox: the replay starts as a new run.
    const other = new ApprovalsPage(approver.page);
    await other.open();
    const theirs = other.card(title);
    await expect(theirs.getByTestId("replay-plan")).toBeVisible();
    await other.approve(theirs, "fault cleared, resume");
    await expect(other.announcement).toContainText("the replay starts as a new run");

    let replayId = "";
    await expect
      .poll(
        async () => {
          const run = await query<RunData>(page.request, "run.get", { id: failed.id });
          replayId = run.lineage.replays[0]?.id ?? "";
          return run.lineage.replays.length;
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    await expectRunStatus(page.request, replayId, /^succeeded$/);

    // The replay run: succeeded, the reused step not executed again, its lineage named.
    const { page: ap } = approver;
    const replay = new RunPage(ap);
    await ap.goto(`/runs/${replayId}`);
    await replay.expectShown();
    await replay.expectStatus("succeeded");
    const of = ap.getByTestId("replay-of");
    await expect(of).toContainText(`Replay of run ${failed.id.slice(0, 8)}`);
    await expect(of).toContainText("resumed from the failed step");
    await expect(of).toContainText(`approved by ${approver.user.email}`);
    await expect(ap.getByLabel("Run output")).toContainText('"accountId"');
    await replay.expectStep("prepare", "succeeded");
    await replay.expectStep("account", "succeeded");
    const reused = await replay.openStep("prepare");
    await expect(reused.getByTestId("step-reused")).toContainText(
      `the recorded output of attempt 1 of run ${failed.id.slice(0, 8)}`,
    );
    await shot(ap, testInfo, "the replay run's lineage");

    // The original run lists its replay, which links back.
    await of.getByRole("link", { name: `Run ${failed.id}` }).click();
    const back = new RunPage(ap);
    await back.expectShown();
    await back.expectStatus("failed");
    const replays = ap.getByTestId("replays");
    await expect(replays).toContainText("Replayed once");
    await expect(replays.getByRole("link", { name: `Run ${replayId}` })).toBeVisible();
    await expect(replays).toContainText("succeeded");
    await expect(ap.getByTestId("replay-requests")).toHaveCount(0);
    await shot(ap, testInfo, "the original run's replays");

    await requester.context.close();
    await approver.context.close();
  });

  test("a replay from a chosen step on another version reuses a completed write unless it is ticked to be done again", async ({
    browser,
    page,
    signedInUser: _admin,
  }, testInfo) => {
    test.setTimeout(150_000);
    const baseURL = testInfo.project.use.baseURL;
    const ws = await query<{ id: string }>(page.request, "workspace.current");
    const suffix = randomUUID().slice(0, 6);
    const faults = await mockBilling(page.request);
    await faults.inject({ operation: "invoice.create", errorRate: 1, status: 503, seed: 4 });
    // The account write succeeds, the invoice after it fails: a completed write in a failed run.
    const v1 = flowText(suffix).replace(
      "  - id: confirm\n",
      `  - id: invoice
    uses: billing.invoice.create@4
    needs: [account]
    retry: { max: 0 }
    with:
      accountId: \${{ steps.account.output.accountId }}
      currency: EUR
      taxMode: exclusive
      lines: [{ description: Setup, quantity: 1, unitPrice: 100, taxRate: 0.2 }]
  - id: confirm
`,
    );
    const wf = { id: await savedFlow(page.request, `Redo ${suffix}`, v1) };
    const v11 = v1.replace("version: 1.0.0", "version: 1.1.0").replace("Setup", "Setup fee");
    await mutate(page.request, "workflow.createVersion", {
      id: wf.id,
      version: "1.1.0",
      dsl: v11,
      message: "invoice line renamed",
    });
    const [failedId] = await failedRuns(page.request, wf.id, [
      { customerId: `CUS-${suffix}`, email: `redo-${suffix}@example.test` },
    ]);
    const failed = { id: failedId! };
    await faults.clear();

    const run = new RunPage(page);
    await page.goto(`/runs/${failed.id}`);
    await run.expectShown();
    await run.expectStep("account", "succeeded");
    await run.expectStep("invoice", "failed");
    await page.getByRole("button", { name: "Replay…" }).click();
    const dialog = page.getByRole("dialog", { name: "Replay this run" });
    await dialog.getByRole("radio", { name: /Restart from a chosen step/ }).check();
    await dialog.getByLabel("Restart from step").selectOption("prepare");
    await dialog.getByLabel("Flow version").selectOption("1.1.0");
    const plan = dialog.getByTestId("replay-plan");
    // From `prepare` on 1.1.0: the completed account write is carried over, not done again.
    await expect(plan.getByTestId("plan-step-prepare")).toContainText("re-executed");
    await expect(plan.getByTestId("plan-step-account")).toContainText("reused");
    await expect(plan.getByTestId("plan-step-invoice")).toContainText("re-executed");
    await expect(dialog.getByTestId("replay-redo-warning")).toHaveCount(0);
    // Ticked, it is done again under a new idempotency key, and the dialog says so.
    const redo = dialog.getByTestId("replay-redo");
    await redo.getByLabel("Do account again").check();
    await expect(plan.getByTestId("plan-step-account")).toContainText("re-executed");
    await expect(plan.getByTestId("plan-step-account")).toContainText("~redo-");
    await expect(dialog.getByTestId("replay-redo-warning")).toContainText(
      "Writes done again: account",
    );
    await shot(page, testInfo, "a completed write ticked to be done again");
    await redo.getByLabel("Do account again").uncheck();
    await expect(plan.getByTestId("plan-step-account")).toContainText("reused");
    await dialog.getByRole("button", { name: "Request approval" }).click();
    await expect(dialog.getByTestId("replay-requested")).toBeVisible();

    // Another member approves it; the replay runs 1.1.0 and succeeds without a second account.
    const approver = await invitedMemberSession(browser, page.request, baseURL);
    const pending = await query<{
      items: Array<{
        id: string;
        kind: string;
        planHash: string | null;
        plan: { sourceRunId?: string } | null;
      }>;
    }>(page.request, "approval.list", { status: "pending", kind: "replay" });
    const approval = pending.items.find((a) => a.plan?.sourceRunId === failed.id);
    expect(approval, "the replay's approval is in the inbox").toBeTruthy();
    // The member's API calls name the workspace they act in (the browser's switcher does so too).
    const decided = await approver.page.request.post("/api/trpc/approval.decide", {
      headers: { "x-trustflow-workspace": ws.id },
      data: {
        json: {
          id: approval!.id,
          decision: "approve",
          planHash: approval!.planHash,
          comment: "invoice fixed in 1.1.0",
        },
      },
    });
    expect(decided.ok(), await decided.text()).toBe(true);
    let replayId = "";
    await expect
      .poll(
        async () => {
          const r = await query<RunData>(page.request, "run.get", { id: failed.id });
          replayId = r.lineage.replays[0]?.id ?? "";
          return replayId;
        },
        { timeout: 20_000 },
      )
      .not.toBe("");
    await expectRunStatus(page.request, replayId, /^succeeded$/);
    const replay = await query<RunData & { version: string }>(page.request, "run.get", {
      id: replayId,
    });
    expect(replay.version).toBe("1.1.0");
    const source = await query<RunData>(page.request, "run.get", { id: failed.id });
    const accountKey = (r: RunData) =>
      r.attempts.find((a) => a.stepId === "account")!.idempotencyKey;
    expect(accountKey(replay)).toBe(accountKey(source));
    await approver.context.close();
  });

  test("the run view offers a step's decision only to a person the guard lets decide", async ({
    browser,
    page,
    signedInUser: _admin,
  }, testInfo) => {
    test.setTimeout(120_000);
    const baseURL = testInfo.project.use.baseURL;
    const suffix = randomUUID().slice(0, 6);
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: `Guard ${suffix}`,
      dsl: `flow: guard-${suffix}
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: approve
    uses: human.approval@1
    with:
      approvers: { role: approver }
      message: Ship it?
`,
    });
    const approver = await invitedMemberSession(browser, page.request, baseURL);
    // The admin starts the run: the approval's requester.
    const run = await mutate<{ id: string }>(page.request, "run.start", {
      workflowId: wf.id,
      draft: true,
    });

    await page.goto(`/runs/${run.id}`);
    const view = new RunPage(page);
    await view.expectShown();
    const banner = page.getByTestId("decision-approve");
    await expect(banner).toContainText("Ship it?");
    await expect(page.getByTestId("decision-why-not-approve")).toContainText(
      /another person must decide/,
    );
    await expect(page.getByRole("button", { name: "Approve approve" })).toBeDisabled();
    await expect(page.getByRole("button", { name: "Reject approve" })).toBeDisabled();
    await expect(page.getByRole("button", { name: "Approve approve" })).toHaveAccessibleDescription(
      /another person must decide/,
    );
    // The step's drawer says the same, without a decision form.
    await banner.getByRole("button", { name: "Details" }).click();
    const drawer = page.getByRole("complementary", { name: "Step approve" });
    await expect(drawer.getByTestId("step-why-not")).toContainText(/another person must decide/);
    await expect(drawer.getByRole("form", { name: "Decide approve" })).toHaveCount(0);
    await shot(page, testInfo, "the requester cannot decide in the run view");

    // The approver decides from the same banner; the run finishes.
    await approver.page.goto(`/runs/${run.id}`);
    await new RunPage(approver.page).approve("approve");
    await view.expectStatus("succeeded");
    await approver.context.close();
  });
});
