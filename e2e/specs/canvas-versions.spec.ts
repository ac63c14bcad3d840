import AxeBuilder from "@axe-core/playwright";
import type { Locator, Page } from "@playwright/test";
import { expect, test } from "../fixtures";
import { StudioPage } from "../pages/studio.page";
import { mutate, shot } from "../support/api";

/**
 * The canvas and versions at 1280 × 800 (issue 13, items 5 and 6): drops land at the cursor and
 * never under the mini map or the controls; renamed steps keep their place; edges go around
 * nodes; the palette shows whole block names, grouped by system; the side panels fold; "Save
 * version" says why it is off; any two versions compare; the diff closes without an error.
 */
test.use({ viewport: { width: 1280, height: 800 } });

/** Console errors and uncaught exceptions of the page, from now on. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

const stepIds = async (page: Page) =>
  (
    (await page.evaluate(() => window.__tfStudio?.text() ?? "")).match(/^\s*- id: (\S+)/gm) ?? []
  ).map((l) => l.replace(/^\s*- id: /, ""));

const canvas = (page: Page) => page.getByTestId("flow-canvas");
const node = (page: Page, id: string) => canvas(page).locator(`.react-flow__node[data-id="${id}"]`);

/** A node's position in flow coordinates (its transform), whatever the zoom. */
async function flowPosition(page: Page, id: string): Promise<[number, number]> {
  const t = await node(page, id).evaluate((el) => (el as HTMLElement).style.transform);
  const m = /translate\(([-\d.]+)px,\s*([-\d.]+)px\)/.exec(t);
  expect(m, `transform of ${id}: ${t}`).not.toBeNull();
  return [Number(m![1]), Number(m![2])];
}

async function fit(page: Page) {
  await canvas(page).getByRole("button", { name: "Fit View" }).click();
}

/**
 * Every edge drawn (sampled every 3 px along its SVG path, in flow coordinates) against every
 * node's box: the edges that pass through a node, and the edges not drawn along their route.
 */
async function edgeProblems(page: Page) {
  return canvas(page).evaluate((root) => {
    const boxes = [...root.querySelectorAll<HTMLElement>(".react-flow__node")].map((n) => {
      const m = /translate\(([-\d.]+)px,\s*([-\d.]+)px\)/.exec(n.style.transform)!;
      return { id: n.dataset.id, x: +m[1]!, y: +m[2]!, w: n.offsetWidth, h: n.offsetHeight };
    });
    const edges = [...root.querySelectorAll<SVGGElement>(".react-flow__edge")];
    const crossings: string[] = [];
    const unrouted: string[] = [];
    for (const e of edges) {
      const id = e.dataset.id ?? e.getAttribute("data-id") ?? "?";
      const path = e.querySelector<SVGPathElement>("path.react-flow__edge-path")!;
      if (path.getAttribute("data-routed") !== "true") unrouted.push(id);
      const len = path.getTotalLength();
      for (let s = 0; s <= len; s += 3) {
        const p = path.getPointAtLength(s);
        const hit = boxes.find(
          (b) => p.x > b.x + 1 && p.x < b.x + b.w - 1 && p.y > b.y + 1 && p.y < b.y + b.h - 1,
        );
        if (hit) {
          crossings.push(`${id} crosses ${hit.id} at ${Math.round(p.x)},${Math.round(p.y)}`);
          break;
        }
      }
    }
    return { edges: edges.length, nodes: boxes.length, crossings, unrouted };
  });
}

async function expectEdgesClearOfNodes(page: Page) {
  await fit(page);
  await expect(async () => {
    const r = await edgeProblems(page);
    expect(r.edges).toBeGreaterThan(0);
    expect(r.unrouted).toEqual([]);
    expect(r.crossings).toEqual([]);
  }).toPass({ timeout: 10_000 });
}

/** HTML5 drag and drop of a palette block onto the canvas at a screen point. */
async function dropBlock(page: Page, blockId: string, at: { x: number; y: number }) {
  const before = await stepIds(page);
  const item = page.locator(`[data-block="${blockId}"]`);
  const pane = canvas(page).locator(".react-flow__pane");
  const dataTransfer = await page.evaluateHandle(() => new DataTransfer());
  await item.dispatchEvent("dragstart", { dataTransfer });
  await pane.dispatchEvent("dragover", { dataTransfer, clientX: at.x, clientY: at.y });
  await pane.dispatchEvent("drop", { dataTransfer, clientX: at.x, clientY: at.y });
  await expect.poll(async () => (await stepIds(page)).length).toBe(before.length + 1);
  const added = (await stepIds(page)).find((id) => !before.includes(id))!;
  await expect(node(page, added)).toBeVisible();
  return added;
}

/** A point in the pane where a node-sized box (at the current zoom) covers nothing. */
async function emptyPoint(page: Page): Promise<{ x: number; y: number }> {
  const p = await canvas(page).evaluate((root) => {
    const pane = root.querySelector(".react-flow__pane")!.getBoundingClientRect();
    const taken = [
      ...root.querySelectorAll(".react-flow__node, .react-flow__minimap, .react-flow__controls"),
    ].map((e) => e.getBoundingClientRect());
    const zoom = Number(
      /scale\(([\d.]+)\)/.exec(
        (root.querySelector(".react-flow__viewport") as HTMLElement).style.transform,
      )?.[1] ?? 1,
    );
    const w = 220 * zoom;
    const h = 84 * zoom;
    for (let y = pane.top + h; y < pane.bottom - h; y += 20) {
      for (let x = pane.left + w; x < pane.right - w; x += 20) {
        const r = {
          left: x - w / 2 - 10,
          right: x + w / 2 + 10,
          top: y - h / 2 - 10,
          bottom: y + h / 2 + 10,
        };
        const free = taken.every(
          (t) => r.right < t.left || r.left > t.right || r.bottom < t.top || r.top > t.bottom,
        );
        if (free) return { x: Math.round(x), y: Math.round(y) };
      }
    }
    return null;
  });
  expect(p, "an empty part of the canvas").not.toBeNull();
  return p!;
}

const overlapping = (
  a: { x: number; y: number; width: number; height: number },
  b: { x: number; y: number; width: number; height: number },
) => a.x < b.x + b.width && a.x + a.width > b.x && a.y < b.y + b.height && a.y + a.height > b.y;

async function box(l: Locator) {
  const b = await l.boundingBox();
  expect(b).not.toBeNull();
  return b!;
}

test.describe("canvas and versions at 1280 px", () => {
  test("drops land at the cursor, renames keep positions, edges avoid nodes, the palette reads whole", async ({
    page,
    signedInUser: _user,
  }, testInfo) => {
    test.setTimeout(240_000);
    const errors = collectErrors(page);
    const wf = await mutate<{ id: string }>(page.request, "workflow.createFromTemplate", {
      name: "Canvas journey",
      template: "quote-to-cash",
    });
    const studio = new StudioPage(page);
    await studio.open(wf.id, "Canvas journey");
    await studio.canvas.expectNode("contract");

    // The studio at 1280 px: the navigation folded to its rail, nothing wider than the window,
    // the YAML pane wide enough to read.
    await expect(page.locator('[data-nav="collapsed"]')).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      1280,
    );
    const editorPane = page.getByRole("region", { name: "Editor" });
    expect((await box(editorPane)).width).toBeGreaterThanOrEqual(400);
    expect((await box(page.getByRole("region", { name: "Canvas" }))).width).toBeGreaterThanOrEqual(
      300,
    );
    await shot(page, testInfo, "studio at 1280");

    // The palette: connectors by system, every name whole, a tooltip, search.
    const palette = page.getByRole("navigation", { name: "Block palette" });
    for (const system of ["CRM", "Billing", "CLM (contracts)", "HTTP"])
      await expect(palette.getByRole("region", { name: system })).toBeVisible();
    await expect(
      palette
        .getByRole("region", { name: "Billing" })
        .locator('[data-block="billing.account.upsert"]'),
    ).toBeVisible();
    const names = await palette.locator('[data-testid="block-name"]').evaluateAll((els) =>
      els.map((el) => ({
        id: el.closest("[data-block]")!.getAttribute("data-block"),
        text: el.textContent,
        fits: el.scrollWidth <= el.clientWidth,
      })),
    );
    expect(names.length).toBeGreaterThan(40);
    for (const n of names) {
      expect(n.text, "the whole id is shown").toBe(n.id);
      expect(n.fits, `${n.id} is not cut`).toBe(true);
    }
    await expect(palette.locator('[data-block="billing.account.upsert"]')).toHaveAttribute(
      "title",
      /^billing\.account\.upsert@2 · Upsert billing account\n/,
    );
    await palette.getByRole("searchbox", { name: "Search blocks" }).fill("refund");
    await expect(palette.locator("[data-block]")).toHaveCount(1);
    await expect(palette.locator('[data-block="billing.refund.create"]')).toBeVisible();
    await palette.getByRole("searchbox", { name: "Search blocks" }).fill("");

    // Edges go around nodes: the template's data edges skip steps (contract ~> deal).
    await expectEdgesClearOfNodes(page);
    await shot(page, testInfo, "edges routed");

    // The palette's + button, on the narrow canvas of the split view: a free place in view,
    // clear of the controls and of other nodes.
    await palette.getByRole("searchbox", { name: "Search blocks" }).fill("agent.classify");
    await palette.locator('[data-block="agent.classify"]').hover();
    const beforeAdd = await stepIds(page);
    await palette.getByRole("button", { name: "Add agent.classify" }).click();
    await expect.poll(async () => (await stepIds(page)).length).toBe(beforeAdd.length + 1);
    const addedId = (await stepIds(page)).find((id) => !beforeAdd.includes(id))!;
    const added = await box(node(page, addedId));
    const splitPane = await box(canvas(page).locator(".react-flow__pane"));
    expect(added.x).toBeGreaterThanOrEqual(splitPane.x);
    expect(added.x + added.width).toBeLessThanOrEqual(splitPane.x + splitPane.width);
    expect(added.y + added.height).toBeLessThanOrEqual(splitPane.y + splitPane.height);
    expect(overlapping(added, await box(canvas(page).locator(".react-flow__controls")))).toBe(
      false,
    );
    for (const other of beforeAdd) {
      if (await node(page, other).isVisible())
        expect(overlapping(added, await box(node(page, other))), `${addedId} on ${other}`).toBe(
          false,
        );
    }
    await palette.getByRole("searchbox", { name: "Search blocks" }).fill("");

    // Drops, on the canvas alone (wide enough for the mini map). A drop lands centred on the
    // cursor.
    await page.getByRole("radio", { name: "Canvas" }).click();
    await fit(page);
    const at = await emptyPoint(page);
    const dropped = await dropBlock(page, "billing.invoice.send", at);
    const b = await box(node(page, dropped));
    expect(Math.abs(b.x + b.width / 2 - at.x)).toBeLessThanOrEqual(2);
    expect(Math.abs(b.y + b.height / 2 - at.y)).toBeLessThanOrEqual(2);
    // Placing one step stored where every step is shown, so none moved to make room.
    const text = await page.evaluate(() => window.__tfStudio!.text());
    for (const id of await stepIds(page)) expect(text).toMatch(new RegExp(`^ {4}${id}: \\[`, "m"));
    await shot(page, testInfo, "dropped at the cursor");

    // A drop on the mini map: the node goes next to it, not under it (nor under the controls).
    const minimap = canvas(page).locator(".react-flow__minimap");
    await expect(minimap).toBeVisible();
    const mm = await box(minimap);
    const onMap = await dropBlock(page, "crm.deal.get", {
      x: Math.round(mm.x + mm.width / 2),
      y: Math.round(mm.y + mm.height / 2),
    });
    const placed = await box(node(page, onMap));
    expect(overlapping(placed, mm)).toBe(false);
    expect(overlapping(placed, await box(canvas(page).locator(".react-flow__controls")))).toBe(
      false,
    );
    const pane = await box(canvas(page).locator(".react-flow__pane"));
    expect(placed.x).toBeGreaterThanOrEqual(pane.x);
    expect(placed.y + placed.height).toBeLessThanOrEqual(pane.y + pane.height);
    await shot(page, testInfo, "dropped on the mini map");

    await page.getByRole("radio", { name: "Split" }).click();
    await fit(page);
    // Renamed in the inspector: same place.
    const invoiceAt = await flowPosition(page, "invoice");
    await studio.canvas.select("invoice");
    const stepId = page.getByRole("form", { name: "Inspector for invoice" }).getByLabel("Step id");
    await stepId.fill("invoice_main");
    await stepId.press("Enter");
    await expect(node(page, "invoice_main")).toBeVisible();
    expect(await flowPosition(page, "invoice_main")).toEqual(invoiceAt);

    // Renamed by typing in the YAML: same place, through every keystroke.
    const accountAt = await flowPosition(page, "account");
    await studio.editor.typeAfter("- id: account", "_x");
    await expect(node(page, "account_x")).toBeVisible();
    expect(await flowPosition(page, "account_x")).toEqual(accountAt);
    await studio.editor.expectText(/^ {4}account_x: \[/m);

    await expectEdgesClearOfNodes(page);
    await shot(page, testInfo, "renamed, edges routed");

    // The side panels fold and come back; folded, the editor gets their room.
    const wide = (await box(editorPane)).width;
    await page.getByRole("button", { name: "Hide side panel" }).click();
    await page.getByRole("button", { name: "Hide block palette" }).click();
    await expect.poll(async () => (await box(editorPane)).width).toBeGreaterThan(wide + 150);
    await shot(page, testInfo, "panels folded");
    await page.getByRole("button", { name: "Show problems" }).click();
    await expect(page.getByRole("tab", { name: /Problems/ })).toHaveAttribute(
      "aria-selected",
      "true",
    );
    await page.getByRole("button", { name: "Show block palette" }).click();
    await expect(palette).toBeVisible();
    // The navigation folds and unfolds too.
    await page.getByRole("button", { name: "Expand navigation" }).click();
    await expect(page.locator('[data-nav="expanded"]')).toBeVisible();
    await expect(
      page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }),
    ).toHaveText("Runs");
    await page.getByRole("button", { name: "Collapse navigation" }).click();
    await expect(page.locator('[data-nav="collapsed"]')).toBeVisible();

    expect(errors).toEqual([]);
  });

  test("save version says why it is off, any two versions compare, the diff closes cleanly", async ({
    page,
    signedInUser: _user,
  }, testInfo) => {
    test.setTimeout(240_000);
    const errors = collectErrors(page);
    const wf = await mutate<{ id: string }>(page.request, "workflow.createFromTemplate", {
      name: "Versions journey",
      template: "quote-to-cash",
    });
    const studio = new StudioPage(page);
    await studio.open(wf.id, "Versions journey");
    await studio.canvas.expectNode("contract");

    // Two versions: the declared one, then one with a step more.
    const first = await studio.saveVersion({ message: "first" });
    await studio.canvas.addBlock("agent.summarize");
    await studio.editor.expectNoErrors();
    const second = await studio.saveVersion({ message: "second" });
    expect(second).not.toBe(first);

    // A draft that does not parse: Save version is off, and says why.
    const saveVersion = page.getByRole("button", { name: "Save version", exact: true });
    await studio.editor.typeAfter("steps:", " [");
    await expect(saveVersion).toBeDisabled();
    const reason = page.getByTestId("save-version-blocked");
    await expect(reason).toHaveText("The YAML does not parse");
    await expect(saveVersion).toHaveAccessibleDescription(
      /^The YAML does not parse \(line \d+: .+\): fix it to save a version\.$/,
    );
    await shot(page, testInfo, "save version blocked");

    // Any two versions compare, whatever the draft.
    await studio.showVersions();
    const form = page.getByRole("form", { name: "Compare versions" });
    await form.getByLabel("Compare", { exact: true }).selectOption({ label: first });
    await form.getByLabel("with", { exact: true }).selectOption({ label: second });
    await form.getByRole("button", { name: "Compare" }).click();
    const compare = page.getByRole("dialog", {
      name: `Compare Version ${first} with Version ${second}`,
    });
    await expect(compare.getByTestId("diff-summary")).toContainText("1 added");
    await expect(compare.getByTestId("text-diff").locator(".monaco-diff-editor")).toBeVisible();
    await shot(page, testInfo, "two versions compared");
    // Both sides of the text diff are named for screen readers (Monaco's diff left them blank).
    await expect(
      compare.locator(".original-in-monaco-diff-editor [role=textbox]").first(),
    ).toHaveAccessibleName(`Version ${first} (read-only)`);
    await expect(
      compare.locator(".modified-in-monaco-diff-editor [role=textbox]").first(),
    ).toHaveAccessibleName(`Version ${second} (read-only)`);
    const axe = await new AxeBuilder({ page })
      .include('[role="dialog"]')
      .withTags(["wcag2a", "wcag2aa"])
      .analyze();
    expect(
      axe.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    ).toEqual([]);
    await compare.getByRole("tab", { name: "Graph diff" }).click();
    await expect(compare.locator('.react-flow__node [data-change="added"]')).toHaveCount(1);
    await compare.getByRole("tab", { name: "Text diff" }).click();
    await expect(compare.getByTestId("text-diff").locator(".monaco-diff-editor")).toBeVisible();
    await compare.getByRole("button", { name: "Close" }).click();
    await expect(compare).toBeHidden();

    // Against the unparsable draft: the text diff only, no invented graph changes.
    await page
      .getByRole("list", { name: "Version history" })
      .getByRole("button", { name: "Compare with current" })
      .first()
      .click();
    const withDraft = page.getByRole("dialog", {
      name: `Compare Version ${second} with the draft`,
    });
    await expect(withDraft.getByTestId("diff-summary")).toHaveText(
      "the draft does not parse: text diff only",
    );
    await expect(withDraft.getByTestId("text-diff").locator(".monaco-diff-editor")).toBeVisible();
    await withDraft.getByRole("button", { name: "Close" }).click();
    await expect(withDraft).toBeHidden();

    // Undone, it can be saved again.
    // (Typing " [" is one undo step, or two when the keys came far apart.)
    const revision = () => page.evaluate(() => window.__tfStudio!.revision());
    for (let i = 0; i < 2 && /^steps: \S/m.test(await studio.editor.text()); i++) {
      const rev = await revision();
      await page.getByRole("button", { name: "Undo" }).click();
      await expect.poll(revision).toBeGreaterThan(rev);
    }
    await studio.editor.expectText(/^steps:$/m);
    await expect(saveVersion).toBeEnabled();
    await expect(reason).toBeHidden();

    // Opening and closing the diffs threw nothing.
    expect(errors).toEqual([]);
  });
});
