import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseFlow } from "@/dsl";
import { buildGraph } from "@/lib/studio/flow-graph";
import { layoutGraph } from "@/lib/studio/layout";
import { studioRegistry } from "@/lib/studio/registry";
import { dropPosition, freeSpot, overlaps, placeSteps, type Rect } from "./placement";

const size = { w: 220, h: 84 };
const view: Rect = { x: 0, y: 0, w: 1000, h: 600 };
// Where React Flow puts them: the mini map bottom right, the controls bottom left.
const minimap: Rect = { x: 785, y: 435, w: 200, h: 150 };
const controls: Rect = { x: 15, y: 495, w: 32, h: 90 };

describe("dropPosition", () => {
  it("centres the node on the cursor", () => {
    expect(dropPosition({ x: 400, y: 300 }, size, [minimap, controls], view)).toEqual([290, 258]);
  });

  it("moves a node dropped on the mini map the least distance out from under it", () => {
    const [x, y] = dropPosition({ x: 880, y: 520 }, size, [minimap, controls], view);
    const r = { x, y, ...size };
    expect(overlaps(r, minimap)).toBe(false);
    expect(r.y + r.h).toBeLessThanOrEqual(minimap.y);
    // Straight up: the smallest move (sideways would be 160 px, up 128 px), still in view.
    expect(x).toBe(880 - 110);
    expect(y).toBe(minimap.y - size.h - 8);
  });

  it("moves a node dropped on the controls to their side", () => {
    const [x, y] = dropPosition({ x: 60, y: 540 }, size, [minimap, controls], view);
    expect(overlaps({ x, y, ...size }, controls)).toBe(false);
    expect(x).toBe(controls.x + controls.w + 8);
    expect(y).toBe(540 - 42);
  });
});

describe("freeSpot", () => {
  it("takes the preferred place when it is free", () => {
    expect(freeSpot({ x: 390, y: 258 }, size, [minimap], [], view)).toEqual({
      position: [390, 258],
      inView: true,
    });
  });

  it("finds the nearest place clear of nodes and overlays, inside the view", () => {
    const nodes: Rect[] = [
      { x: 380, y: 250, ...size },
      { x: 380, y: 360, ...size },
    ];
    const r = freeSpot({ x: 390, y: 258 }, size, [minimap, controls], nodes, view);
    expect(r.inView).toBe(true);
    const box = { x: r.position[0], y: r.position[1], ...size };
    for (const n of nodes) expect(overlaps(box, n)).toBe(false);
    expect(overlaps(box, minimap)).toBe(false);
    expect(overlaps(box, controls)).toBe(false);
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.w).toBeLessThanOrEqual(view.w);
    expect(box.y + box.h).toBeLessThanOrEqual(view.h);
  });

  it("goes below everything, out of view, when the view is full", () => {
    const nodes: Rect[] = [];
    for (let x = 0; x < 1000; x += 240)
      for (let y = 0; y < 600; y += 100) nodes.push({ x, y, ...size });
    const r = freeSpot({ x: 390, y: 258 }, size, [minimap], nodes, view);
    expect(r.inView).toBe(false);
    expect(r.position[1]).toBeGreaterThanOrEqual(Math.max(...nodes.map((n) => n.y + n.h)));
  });
});

describe("placeSteps", () => {
  const flow = readFileSync(
    new URL("../../prisma/samples/quote-to-cash.flow.yaml", import.meta.url),
    "utf8",
  );
  const graphOf = (text: string) => buildGraph(parseFlow(text).ast, studioRegistry(), []);

  it("moving one step leaves every other step where it was shown (the auto-laid-out ones too)", () => {
    const g = graphOf(flow);
    // Two steps placed by hand, three laid out by dagre below them.
    expect(Object.keys(g.positions)).toEqual(["contract", "account"]);
    const shown = layoutGraph(g);
    const r = placeSteps(flow, g, shown, [{ type: "move", id: "welcome", position: [600, 700] }]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const after = layoutGraph(graphOf(r.text));
    expect(after).toEqual({ ...shown, welcome: [600, 700] });
    // Without storing them first, the laid-out steps would have moved.
    const naive = graphOf(
      flow.replace("    account: [0, 140]\n", "    account: [0, 140]\n    welcome: [600, 700]\n"),
    );
    expect(layoutGraph(naive)["deal"]).not.toEqual(shown["deal"]);
  });

  it("adds a dropped step at its position, the others kept", () => {
    const g = graphOf(flow);
    const shown = layoutGraph(g);
    const r = placeSteps(flow, g, shown, [
      { type: "add-step", step: { id: "extra", uses: "crm.deal.get@1" }, position: [900, 40] },
    ]);
    expect(r.ok && layoutGraph(graphOf(r.text))).toEqual({ ...shown, extra: [900, 40] });
  });

  it("changes nothing once every step has a position, and refuses a bad edit whole", () => {
    const g = graphOf(flow);
    const placed = placeSteps(flow, g, layoutGraph(g), []);
    expect(placed.ok).toBe(true);
    if (!placed.ok) return;
    const g2 = graphOf(placed.text);
    const again = placeSteps(placed.text, g2, layoutGraph(g2), [
      { type: "move", id: "deal", position: [1, 2] },
    ]);
    expect(again.ok && again.text).toBe(placed.text.replace(/( {4}deal: )\[.*\]/, "$1[1, 2]"));
    expect(
      placeSteps(flow, g, layoutGraph(g), [{ type: "move", id: "nope", position: [0, 0] }]),
    ).toEqual({ ok: false, error: expect.stringContaining("nope") });
  });
});
