import { createHmac, randomUUID } from "node:crypto";
import type { APIRequestContext, Page, TestInfo } from "@playwright/test";
import { expect, test } from "../fixtures";
import { invitedApprover, query } from "../support/api";
import { RunPage, RunsPage } from "../pages/runs.page";

/** tRPC over HTTP: a mutation is a POST of `{ json: input }`. */
async function mutate<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${path}`, { data: { json: input } });
  expect(res.ok(), `${path}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function shot(page: Page, testInfo: TestInfo, name: string) {
  await testInfo.attach(name, { body: await page.screenshot(), contentType: "image/png" });
}

/** Built-in blocks only: two transforms, an approval, a transform after it. */
const FLOW = `flow: e2e-approve
version: 1.0.0
trigger:
  manual: {}
inputs:
  amount: { type: number }
steps:
  - id: double
    uses: data.transform@1
    with:
      fields: { doubled: double(inputs.amount) * 2.0 }
  - id: label
    uses: data.transform@1
    needs: [double]
    with:
      fields: { text: "'amount ' + string(steps.double.output.doubled)" }
  - id: approve
    uses: human.approval@1
    needs: [label]
    with:
      approvers: { role: approver }
      message: Approve the doubled amount?
  - id: record
    uses: data.transform@1
    needs: [approve]
    with:
      fields: { approved: steps.approve.output.approved }
outputs:
  doubled: \${{ steps.double.output.doubled }}
`;
const STEPS = ["double", "label", "approve", "record"];

test.describe("runs", () => {
  test("a run waits for approval on the canvas, is approved by another person and finishes live; another is cancelled", async ({
    page,
    playwright,
    request,
    signedInUser: _user,
  }, testInfo) => {
    const name = `Approve ${randomUUID().slice(0, 6)}`;
    const flow = await mutate<{ id: string }>(page.request, "workflow.create", { name, dsl: FLOW });

    const runs = new RunsPage(page);
    await runs.open();
    await runs.expectNoRuns();

    // Inputs are checked against the flow's schema on the server; the error names the field.
    await runs.expectInputsRefused(name, '{ "amount": "lots" }', /inputs do not match/);

    const run = await runs.startRun(name, { amount: 21 });
    const runId = run.id;
    await run.expectStep("approve", "waiting");
    await run.expectStep("double", "succeeded");
    await run.expectStep("label", "succeeded");
    await run.expectStep("record", "pending");
    await run.expectStatus("waiting");
    await run.expectFollowingLive();
    await shot(page, testInfo, "waiting for approval");

    // The drawer shows the waiting attempt with its idempotency key.
    const drawer = await run.openStep("approve");
    await expect(drawer.getByTestId("step-drawer-status")).toHaveText("waiting");
    await expect(drawer).toContainText(`${runId}:approve`);

    // Four eyes: the admin started the run, so the admin may not approve it (refused, nothing
    // changes); an approver invited into the workspace approves, and the page follows without
    // a reload.
    await page.evaluate(
      () => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true),
    );
    const decision = { runId, stepId: "approve", decision: "approve" };
    const own = await page.request.post("/api/trpc/run.resume", { data: { json: decision } });
    expect(own.status(), await own.text()).toBe(403);
    await run.expectStep("approve", "waiting");
    const approver = await invitedApprover(page.request, playwright, testInfo.project.use.baseURL);
    await approver.approve(runId, "approve");
    await run.expectStep("record", "succeeded");
    await run.expectStatus("succeeded");
    await run.expectStep("approve", "succeeded");
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    await expect(page.getByLabel("Run output")).toContainText('"doubled": 42');
    await run.expectTimeline(STEPS);
    await expect(
      page.getByTestId("timeline-row-approve").locator('[data-kind="waiting"]'),
    ).toBeVisible();
    await shot(page, testInfo, "succeeded");

    // The scrubber replays the run: before the first event every step is pending.
    await run.scrubTo(0);
    for (const id of STEPS) await run.expectStep(id, "pending");
    await run.backToLive();
    await run.expectStep("record", "succeeded");

    // A second run, followed without the event stream (it fails): the page polls instead, and
    // the run is cancelled while it waits.
    await runs.open();
    await runs.expectListed(runId, "succeeded");
    await page.route("**/api/runs/*/events**", (route) => route.abort());
    // Started by the approver this time (through the API), so the admin watching is not its
    // requester and is offered the decision (four eyes: a requester's buttons are disabled).
    const started = await approver.api.post("/api/trpc/run.start", {
      headers: {
        "x-trustflow-workspace": (await query<{ id: string }>(page.request, "workspace.current"))
          .id,
      },
      data: { json: { workflowId: flow.id, inputs: { amount: 1 } } },
    });
    expect(started.ok(), await started.text()).toBe(true);
    const { id: secondRunId } = (
      (await started.json()) as { result: { data: { json: { id: string } } } }
    ).result.data.json;
    await page.goto(`/runs/${secondRunId}`);
    const second = new RunPage(page);
    await second.expectShown();
    await second.expectPolling();
    await second.expectStep("approve", "waiting");
    await second.expectStatus("waiting");
    // Reject opens the step's drawer: a rejection needs a comment, said before anything is sent.
    await page.getByRole("button", { name: "Reject approve" }).click();
    const decideForm = page.getByRole("form", { name: "Decide approve" });
    await decideForm.getByRole("button", { name: "Reject" }).click();
    await expect(decideForm).toContainText("a rejection needs a comment");
    await second.expectStep("approve", "waiting");
    await page.getByRole("button", { name: "Close step" }).click();
    await second.cancel("not needed");
    await second.expectStatus("cancelled");
    await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
    await expect(page.getByRole("status").filter({ hasText: "not needed" })).toBeVisible();
    await shot(page, testInfo, "cancelled");
    const secondId = second.id;

    // The list filters by status.
    await runs.open();
    await runs.filterByStatus("cancelled");
    await runs.expectListed(secondId, "cancelled");
    await runs.expectNotListed(runId);

    // The event stream needs a session, and membership of the workspace it is asked for.
    const events = `/api/runs/${runId}/events`;
    expect((await request.get(events)).status()).toBe(401);
    expect((await page.request.get(`${events}?workspace=${randomUUID()}`)).status()).toBe(403);
    const finished = await page.request.get(events);
    expect(finished.headers()["content-type"]).toContain("text/event-stream");
    expect(await finished.text()).toContain('event: end\ndata: {"status":"succeeded"');
  });

  test("a signed webhook runs its flow and answers with the output; bad deliveries change nothing", async ({
    page,
    request,
    signedInUser: _user,
  }) => {
    const flow = `hook-${randomUUID().slice(0, 6)}`;
    const dsl = `flow: ${flow}
version: 1.0.0
trigger:
  webhook: {}
inputs:
  amount: { type: number }
steps:
  - id: double
    uses: data.transform@1
    with:
      fields: { doubled: double(inputs.amount) * 2.0 }
outputs:
  doubled: \${{ steps.double.output.doubled }}
`;
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", { name: flow, dsl });
    const hook = await mutate<{ secret: string; path: string }>(
      page.request,
      "trigger.rotateWebhookSecret",
      { workflowId: wf.id },
    );
    const deliver = (body: string, headers: Record<string, string> = {}, query = "?wait=1") => {
      const t = Math.floor(Date.now() / 1000);
      const v1 = createHmac("sha256", hook.secret).update(`${t}.${body}`).digest("hex");
      // No session: webhooks authenticate by their signature alone.
      return request.post(`${hook.path}${query}`, {
        data: body,
        headers: {
          "content-type": "application/json",
          "x-trustflow-signature": `t=${t},v1=${v1}`,
          ...headers,
        },
      });
    };
    const ok = await deliver('{"amount": 21}', { "x-trustflow-delivery": "e2e-1" });
    expect(ok.status()).toBe(200);
    const answer = (await ok.json()) as { runId: string; status: string; output: unknown };
    expect(answer).toMatchObject({ status: "succeeded", output: { doubled: 42 } });

    // A replay, a bad signature, bad inputs, an oversized body: refused, no run started.
    expect((await deliver('{"amount": 21}', { "x-trustflow-delivery": "e2e-1" })).status()).toBe(
      409,
    );
    expect(
      (await deliver('{"amount": 1}', { "x-trustflow-signature": "t=1,v1=00" })).status(),
    ).toBe(401);
    const bad = await deliver('{"amount": "lots"}');
    expect(bad.status()).toBe(400);
    expect(await bad.json()).toMatchObject({ fieldErrors: { amount: [expect.any(String)] } });
    expect((await deliver(`{"pad": "${"x".repeat(1024 * 1024)}"}`)).status()).toBe(413);
    // Without ?wait the run is accepted and runs in the background.
    const queued = await deliver('{"amount": 2}', {}, "");
    expect(queued.status()).toBe(202);

    // The runs: started by the webhook, listed with the others.
    const runs = new RunsPage(page);
    await runs.open();
    await runs.expectListed(answer.runId, "succeeded");
    const listed = await page.request.get(
      `/api/trpc/run.list?input=${encodeURIComponent(JSON.stringify({ json: { workflowId: wf.id, limit: 10 } }))}`,
    );
    const body = (await listed.json()) as {
      result: { data: { json: { items: Array<{ startedBy: string }> } } };
    };
    expect(body.result.data.json.items.map((r) => r.startedBy)).toEqual([
      `webhook:${flow}`,
      `webhook:${flow}`,
    ]);
  });
});
