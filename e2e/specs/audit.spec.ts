/**
 * The audit page shows what really happened: rows expand to their full payload, subjects link to
 * their page, every subject type can be filtered, and the ledger exports to CSV and JSON Lines
 * headed by the chain's verification result (in the browser, and with an API token).
 */
import { readFile } from "node:fs/promises";
import { expect, test } from "../fixtures";
import { AuditPage } from "../pages/audit.page";
import { mutate } from "../support/api";

test("audit rows expand, subjects link to their page, every type filters, exports verify", async ({
  page,
  signedInUser: _signedIn,
}) => {
  const name = `Audited ${Date.now().toString(36)}`;
  const wf = await mutate<{ id: string }>(page.request, "workflow.create", { name });
  const audit = new AuditPage(page);
  await audit.open();
  await audit.expectChainVerified();

  // The full payload of an entry, as hashed.
  expect(await audit.expand("workflow.create", name)).toMatchObject({ name });

  // The subject is named as it is now and links to the studio.
  await audit.openSubject("workflow.create", name);
  await expect(page).toHaveURL(new RegExp(`/studio/${wf.id}$`));

  // Every subject type is offered, run and connector included; filtering keeps that type only.
  await audit.open();
  // (The list comes with the page's data: poll until it is there.)
  await expect
    .poll(() => audit.subjectTypeOptions())
    .toEqual(
      expect.arrayContaining([
        "Any",
        "Workflow",
        "Run",
        "Connector",
        "API token",
        "Member",
        "Group",
      ]),
    );
  await audit.filterBySubjectType("Workflow");
  await expect(page).toHaveURL(/subjectType=workflow/);
  await audit.expectEntry("workflow.create", name);
  await expect(audit.table.getByRole("row").filter({ hasText: "user.sign-up" })).toHaveCount(0);

  // CSV: a header, the verification row, then the filtered entries.
  const csv = await readFile((await (await audit.export("CSV")).path())!, "utf8");
  const lines = csv.split("\r\n").filter(Boolean);
  expect(lines[0]).toBe(
    "record,seq,at,actor,actor_id,action,subject_type,subject_id,payload,prev_hash,hash",
  );
  expect(lines[1]).toMatch(/^verification,\d+,.*,audit\.verify\.ok,workspace,/);
  expect(lines.slice(2).every((l) => l.startsWith("entry,"))).toBe(true);
  expect(lines.slice(2).some((l) => l.includes(",workflow.create,workflow,"))).toBe(true);

  // JSON Lines with an API token (read scope): the verification first, then every entry.
  const token = await mutate<{ secret: string }>(page.request, "token.create", {
    name: "audit export",
    scopes: ["read"],
  });
  const res = await page.request.get("/api/audit/export?format=jsonl", {
    headers: { authorization: `Bearer ${token.secret}` },
  });
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toMatch(/^application\/jsonl/);
  expect(res.headers()["x-trustflow-audit-chain"]).toMatch(/^ok; entries=\d+; head=[0-9a-f]{64}$/);
  const records = (await res.text())
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { record: string; ok?: boolean; entries?: number });
  expect(records[0]).toMatchObject({ record: "verification", ok: true });
  expect(records.length - 1).toBe(records[0]!.entries);
  expect(records.slice(1).every((r) => r.record === "entry")).toBe(true);

  // Bad input is a 400 naming the problem; no credentials is a 401.
  const bad = await page.request.get("/api/audit/export?format=xml");
  expect(bad.status()).toBe(400);
  expect(await bad.text()).toContain("format must be csv or jsonl");
});

test("an export needs a session or a token", async ({ playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL });
  const res = await anonymous.get("/api/audit/export?format=csv");
  expect(res.status()).toBe(401);
  await anonymous.dispose();
});
