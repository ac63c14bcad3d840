/**
 * Workspace groups (issue 13, item 4): an admin creates a group in Settings and adds a member; a
 * flow addressing the group compiles clean in the studio, a misspelt group is TF3060 in the
 * editor's problems, and deleting the group makes the flow's addressing an error again. A viewer
 * sees the groups read-only.
 */
import { DEMO_VIEWER, DEMO_WORKSPACE, expect, signInViaApi, test } from "../fixtures";
import { GroupsPanel } from "../pages/groups.page";
import { StudioPage } from "../pages/studio.page";
import { mutate, query } from "../support/api";

const FLOW = `flow: night-approval
version: 0.1.0
trigger:
  manual: {}
steps:
  - id: decide
    uses: human.approval@1
    with:
      approvers:
        group: night-shift
      message: Ship tonight?
`;

test.describe("workspace groups", () => {
  test("an admin creates a group and adds a member; the studio checks flows against it", async ({
    page,
    signedInUser: user,
  }) => {
    test.setTimeout(120_000);
    const groups = new GroupsPanel(page);
    await groups.open();
    await expect(groups.root.getByText("No groups yet.")).toBeVisible();
    await groups.create("night-shift", "Decides releases after hours");
    await expect(groups.row("night-shift")).toContainText("Decides releases after hours");
    await groups.addMember("night-shift", user.email);

    // A name that is not a slug is refused next to its field, and nothing is created.
    const form = groups.root.getByRole("form", { name: "Create a group" });
    await form.getByLabel("Group name").fill("Night Shift");
    await form.getByRole("button", { name: "Create group" }).click();
    await expect(form.getByText(/lower-case letters, digits or -/)).toBeVisible();
    await expect(groups.root.getByRole("table", { name: "Groups" }).getByRole("row")).toHaveCount(
      2, // the header and night-shift
    );

    const wf = await mutate<{ id: string }>(page.request, "workflow.create", {
      name: "Night approval",
      dsl: FLOW,
    });
    const studio = new StudioPage(page);
    await studio.open(wf.id, "Night approval");
    await studio.editor.expectNoErrors();

    // A typo in the group: TF3060 while typing, in the editor and its problems.
    await studio.editor.replaceAtLineEnd("group: night-shift", "group: night-shfit");
    await studio.editor.expectDiagnostic("TF3060");
    await expect(page.getByRole("list", { name: "Problems" })).toContainText("night-shfit");
    await studio.editor.replaceAtLineEnd("group: night-shfit", "group: night-shift");
    await studio.editor.expectNoErrors();
    // The autosave stores the fixed name (Save draft is off when the typo was never saved).
    await expect
      .poll(
        async () =>
          (await query<{ draft: string }>(page.request, "workflow.get", { id: wf.id })).draft,
      )
      .toMatch(/group: night-shift\n/);

    // Without the group the same flow is an error again.
    await groups.open();
    await groups.delete("night-shift");
    await studio.open(wf.id, "Night approval");
    await studio.editor.expectDiagnostic("TF3060");
  });

  test(
    "a viewer sees the groups and their members, read-only",
    DEMO_WORKSPACE,
    async ({ page }) => {
      await signInViaApi(page.request, DEMO_VIEWER);
      const groups = new GroupsPanel(page);
      await groups.open();
      await expect(groups.row("finance")).toBeVisible();
      await expect(groups.members("finance")).toContainText("approver@demo.trustflow.dev");
      await expect(groups.members("finance")).toContainText("approver2@demo.trustflow.dev");
      await groups.expectReadOnly();
    },
  );
});
