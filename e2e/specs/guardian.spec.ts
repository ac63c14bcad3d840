/**
 * The guardian, end to end (issue 18, items 1–3 and 5), in a workspace of its own: runs whose
 * billing write meets an injected 429 storm fail; a few seconds later the Guardian page lists
 * their group as a resilience failure with why its members belong together and the root-cause
 * hints, and proposes a back-off patch of the failing version whose text diff opens in Monaco's
 * diff editor.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { GuardianPage } from "../pages/guardian.page";
import { shot } from "../support/api";
import { failingBillingFlow } from "../support/billing";
import { guardianFlowText } from "../support/guardian";

test.describe("guardian", () => {
  test("a 429 storm is grouped, triaged as resilience and given a back-off patch with its diff", async ({
    page,
    signedInUser: _admin,
  }, testInfo) => {
    test.setTimeout(300_000);
    const suffix = randomUUID().slice(0, 6);
    const flowName = `Guardian fix ${suffix}`;
    await failingBillingFlow(page.request, {
      name: flowName,
      dsl: guardianFlowText(suffix),
      fault: { operation: "account.upsert", errorRate: 1, status: 429, seed: 7 },
      inputs: [0, 1, 2].map((i) => ({ customerId: `CUS-${suffix}-${i}` })),
    });

    const guardian = new GuardianPage(page);
    await guardian.open();
    const row = await guardian.groupOf(flowName);
    await expect(row).toContainText("Resilience");
    await expect(row).toContainText("account");
    await expect(row).toContainText("HTTP 429");
    const group = await guardian.openGroup(row, "account", flowName);
    await expect(group).toContainText(/Same flow, step "account"/);
    await expect(group).toContainText(/rate-limit storm/);
    await expect(group).toContainText(/First failure: run/);
    const fix = group.getByRole("article", { name: /Back off longer on "account"/ });
    await expect(fix).toContainText("patch bump: v1.0.0 → v1.0.1");
    // The guardian proves new proposals in the background at once: any point of that is fine.
    await expect(fix).toContainText(/Proposed, not proven yet|Proving|Proof passed/);
    await fix.getByRole("button", { name: "Show the diff" }).click();
    await expect(fix.getByRole("textbox", { name: "Proposed 1.0.1 (read-only)" })).toBeAttached({
      timeout: 20_000,
    });
    await expect(fix).toContainText("initial_delay");
    await shot(page, testInfo, "a resilience group and its back-off patch");
  });
});
