import { randomUUID } from "node:crypto";
import { test } from "../fixtures";
import { RunsPage } from "../pages/runs.page";
import { mutate } from "../support/api";

/** Built-in blocks only: a transform, a skipped step, a transform after both. */
const FLOW = `flow: e2e-reconcile
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
  - id: never
    uses: data.transform@1
    if: \${{ inputs.amount > 1000.0 }}
    with:
      fields: { big: "true" }
  - id: label
    uses: data.transform@1
    needs: [double]
    with:
      fields: { text: "'amount ' + string(steps.double.output.doubled)" }
outputs:
  doubled: \${{ steps.double.output.doubled }}
`;

test.describe("run reconciliation", () => {
  test("a finished run shows that every step of its flow is accounted for", async ({
    page,
    signedInUser: _user,
  }) => {
    const name = `Reconcile ${randomUUID().slice(0, 6)}`;
    await mutate(page.request, "workflow.create", { name, dsl: FLOW });
    const runs = new RunsPage(page);
    await runs.open();
    const run = await runs.startRun(name, { amount: 21 });
    await run.expectStatus("succeeded");
    await run.expectStep("never", "skipped");
    // Checked in the background after the run's end; the page reads it again until it is.
    await run.expectReconciled(3);
  });
});
