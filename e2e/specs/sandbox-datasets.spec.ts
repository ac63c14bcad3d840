/**
 * Datasets on the Sandbox page (issue 16), in a workspace of its own: the admin creates a
 * dataset, uploads a CSV and sees its rows (quoted fields read as written), uploads the same file
 * again and is told nothing new was stored, uploads a changed file and compares the two
 * versions by their `id` column: one row added, one removed, one changed. A multi-megabyte file
 * passes the API route's body limit; one over the 5 MB cap is refused and stores nothing.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { DatasetsPage } from "../pages/datasets.page";
import { mutate, query } from "../support/api";

const V1 = 'id,name,amount\r\n1,Ada,10\r\n2,"Hopper, Grace",20\r\n3,Alan,30\r\n';
const V2 = 'id,name,amount\n1,Ada,10\n2,"Hopper, Grace",25\n4,Katherine,40\n';

test("upload a CSV, browse its rows, upload a changed version and see the diff", async ({
  page,
  signedInUser: _admin,
}) => {
  const name = `customers-${randomUUID().slice(0, 6)}`;
  const datasets = new DatasetsPage(page);
  await datasets.open();
  await datasets.create(name);

  await datasets.uploadCsv(name, "customers.csv", V1);
  await datasets.expectNotice(name, /Version 1 added/);
  const rows = datasets.rows(name, 1);
  await expect(rows.locator("tbody tr")).toHaveCount(3);
  await expect(rows.getByRole("cell", { name: "Hopper, Grace" })).toBeVisible();

  await datasets.uploadCsv(name, "customers.csv", V1);
  await datasets.expectNotice(name, /version 1 already: nothing new was stored/);

  await datasets.uploadCsv(name, "customers-v2.csv", V2);
  await datasets.expectNotice(name, /Version 2 added/);
  await expect(datasets.rows(name, 2).getByRole("cell", { name: "Katherine" })).toBeVisible();

  await datasets.compare(name, 1, 2, "id");
  await expect(datasets.diffSummary(name)).toHaveText(
    "v1 → v2: 1 added, 1 removed, 1 changed, 1 unchanged",
  );
  const diff = datasets.differences(name);
  await expect(diff.locator("tbody tr")).toHaveCount(3);
  await expect(diff.locator("tbody tr").filter({ hasText: "changed" })).toContainText("amount");
});

test("a 4 MB CSV uploads through the API; a file over 5 MB is refused and stores nothing", async ({
  page,
  signedInUser: _admin,
}) => {
  const ds = await mutate<{ id: string }>(page.request, "dataset.create", {
    name: `big-${randomUUID().slice(0, 6)}`,
  });
  // 9,000 rows of ~460 bytes: about 4 MB, twice the tRPC route's ordinary body limit.
  const pad = "x".repeat(440);
  const big = `id,note\n${Array.from({ length: 9000 }, (_, i) => `${i},"${pad} ""${i}"""`).join("\n")}\n`;
  expect(big.length).toBeGreaterThan(4_000_000);
  const added = await mutate<{ created: boolean; version: { rowCount: number } }>(
    page.request,
    "dataset.upload",
    { datasetId: ds.id, format: "csv", text: big },
  );
  expect(added).toMatchObject({ created: true, version: { rowCount: 9000 } });

  const huge = `id,note\n${Array.from({ length: 9000 }, (_, i) => `${i},${"y".repeat(600)}`).join("\n")}\n`;
  const res = await page.request.post("/api/trpc/dataset.upload", {
    data: { json: { datasetId: ds.id, format: "csv", text: huge } },
  });
  expect(res.status()).toBe(400);
  expect(await res.text()).toContain("larger than 5 MB");
  const versions = await query<unknown[]>(page.request, "dataset.versions", { datasetId: ds.id });
  expect(versions).toHaveLength(1);
});
