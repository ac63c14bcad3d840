import { DEMO_WORKSPACE, expect, signInViaApi, test } from "../fixtures";
import { RunPage } from "../pages/runs.page";
import { mutate, query, shot } from "../support/api";

/**
 * The built-in demo model, as a newcomer meets it on a fresh `npm start` (no TRUSTFLOW_MODELS):
 * Settings → Models lists it as "demo model (no AI)", and a flow's agent steps run on it, the run
 * view and the step drawer naming it so.
 */
const DEMO_ADMIN = { email: "admin@demo.trustflow.dev", password: "trustflow-admin" };
const LABEL = "demo model (no AI)";

const FLOW = (name: string) => `flow: ${name}
version: 0.1.0
trigger:
  manual: {}
inputs:
  message:
    type: string
    default: "Billing issue: I was charged twice for invoice INV-2041. Amount: 420."
steps:
  - id: triage
    uses: agent.classify@1
    with:
      text: \${{ inputs.message }}
      labels: [billing, technical, sales]
  - id: reply
    uses: agent.draft@1
    needs: [triage]
    with:
      prompt: Reply to a \${{ steps.triage.output.label }} request.
      output:
        type: object
        required: [subject, body]
        properties:
          subject: { type: string }
          body: { type: string }
outputs:
  label: \${{ steps.triage.output.label }}
  subject: \${{ steps.reply.output.subject }}
`;

test.describe("the demo model (no AI)", DEMO_WORKSPACE, () => {
  test.beforeEach(async ({ page }) => {
    await signInViaApi(page.request, DEMO_ADMIN);
    const models = await query<{ source: string }>(page.request, "model.list");
    // The e2e server runs as a fresh `npm start` does: no TRUSTFLOW_MODELS, the demo model.
    expect(models.source).toBe("demo");
  });

  test("is listed in Settings and runs a flow's agent steps, labelled as such", async ({
    page,
  }, testInfo) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto("/settings");
    const section = page.getByRole("region", { name: "Models" });
    await expect(section.getByRole("table", { name: "Configured models" })).toContainText(LABEL);
    await expect(section.getByTestId("demo-model-notice")).toContainText("TRUSTFLOW_MODELS");
    await section.scrollIntoViewIfNeeded();
    await shot(page, testInfo, "settings-models");

    const name = `demo-agents-${Date.now().toString(36)}`;
    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name,
      dsl: FLOW(name),
    });
    const started = await mutate<{ id: string }>(page.request, "run.start", {
      workflowId: wf.id,
      draft: true,
      inputs: {},
    });
    await page.goto(`/runs/${started.id}`);
    const run = new RunPage(page);
    await run.expectShown();
    await run.expectStatus("succeeded");
    const cost = page.getByRole("table", { name: "Agent cost by model" });
    await expect(cost).toContainText(LABEL);
    await expect(cost.getByText(LABEL)).toHaveAttribute("title", "Configured as trustflow-demo");
    await shot(page, testInfo, "run-agent-cost");

    const drawer = await run.openStep("triage");
    await expect(drawer.getByRole("table", { name: "Agent cost of triage" })).toContainText(LABEL);
    await shot(page, testInfo, "step-drawer");

    const done = await query<{ output: { label: string; subject: string } }>(
      page.request,
      "run.get",
      { id: started.id },
    );
    // The label the text names; the subject from the draft's prompt.
    expect(done.output.label).toBe("billing");
    expect(done.output.subject).toMatch(/^Reply to a billing request/);
  });
});
