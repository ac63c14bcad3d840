import type { Page } from "@playwright/test";
import { expect, test } from "../fixtures";
import { MonacoEditorPart } from "../pages/editor.part";
import { StudioPage } from "../pages/studio.page";

/** tRPC over HTTP: a mutation is a POST of `{ json: input }`. */
async function mutate<T>(page: Page, path: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/api/trpc/${path}`, { data: { json: input } });
  expect(res.ok(), `${path}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

test.describe("editor intelligence", () => {
  test("completes a block id, an input and a step output, fixes a diagnostic, saves with Ctrl+S", async ({
    page,
    signedInUser: _user,
  }, testInfo) => {
    // A long journey typed key by key on a shared, loaded machine.
    test.setTimeout(240_000);
    const wf = await mutate<{ id: string }>(page, "workflow.createFromTemplate", {
      name: "Editor intelligence",
      template: "quote-to-cash",
    });
    const studio = new StudioPage(page);
    await studio.open(wf.id, "Editor intelligence");
    await studio.canvas.expectNode("deal");
    const editor = new MonacoEditorPart(page, studio);
    const text = () => studio.editor.text();

    // A new step after the last one (before `policies:`).
    const lines = (await text()).split("\n");
    let last = lines.findIndex((l) => l.startsWith("policies:")) - 1;
    while (last > 0 && lines[last]!.trim() === "") last--;
    await editor.endOfLine(last + 1);

    // 1. A block id after `uses:`, from the registry (not words of the document).
    await editor.newLine("");
    await editor.newLine("  - id: followup");
    await editor.newLine("    uses: crm.deal.up");
    await editor.accept("crm.deal.update@1");
    await studio.editor.expectText(/- id: followup\n {4}uses: crm\.deal\.update@1\n/);
    await testInfo.attach("block id", { body: await page.screenshot(), contentType: "image/png" });

    // 2. An input of that block inside `with:`; its documentation names its type.
    await editor.newLine("    with:");
    await editor.newLine("      ");
    await editor.openSuggestions("note");
    // Only the block's inputs (and no words such as `invoice` from the text).
    // Read the list once it holds them: Monaco re-renders it while the completion resolves, and
    // a read in that instant sees no rows.
    await expect
      .poll(() => editor.labels())
      .toEqual(expect.arrayContaining(["id", "stage", "note"]));
    expect(await editor.labels()).not.toContain("invoice");
    await testInfo.attach("inputs", { body: await page.screenshot(), contentType: "image/png" });
    await editor.accept("note", { open: false });
    await studio.editor.expectText(/uses: crm\.deal\.update@1\n {4}with:\n {6}note: \n/);

    // 3. A step output inside `${{ }}`: the step, then its output field.
    await editor.insert("${{ steps.");
    await editor.accept("contract");
    // Accepting a step inserts `contract.output.` and lists its output fields at once.
    await editor.accept("dealId", { open: false });
    await editor.insert(" }}");
    await studio.editor.expectText(/ {6}note: \$\{\{ steps\.contract\.output\.dealId \}\}\n/);
    await studio.canvas.expectNode("followup");

    // 4. The step lacks its required `id`: a diagnostic whose quick fix adds it.
    await studio.editor.expectDiagnostic("TF3011");
    const withLine = (await text()).split("\n").findLastIndex((l) => l === "    with:") + 1;
    await editor.endOfLine(withLine);
    await editor.quickFix("Add the required input `id`");
    await studio.editor.expectText(
      / {6}note: \$\{\{ steps\.contract\.output\.dealId \}\}\n {6}id: DEAL-/,
    );
    await studio.editor.expectNoErrors();

    // 5. Hover on a block reference shows the registry's docs.
    await studio.editor.expectHover("crm.deal.update@1", /Update CRM deal/);

    // 6. Ctrl+S saves the draft at once (the autosave would wait 1.5 s after the last change).
    await editor.endOfLine(2);
    const typedAt = await page.evaluate(() => Date.now());
    await editor.insert(" ");
    const saved = page.waitForRequest((r) => r.url().includes("workflow.saveDraft"));
    await page.keyboard.press("Control+s");
    const request = await saved;
    expect(request.timing().startTime - typedAt).toBeLessThan(1500);
    await expect(page.getByTestId("save-status")).toContainText("Draft saved");
    const stored = await page.request.get(
      `/api/trpc/workflow.get?input=${encodeURIComponent(JSON.stringify({ json: { id: wf.id } }))}`,
    );
    const body = (await stored.json()) as { result: { data: { json: { draft: string } } } };
    expect(body.result.data.json.draft).toBe(await text());
    expect(body.result.data.json.draft).toContain("note: ${{ steps.contract.output.dealId }}");
  });

  test("a switch case's `when` completes and is checked as CEL", async ({
    page,
    signedInUser: _user,
  }) => {
    test.setTimeout(180_000);
    const wf = await mutate<{ id: string }>(page, "workflow.create", {
      name: "Switch conditions",
      dsl: [
        "flow: route-deals",
        "version: 1.0.0",
        "inputs:",
        "  seats: { type: integer }",
        "steps:",
        "  - id: contact",
        "    uses: crm.contact.get@1",
        "    with:",
        "      id: CON-1042",
        "  - id: route",
        "    uses: control.switch@1",
        "    with:",
        "      cases:",
        "        - { label: big, when: inputs.seats >= 500 }",
        "      default: small",
        "",
      ].join("\n"),
    });
    const studio = new StudioPage(page);
    await studio.open(wf.id, "Switch conditions");
    await studio.canvas.expectNode("route");
    await studio.editor.expectNoErrors();
    const editor = new MonacoEditorPart(page, studio);
    const caseLine =
      (await studio.editor.text())
        .split("\n")
        .indexOf("        - { label: big, when: inputs.seats >= 500 }") + 1;

    // Inside the flow mapping's `when`: the steps it may read, then the step's output fields.
    await editor.endOfLine(caseLine);
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("ArrowLeft");
    await editor.insert(" && steps.");
    await editor.accept("contact");
    await editor.accept("email", { open: false });
    await editor.insert(" != ''");
    await studio.editor.expectText(
      "        - { label: big, when: inputs.seats >= 500 && steps.contact.output.email != '' }\n",
    );
    await studio.editor.expectNoErrors();

    // An expression that does not parse is a design-time error, not a run-time failure.
    await editor.insert(" &&");
    await studio.editor.expectDiagnostic("TF2001");
    // (The Problems tab has the focus now.)
    await editor.endOfLine(caseLine);
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("ArrowLeft");
    for (let i = 0; i < 3; i++) await page.keyboard.press("Backspace");
    await studio.editor.expectNoErrors();
  });
});
