/**
 * Model-written fix proposals, end to end (issue 18, item 3), in a workspace of its own: an
 * admin picks a scripted sandbox model as the guardian's model on the Guardian page; runs whose
 * mapping reads a field the flow's input never has fail, no rule can patch them, and the
 * guardian asks the model: its proposal appears marked model-written, with the model's name in
 * the rationale, its diff, and the proof and review every proposal gets.
 */
import { randomUUID } from "node:crypto";
import { expect, test } from "../fixtures";
import { GuardianPage } from "../pages/guardian.page";
import { GREETING_PATCH, greetingFlow } from "../../server/testing/guardian-model-flow";
import { expectRunStatus, mutate } from "../support/api";

test.describe("guardian model", () => {
  test("a scripted model chosen by the admin writes the fix no rule can, shown as model-written", async ({
    page,
    signedInUser: _admin,
  }) => {
    test.setTimeout(300_000);
    const suffix = randomUUID().slice(0, 6);
    await mutate(page.request, "scriptedModel.create", {
      name: `Fixes ${suffix}`,
      rules: [{ kind: "contains", value: "fullName", answer: JSON.stringify(GREETING_PATCH) }],
      fallback: "error",
    });

    const guardian = new GuardianPage(page);
    await guardian.open();
    const settings = page.getByRole("region", { name: "Model-written proposals" });
    await expect(settings).toContainText("No model is chosen");
    const form = settings.getByRole("form", { name: "The guardian's model" });
    await form.getByLabel("Model").selectOption({ label: `scripted model Fixes ${suffix}` });
    await form.getByRole("button", { name: "Save" }).click();
    await expect(settings).toContainText(
      `scripted model Fixes ${suffix} writes a proposal when no rule can patch a group`,
    );

    const dsl = greetingFlow(
      `greeting-${suffix}`,
      `greeting ${suffix}: the name of a customer, for the welcome mail`,
    );
    const flowName = `Greeting ${suffix}`;
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: flowName,
      dsl,
    });
    await mutate(page.request, "workflow.createVersion", { id: wf.id, version: "1.0.0", dsl });
    for (let i = 0; i < 3; i++) {
      const run = await mutate<{ id: string }>(page.request, "run.start", {
        workflowId: wf.id,
        version: "1.0.0",
        inputs: { customer: { name: `Ada ${i}` } },
      });
      await expectRunStatus(page.request, run.id, /^failed$/);
    }

    const row = await guardian.groupOf(flowName);
    await expect(row).toContainText("Mapping");
    const group = await guardian.openGroup(row, "shape", flowName);
    const fix = group.getByRole("article", { name: "Read the customer's name from `name`" });
    /** The page again, the group opened (the guardian works in the background). */
    const reopen = async () => {
      const again = await guardian.groupOf(flowName);
      await again
        .getByRole("button", { name: `Open group shape of ${flowName}` })
        .click()
        .catch(() => undefined);
    };
    await expect(async () => {
      await reopen();
      await expect(fix).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 120_000, intervals: [3_000, 5_000] });
    await expect(fix).toContainText("model-written");
    await expect(fix).toContainText(
      `Written by the model scripted model Fixes ${suffix} (not a rule)`,
    );
    await expect(fix).toContainText("Written by the guardian's model, proposed by guardian");
    const requests = group.getByRole("heading", { name: "Model requests" });
    await expect(requests).toBeVisible();
    await expect(group).toContainText(new RegExp(`proposed\\s*scripted model Fixes ${suffix}`));
    // Proved in the background like every proposal: it waits for review once proven.
    await expect(async () => {
      await reopen();
      await expect(fix).toContainText("Proven in the sandbox", { timeout: 2_000 });
    }).toPass({ timeout: 120_000, intervals: [3_000, 5_000] });
  });
});
