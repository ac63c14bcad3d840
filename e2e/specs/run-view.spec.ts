import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import type { Page } from "@playwright/test";
import { DEMO_WORKSPACE, expect, signInViaApi, test } from "../fixtures";
import { ConnectorsPage } from "../pages/connectors.page";
import { RunPage } from "../pages/runs.page";
import { WorkflowTriggersPage } from "../pages/triggers.page";
import { WorkflowsPage } from "../pages/workflows.page";
import { mutate, query, shot } from "../support/api";

const sh = promisify(execFile);

/** Demo accounts seeded at server start (prisma/demo-users.json). */
const DEMO_ADMIN = { email: "admin@demo.trustflow.dev", password: "trustflow-admin" };
const DEMO_APPROVER = { email: "approver2@demo.trustflow.dev", password: "trustflow-approver2" };

/**
 * Records, at every animation frame from the page's first script on, how many run nodes are
 * drawn inside the run canvas (visible, inside its box) and the run's status: the canvas must
 * never be empty once it is on the page, whatever arrives when.
 */
async function sampleCanvas(page: Page) {
  await page.addInitScript(() => {
    const samples: Array<{ t: number; mounted: boolean; shown: number; status: string }> = [];
    (window as unknown as { __canvasSamples: typeof samples }).__canvasSamples = samples;
    const frame = () => {
      const graph = document.querySelector('[data-testid="run-graph"]');
      let shown = 0;
      if (graph) {
        const box = graph.getBoundingClientRect();
        for (const n of graph.querySelectorAll<HTMLElement>('[data-testid^="run-node-"]')) {
          const r = n.getBoundingClientRect();
          const inside =
            r.width > 0 &&
            r.right > box.left &&
            r.left < box.right &&
            r.bottom > box.top &&
            r.top < box.bottom;
          if (
            inside &&
            getComputedStyle(n).visibility !== "hidden" &&
            n.closest(".react-flow__node")
          )
            shown += 1;
        }
      }
      const status =
        document.querySelector('[data-testid="run-status"]')?.textContent?.trim() ?? "";
      samples.push({ t: performance.now(), mounted: Boolean(graph), shown, status });
      if (samples.length < 20_000) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

async function canvasSamples(page: Page) {
  return page.evaluate(
    () =>
      (
        window as unknown as {
          __canvasSamples: Array<{ t: number; mounted: boolean; shown: number; status: string }>;
        }
      ).__canvasSamples,
  );
}

/** Runs a shell snippet the way a person pastes it into a terminal. */
async function paste(snippet: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { stdout } = await sh("bash", ["-c", `${snippet} -w '\\n%{http_code}'`]);
  const lines = stdout.trimEnd().split("\n");
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join("\n")) as Record<string, unknown> };
}

test.describe("run view", () => {
  test("a live run: the canvas is never empty, a dead-lettered step is not a plain success", async ({
    page,
    signedInUser: _user,
  }, testInfo) => {
    test.setTimeout(120_000);
    // The fresh workspace's billing system is the mock, which fails every account lookup.
    const connectors = new ConnectorsPage(page);
    await connectors.open();
    await connectors.createMockConnector("billing", "billing");
    const faults = await connectors.openFaults("billing");
    await faults.inject({ operation: "account.get", errorRate: 1, status: 503, seed: 7 });

    const name = `Live ${randomUUID().slice(0, 6)}`;
    const dsl = `flow: live-dlq
version: 1.0.0
sla: T1
trigger:
  manual: {}
steps:
  - id: prepare
    uses: data.transform@1
    with:
      fields: { accountId: "'ACC-5521'" }
  - id: lookup
    uses: billing.account.get@1
    on_error: continue
    retry: { max: 1, backoff: fixed, initial_delay: 1s, jitter: none }
    with:
      accountId: \${{ steps.prepare.output.accountId }}
  - id: pause
    uses: control.wait@1
    needs: [lookup]
    with:
      duration: 5s
  - id: record
    uses: data.transform@1
    needs: [pause]
    with:
      fields: { done: "true" }
`;
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", { name, dsl });

    await sampleCanvas(page);
    const started = await mutate<{ id: string }>(page.request, "run.start", {
      workflowId: wf.id,
      draft: true,
    });
    await page.goto(`/runs/${started.id}`);
    const run = new RunPage(page);
    await run.expectShown();
    // While it runs (the lookup's retry, then the timer): the live canvas.
    await expect(run.node("record")).toBeVisible();
    await shot(page, testInfo, "live");

    await run.expectStatus("succeeded with dead letters");
    await run.expectStep("record", "succeeded");
    await run.expectStep("lookup", "failed");
    await expect(run.node("lookup")).toHaveAttribute("data-dead-lettered", "true");
    await expect(page.getByTestId("dead-letters")).toContainText(
      "The run succeeded with dead letters: lookup failed for good after 2 attempts",
    );
    await shot(page, testInfo, "succeeded with dead letters");

    // Every frame since the canvas appeared drew all four steps inside it.
    const samples = await canvasSamples(page);
    const mountedAt = samples.findIndex((s) => s.mounted);
    expect(mountedAt).toBeGreaterThanOrEqual(0);
    const after = samples.slice(mountedAt);
    const live = after.filter((s) => !/^(succeeded|failed|cancelled|compensated)/.test(s.status));
    // The sampling covered the live run: frames from its start to its end, however few a loaded
    // machine draws (a frame can take 100 ms or more under load), spanning at least a second.
    expect(live.length, "frames sampled while the run was live").toBeGreaterThanOrEqual(3);
    expect(live.at(-1)!.t - live[0]!.t, "ms sampled while the run was live").toBeGreaterThan(1000);
    expect(after.at(-1)!.status).toBe("succeeded with dead letters");
    expect(after.filter((s) => s.shown < 4)).toEqual([]);

    // Timeline bars are never thinner than their minimum width, even a 1 ms pure step.
    const bars = page.getByRole("list", { name: "Steps over time" }).getByRole("img");
    await expect(bars.first()).toBeVisible();
    for (const box of await bars.evaluateAll((els) =>
      els.map((e) => e.getBoundingClientRect().width),
    ))
      expect(box).toBeGreaterThanOrEqual(6);

    // The runs list and its filter agree; the workflows list shows it as the last run.
    await page.goto("/runs");
    const row = page
      .getByRole("table", { name: "Runs" })
      .getByRole("row")
      .filter({ has: page.getByRole("link", { name: `Run ${started.id}` }) });
    await expect(row).toContainText("succeeded with dead letters");
    await page
      .getByRole("form", { name: "Filter runs" })
      .getByLabel("Status")
      .selectOption("succeeded");
    await expect(row).toHaveCount(0);
    await page
      .getByRole("form", { name: "Filter runs" })
      .getByLabel("Status")
      .selectOption("succeeded_with_dead_letters");
    await expect(row).toHaveCount(1);
  });

  test(
    "a saga's compensation, an approval's message, and who decided",
    DEMO_WORKSPACE,
    async ({ page, browser }, testInfo) => {
      test.setTimeout(120_000);
      await signInViaApi(page.request, DEMO_ADMIN);
      const suffix = randomUUID().slice(0, 6);
      const name = `Saga ${suffix}`;
      const dsl = `flow: saga-${suffix}
version: 1.0.0
sla: T1
trigger:
  manual: {}
steps:
  - id: account
    uses: billing.account.upsert@2
    with:
      customer: { id: CUS-saga-${suffix}, name: Saga ${suffix}, email: saga-${suffix}@example.test }
      currency: EUR
    compensate: billing.account.archive@1
  - id: approve
    uses: human.approval@1
    needs: [account]
    with:
      approvers: { role: approver }
      message: Open a billing account for Saga ${suffix}?
  - id: invoice
    uses: billing.invoice.get@1
    needs: [approve]
    on_error: compensate
    retry: { max: 0 }
    with:
      invoiceId: INV-9${Date.now()}
`;
      const wf = await mutate<{ id: string }>(page.request, "workflow.create", { name, dsl });
      const started = await mutate<{ id: string }>(page.request, "run.start", {
        workflowId: wf.id,
        draft: true,
      });
      await page.goto(`/runs/${started.id}`);
      const run = new RunPage(page);
      await run.expectShown();
      await run.expectStatus("waiting");
      // The banner quotes the approval's message and says who decides.
      const banner = page.getByTestId("decision-approve");
      await expect(banner).toContainText(`Open a billing account for Saga ${suffix}?`);
      await expect(banner).toContainText("by role approver");
      await shot(page, testInfo, "waiting: the approval's message");

      // An approver (not the admin who started it) approves in their own session.
      const other = await browser.newContext({ baseURL: testInfo.project.use.baseURL });
      const approverPage = await other.newPage();
      await signInViaApi(approverPage.request, DEMO_APPROVER);
      await approverPage.goto(`/runs/${started.id}`);
      await new RunPage(approverPage).approve("approve");
      await other.close();

      // The invoice is missing: the saga archives the account it opened.
      await run.expectStatus("compensated");
      const undo = page.getByTestId("run-node-account~compensate");
      await expect(undo).toBeVisible();
      await expect(undo).toHaveAttribute("data-status", "succeeded");
      await expect(undo).toContainText("billing.account.archive@1");
      await run.expectStep("account", "compensated");
      await run.expectStep("invoice", "failed");
      const undoRow = page.getByTestId("timeline-row-account~compensate");
      await expect(undoRow).toHaveAttribute("data-compensation", "true");
      await expect(undoRow.getByRole("img")).toHaveAttribute(
        "aria-label",
        /compensation succeeded/,
      );
      await shot(page, testInfo, "compensated");

      // The drawer names who decided and when.
      const drawer = await run.openStep("approve");
      await expect(drawer.getByTestId("step-decision")).toContainText(
        `Approved by ${DEMO_APPROVER.email} on`,
      );
      await shot(page, testInfo, "who decided");

      // The mock billing service archived the account the run had opened.
      const detail = await query<{ attempts: Array<{ stepId: string; output: unknown }> }>(
        page.request,
        "run.get",
        { id: started.id },
      );
      const opened = detail.attempts.find((a) => a.stepId === "account")?.output as {
        accountId: string;
      };
      expect(detail.attempts.find((a) => a.stepId === "account~compensate")?.output).toMatchObject({
        accountId: opened.accountId,
        status: "archived",
      });
    },
  );
});

test.describe("workflows and triggers", () => {
  test("the list searches and shows state, trigger and last run; a pasted signed curl starts a run; a schedule shows its next fires", async ({
    page,
    signedInUser: _user,
  }, testInfo) => {
    test.setTimeout(120_000);
    const id = randomUUID().slice(0, 6);
    const hookName = `Hook ${id}`;
    const hook = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: hookName,
      dsl: `flow: hook-${id}
version: 1.0.0
trigger:
  webhook: {}
inputs:
  amount: { type: number, examples: [21] }
steps:
  - id: double
    uses: data.transform@1
    with:
      fields: { doubled: double(inputs.amount) * 2.0 }
outputs:
  doubled: \${{ steps.double.output.doubled }}
`,
    });
    const nightlyName = `Nightly ${id}`;
    const nightly = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: nightlyName,
      dsl: `flow: nightly-${id}
version: 1.0.0
trigger:
  schedule: { cron: "0 2 * * *" }
steps:
  - id: noop
    uses: data.transform@1
    with:
      fields: { ok: "true" }
`,
    });
    const manualName = `Manual ${id}`;
    await mutate(page.request, "workflow.create", {
      name: manualName,
      dsl: `flow: manual-${id}\nversion: 1.0.0\ntrigger:\n  manual: {}\nsteps: []\n`,
    });

    // The list: trigger, state, last run; the search narrows it.
    const workflows = new WorkflowsPage(page);
    await workflows.open();
    const table = page.getByRole("table", { name: "Workflows" });
    const row = (n: string) =>
      table.getByRole("row").filter({ has: page.getByRole("link", { name: n, exact: true }) });
    await expect(row(hookName)).toContainText("Webhook");
    await expect(row(hookName)).toContainText("draft");
    await expect(row(hookName)).toContainText("never run");
    await expect(row(nightlyName)).toContainText("Schedule 0 2 * * *");
    await expect(row(manualName)).toContainText("Manual");
    await page.getByLabel("Search workflows").fill(`schedule ${id}`);
    await expect(row(nightlyName)).toBeVisible();
    await expect(row(hookName)).toHaveCount(0);
    await expect(row(manualName)).toHaveCount(0);
    await page.getByLabel("Search workflows").fill("no such workflow anywhere");
    await expect(page.getByRole("heading", { name: "No workflow matches" })).toBeVisible();
    await page.getByLabel("Search workflows").fill(id);
    await shot(page, testInfo, "workflows list");

    // The hook's Triggers panel, from its trigger column.
    await row(hookName)
      .getByRole("link", { name: /^Triggers of / })
      .click();
    await expect(page).toHaveURL(new RegExp(`/workflows/${hook.id}#triggers$`));
    const triggers = new WorkflowTriggersPage(page);
    await expect(triggers.panel).toBeVisible();
    await expect(triggers.currentTrigger).toContainText("Webhook");
    await expect(triggers.webhookUrl).toHaveValue(new RegExp(`/api/hooks/[^/]+/hook-${id}$`));
    await expect(triggers.webhookState).toHaveText("no secret yet");
    const first = await triggers.newSecret(null);
    await expect(triggers.webhookState).toHaveText("receiving");
    const curl = await triggers.curl();
    expect(curl).toContain(first);
    expect(curl).toContain(`BODY='{"amount":21}'`);
    await shot(page, testInfo, "triggers panel: webhook");

    // Pasted into a shell, it starts a run and answers with its output.
    const answer = await paste(curl);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: "succeeded", output: { doubled: 42 } });
    const runId = String(answer.body.runId);

    // A rotation: the old snippet is refused, the new one works.
    const second = await triggers.newSecret(first);
    expect(second).not.toBe(first);
    const rotatedCurl = await triggers.curl();
    expect(rotatedCurl).toContain(second);
    expect((await paste(curl)).status).toBe(401);
    const again = await paste(rotatedCurl.replace(`BODY='{"amount":21}'`, `BODY='{"amount":5}'`));
    expect(again).toMatchObject({ status: 200, body: { output: { doubled: 10 } } });

    // The run the first curl started, as the run view shows it.
    await page.goto(`/runs/${runId}`);
    await new RunPage(page).expectStatus("succeeded");
    await expect(page.getByText(`webhook:hook-${id}`)).toBeVisible();
    await workflows.open();
    await page.getByLabel("Search workflows").fill(hookName);
    await expect(row(hookName)).toContainText("succeeded");

    // The nightly schedule: the next five fire times, an invalid expression refused, a save.
    await triggers.open(nightly.id, nightlyName);
    await expect(triggers.cron).toHaveValue("0 2 * * *");
    await expect(triggers.fireTimes).toHaveCount(5);
    for (const text of await triggers.fireTimes.allTextContents())
      expect(text).toMatch(/, 02:00:00 UTC/);
    await triggers.cron.fill("61 * * * *");
    await expect(triggers.scheduleError).toContainText("minute 61 is out of range 0-59");
    await expect(
      triggers.panel.getByRole("button", { name: "Save schedule to the draft" }),
    ).toBeDisabled();
    await triggers.cron.fill("*/15 9-17 * * mon-fri");
    await expect(triggers.scheduleError).toHaveCount(0);
    await expect(triggers.fireTimes).toHaveCount(5);
    const times = await triggers.panel
      .getByRole("list", { name: "Next fire times" })
      .locator("time")
      .evaluateAll((els) => els.map((e) => e.getAttribute("datetime") ?? ""));
    const now = Date.now();
    for (const t of times) {
      const d = new Date(t);
      expect(d.getTime()).toBeGreaterThan(now - 60_000);
      expect(d.getUTCMinutes() % 15).toBe(0);
      expect(d.getUTCHours()).toBeGreaterThanOrEqual(9);
      expect(d.getUTCHours()).toBeLessThanOrEqual(17);
      expect([1, 2, 3, 4, 5]).toContain(d.getUTCDay());
    }
    expect([...times].sort()).toEqual(times);
    await shot(page, testInfo, "schedule editor");
    await triggers.saveSchedule();
    await expect(page.getByTestId("schedule-saved")).toContainText("It fires now");
    await page.reload();
    await expect(triggers.currentTrigger).toContainText("Schedule */15 9-17 * * mon-fri");
  });
});
