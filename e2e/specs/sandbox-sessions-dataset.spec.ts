/**
 * Sessions started from a dataset version (issue 16), in a workspace of its own: the admin
 * uploads CRM records as a dataset, creates a session from its version (picked by number, rows
 * and hash), sees in the list and the session which dataset version it was started from, and a
 * run in it reads the dataset's record from the session's mocks. The session's real model routes
 * say that none are opted in (the e2e server configures no real model).
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { SandboxSessionsPage } from "../pages/sandbox.page";
import { mutate, query } from "../support/api";

const READ = `flow: sandbox-dataset-e2e
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: fetch
    uses: crm.contact.get@1
    retry: { max: 0 }
    with: { id: CON-1042 }
`;

test("a session started from a dataset version names it, and its runs read the dataset's records", async ({
  page,
  signedInUser: _admin,
}) => {
  test.setTimeout(120_000);
  const name = `contacts-${randomUUID().slice(0, 6)}`;
  const ds = await mutate<{ id: string }>(page.request, "dataset.create", { name });
  const up = await mutate<{ version: { id: string; hash: string } }>(
    page.request,
    "dataset.upload",
    {
      datasetId: ds.id,
      format: "jsonl",
      text: JSON.stringify({
        system: "crm",
        type: "contacts",
        id: "CON-1042",
        email: "from-the-dataset@example.com",
      }),
    },
  );
  const hash = up.version.hash.slice(0, 12);

  const sandbox = new SandboxSessionsPage(page);
  await sandbox.open();
  const session = `from-dataset-${randomUUID().slice(0, 6)}`;
  await sandbox.createSession(session, {
    dataset: `${name} (v1, 1 rows)`,
    version: new RegExp(hash),
  });
  const detail = sandbox.session(session);
  await expect(detail).toContainText(
    `Started from dataset ${name}, version 1 (1 rows, hash ${hash}`,
  );
  await expect(
    page
      .getByRole("table", { name: "Sandbox sessions" })
      .getByRole("row", { name: new RegExp(session) }),
  ).toContainText(`${name} v1`);
  await expect(detail.getByRole("region", { name: "Real model routes" })).toContainText(
    "None: agent steps answer from the demo model",
  );
  await expect(detail).toContainText("No real model is configured");

  // A run in the session reads the dataset's contact from the session's mocks.
  const sessions = await query<
    Array<{ id: string; name: string; dataset: { hash: string } | null }>
  >(page.request, "sandbox.list", {});
  const created = sessions.find((s) => s.name === session)!;
  expect(created.dataset?.hash).toBe(up.version.hash);
  const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
    name: `Dataset read ${randomUUID().slice(0, 6)}`,
    dsl: READ,
  });
  const run = await mutate<{ id: string }>(page.request, "run.start", {
    workflowId: wf.id,
    draft: true,
    sandboxSessionId: created.id,
  });
  await expect
    .poll(
      async () => (await query<{ status: string }>(page.request, "run.get", { id: run.id })).status,
      {
        timeout: 45_000,
        intervals: [100, 250, 500],
      },
    )
    .toBe("succeeded");
  expect(JSON.stringify(await query(page.request, "run.get", { id: run.id }))).toContain(
    "from-the-dataset@example.com",
  );
});
