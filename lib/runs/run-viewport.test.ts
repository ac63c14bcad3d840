import { describe, expect, it } from "vitest";
import { boundsOf, fitViewport, READABLE_ZOOM } from "./run-viewport";

const size = { width: 200, height: 60 };

describe("run canvas viewport", () => {
  it("has no bounds without nodes, and the box around them otherwise", () => {
    expect(boundsOf([], size)).toBeNull();
    expect(
      boundsOf(
        [
          { x: 0, y: 0 },
          { x: 300, y: 100 },
        ],
        size,
      ),
    ).toEqual({ x: 0, y: 0, width: 500, height: 160 });
  });

  it("waits for a container with a size (hidden or not laid out yet)", () => {
    const b = { x: 0, y: 0, width: 200, height: 60 };
    expect(fitViewport(b, { width: 0, height: 0 })).toBeNull();
    expect(fitViewport(b, { width: 800, height: 0 })).toBeNull();
  });

  it("centres a small flow at most at 100 %", () => {
    const v = fitViewport({ x: 0, y: 0, width: 200, height: 60 }, { width: 800, height: 400 })!;
    expect(v.zoom).toBe(1);
    // The graph's centre (100, 30) lands on the container's centre (400, 200).
    expect(v.x + 100 * v.zoom).toBe(400);
    expect(v.y + 30 * v.zoom).toBe(200);
  });

  it("shrinks a flow to fit while its labels stay readable", () => {
    const v = fitViewport({ x: 0, y: 0, width: 600, height: 500 }, { width: 1000, height: 448 })!;
    expect(v.zoom).toBeCloseTo(0.8, 5);
    expect(v.x + 300 * v.zoom).toBeCloseTo(500, 1);
    expect(v.y + 250 * v.zoom).toBeCloseTo(224, 1);
    // Too tall to fit at a readable zoom: its top is shown (with the padding), centred across.
    const tall = fitViewport(
      { x: 0, y: 0, width: 600, height: 2000 },
      { width: 1000, height: 448 },
    )!;
    expect(tall.zoom).toBe(READABLE_ZOOM);
    expect(tall.y).toBe(24);
    expect(tall.x + 300 * tall.zoom).toBe(500);
  });

  it("keeps a reserved strip on the left clear (the zoom controls)", () => {
    const b = { x: 0, y: 0, width: 576, height: 288 };
    const v = fitViewport(b, { width: 650, height: 400 }, { reserveLeft: 48 })!;
    // Centred in what is left right of the strip, the graph's left edge clears it.
    expect(v.x + 288 * v.zoom).toBeCloseTo(48 + (650 - 48) / 2, 1);
    expect(v.x).toBeGreaterThanOrEqual(48);
    const wide = fitViewport(
      { ...b, width: 5000 },
      { width: 650, height: 400 },
      { reserveLeft: 48 },
    )!;
    expect(wide.x).toBe(48 + 24);
    expect(fitViewport(b, { width: 40, height: 400 }, { reserveLeft: 48 })).toBeNull();
  });

  it("shows the top-left corner of a flow too wide and too tall", () => {
    const v = fitViewport(
      { x: -50, y: 10, width: 5000, height: 5000 },
      { width: 800, height: 400 },
    )!;
    expect(v).toEqual({
      x: 24 + 50 * READABLE_ZOOM,
      y: 24 - 10 * READABLE_ZOOM,
      zoom: READABLE_ZOOM,
    });
  });
});
