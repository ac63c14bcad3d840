import { randomUUID } from "node:crypto";
import { AuditPage } from "../pages/audit.page";
import { ShellPage } from "../pages/shell.page";
import { SignInPage } from "../pages/sign-in.page";
import { SignUpPage } from "../pages/sign-up.page";
import { WorkflowsPage } from "../pages/workflows.page";
import { StudioPage } from "../pages/studio.page";
import { DEMO_VIEWER, DEMO_WORKSPACE, expect, newUserData, signInViaApi, test } from "../fixtures";

test("a new user signs up and lands in the studio", async ({ page }) => {
  const user = newUserData("signup");
  const signUp = new SignUpPage(page);
  await signUp.open();
  await signUp.signUp({ ...user, password: "too-short" });
  await signUp.expectFieldError("Password", "Use at least 12 characters.");
  await signUp.signUp({ ...user, password: "password1234" });
  await signUp.expectFieldError("Password", "This is too similar to a commonly used password.");
  await signUp.signUp({ ...user, workspaceName: "Revenue Ops" });

  await new WorkflowsPage(page).expectShown();
  const shell = new ShellPage(page);
  await shell.expectSignedInAs(user.email, "admin");
  await shell.expectWorkspace("Revenue Ops");

  // A second workspace: creating it switches to it, and each workspace keeps its own workflows.
  const workflows = new WorkflowsPage(page);
  await workflows.create("Renewals");
  await workflows.expectListed("Renewals");
  await shell.createWorkspace("Finance Ops");
  await shell.expectWorkspace("Finance Ops");
  await expect(page.getByRole("heading", { name: "No workflows yet" })).toBeVisible();
  await shell.switchWorkspace("Revenue Ops");
  await workflows.expectListed("Renewals");
});

test("a user signs in, manages a workflow, sees it audited and signs out", async ({
  page,
  newUser,
}) => {
  const signIn = new SignInPage(page);
  await signIn.open();
  await signIn.signIn(newUser.email, "not-the-password");
  await signIn.expectError("Wrong email or password.");
  await signIn.signIn(newUser.email, newUser.password);

  const workflows = new WorkflowsPage(page);
  await workflows.expectShown();

  const name = `Quote sync ${randomUUID().slice(0, 6)}`;
  const renamed = `${name} v2`;
  await workflows.create(name, "Keeps quotes and invoices aligned");
  await workflows.expectListed(name);

  await workflows.rename(name, renamed);
  await workflows.expectListed(renamed);
  await workflows.expectNotListed(name);

  await workflows.delete(renamed);
  await workflows.expectNotListed(renamed);
  await workflows.undo();
  await workflows.expectListed(renamed);

  await workflows.delete(renamed);
  await workflows.showDeleted();
  await workflows.expectDeletedListed(renamed);
  await workflows.restoreFromDeleted(renamed);
  await workflows.showActive();
  await workflows.openWorkflow(renamed);
  const studio = new StudioPage(page);
  await studio.editor.waitReady();
  await studio.editor.expectText(/trigger:/);

  const shell = new ShellPage(page);
  await shell.goTo("Audit");
  const audit = new AuditPage(page);
  await audit.expectChainVerified();
  await audit.expectEntry("workflow.create", name);
  await audit.filterByAction("workflow.rename");
  await audit.expectEntry("workflow.rename", renamed);

  await shell.signOut();
  await page.goto("/workflows");
  await signIn.expectShown();
});

test("a viewer sees workflows but no controls to change them", DEMO_WORKSPACE, async ({ page }) => {
  await signInViaApi(page.request, DEMO_VIEWER);
  const workflows = new WorkflowsPage(page);
  await workflows.open();
  await new ShellPage(page).expectSignedInAs(DEMO_VIEWER.email, "viewer");
  await workflows.expectListed("Quote to cash");
  await expect(workflows.createButton()).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^(Rename|Delete) / })).toHaveCount(0);
});
