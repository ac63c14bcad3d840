/**
 * Sandbox sessions and draft runs from the studio (issue 16), in a workspace of its own: create a
 * session and make the mock CRM fail `contact.get`; run the draft from the studio in it and see
 * the failure on the canvas; pin the failing step's output and run again: the pinned step is
 * recorded (not called) and the next step uses its output; "Try in sandbox" on the failed run
 * opens the studio in a new session made from it.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { SandboxSessionsPage, StudioSandboxPart } from "../pages/sandbox.page";
import { mutate, query } from "../support/api";

const FLOW = `flow: sandbox-e2e
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: fetch
    uses: crm.contact.get@1
    retry: { max: 0 }
    with: { id: CON-1042 }
  - id: echo
    uses: data.transform@1
    needs: [fetch]
    with:
      fields: { email: "steps.fetch.output.email" }
`;

test("a fault in a session fails a draft run on the canvas; a pinned output gets past it", async ({
  page,
  signedInUser: _admin,
}) => {
  test.setTimeout(120_000);
  const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
    name: `Sandbox ${randomUUID().slice(0, 6)}`,
    dsl: FLOW,
  });
  const session = `faulty-${randomUUID().slice(0, 6)}`;
  const sandbox = new SandboxSessionsPage(page);
  await sandbox.open();
  await sandbox.createSession(session);
  await sandbox.addFault(session, {
    system: "CRM",
    operation: "contact.get",
    errorRate: "1",
    status: "500",
  });
  await expect(sandbox.session(session).getByRole("table", { name: "Fault rules" })).toContainText(
    "errors 100% → 500",
  );

  await page.goto(`/studio/${wf.id}`);
  const part = new StudioSandboxPart(page);
  await part.open();
  await part.run({ session });
  await part.expectStep("fetch", "failed");

  await part.pinJson(
    "fetch",
    '{"id":"CON-1042","email":"pinned@example.com"}',
    "pinned@example.com",
  );
  await part.run({ session, usePins: true });
  await part.expectStep("fetch", "pinned · succeeded");
  await part.expectStep("echo", "succeeded");
  await part.selectStep("echo");
  await expect(part.stepOutput("echo")).toContainText("pinned@example.com");

  // "Try in sandbox" on the failed run: a new session with its inputs, opened in the studio.
  const runs = await query<{ items: Array<{ id: string; status: string }> }>(
    page.request,
    "run.list",
    { workflowId: wf.id },
  );
  const failed = runs.items.find((r) => r.status === "failed")!;
  await page.goto(`/runs/${failed.id}`);
  await page.getByRole("button", { name: "Try in sandbox" }).click();
  await expect(page).toHaveURL(
    new RegExp(`/studio/${wf.id}\\?sandbox=[0-9a-f-]+&inputsFrom=${failed.id}`),
  );
  const copied = new URL(page.url()).searchParams.get("sandbox")!;
  await expect(part.panel.getByLabel("Session", { exact: true })).toHaveValue(copied);
});
