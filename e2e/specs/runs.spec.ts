import { randomUUID } from "node:crypto";
import type { APIRequestContext, Page, TestInfo } from "@playwright/test";
import { expect, test } from "../fixtures";
import { RunsPage } from "../pages/runs.page";

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
  test("a run waits for approval on the canvas, is approved and finishes live; another is cancelled", async ({
    page,
    request,
    signedInUser: _user,
  }, testInfo) => {
    const name = `Approve ${randomUUID().slice(0, 6)}`;
    await mutate(page.request, "workflow.create", { name, dsl: FLOW });

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

    // Approve as the same admin (approver rank); the page follows without a reload.
    await page.evaluate(
      () => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true),
    );
    await run.approve("approve");
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
    const second = await runs.startRun(name, { amount: 1 });
    await second.expectPolling();
    await second.expectStep("approve", "waiting");
    await second.expectStatus("waiting");
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
});
