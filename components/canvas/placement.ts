/**
 * Where new steps go on the canvas, and how placing one keeps the others where they are. All
 * coordinates are flow coordinates; the overlays (mini map, zoom controls) are converted from the
 * screen by the caller.
 *
 * - A drop lands centred on the cursor; only when that would put the node under an overlay is it
 *   moved, by the least distance that clears every overlay.
 * - A step added without a drop (the palette's + button, paste) goes to the free place nearest to
 *   the middle of the view: inside the view, clear of overlays and of other nodes.
 */

import { applyEdit, type FlowEdit } from "@/dsl";
import type { FlowGraph } from "@/lib/studio/flow-graph";
import { setAllPositions } from "@/lib/studio/flow-text";

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface XY {
  x: number;
  y: number;
}

/** Whether two rectangles overlap once `a` is grown by `gap` on every side. */
export function overlaps(a: Rect, b: Rect, gap = 0): boolean {
  return (
    a.x - gap < b.x + b.w && a.x + a.w + gap > b.x && a.y - gap < b.y + b.h && a.y + a.h + gap > b.y
  );
}

const inside = (r: Rect, view: Rect) =>
  r.x >= view.x && r.y >= view.y && r.x + r.w <= view.x + view.w && r.y + r.h <= view.y + view.h;

/**
 * The top-left corner for a node of `size` dropped at `cursor`: centred on it, unless that puts
 * it under an overlay; then the nearest position clear of all overlays (within the view when one
 * is).
 */
export function dropPosition(
  cursor: XY,
  size: { w: number; h: number },
  overlays: readonly Rect[],
  view: Rect,
  gap = 8,
): [number, number] {
  const base: Rect = { x: cursor.x - size.w / 2, y: cursor.y - size.h / 2, ...size };
  const clear = (r: Rect) => overlays.every((o) => !overlaps(r, o, gap));
  if (clear(base)) return [Math.round(base.x), Math.round(base.y)];
  // Candidate coordinates: each overlay's sides, just clear of them, and the cursor's own.
  const xs = [base.x];
  const ys = [base.y];
  for (const o of overlays) {
    xs.push(o.x - size.w - gap, o.x + o.w + gap);
    ys.push(o.y - size.h - gap, o.y + o.h + gap);
  }
  let best: { r: Rect; d: number } | null = null;
  for (const x of xs) {
    for (const y of ys) {
      const r: Rect = { x, y, ...size };
      if (!clear(r)) continue;
      // Out of view counts as far: a node pushed off screen would be as lost as one hidden.
      const d = Math.hypot(x - base.x, y - base.y) + (inside(r, view) ? 0 : 1e6);
      if (!best || d < best.d) best = { r, d };
    }
  }
  const r = best?.r ?? base;
  return [Math.round(r.x), Math.round(r.y)];
}

/**
 * A free place for a node of `size`: the candidate nearest to `preferred` (a top-left corner)
 * that lies inside the view and clear of overlays and nodes. Candidates are a grid of half node
 * steps around `preferred`. When the view has no room, the place below every node, and
 * `inView: false` so the caller can bring it into view.
 */
export function freeSpot(
  preferred: XY,
  size: { w: number; h: number },
  overlays: readonly Rect[],
  nodes: readonly Rect[],
  view: Rect,
  gap = 24,
): { position: [number, number]; inView: boolean } {
  const stepX = (size.w + gap) / 2;
  const stepY = (size.h + gap) / 2;
  const rings = Math.ceil(Math.max(view.w / stepX, view.h / stepY)) + 1;
  const free = (r: Rect) =>
    inside(r, { x: view.x + gap / 2, y: view.y + gap / 2, w: view.w - gap, h: view.h - gap }) &&
    overlays.every((o) => !overlaps(r, o, gap / 2)) &&
    nodes.every((n) => !overlaps(r, n, gap));
  let best: { r: Rect; d: number } | null = null;
  for (let ring = 0; ring <= rings && !best; ring++) {
    for (let i = -ring; i <= ring; i++) {
      for (let j = -ring; j <= ring; j++) {
        if (Math.max(Math.abs(i), Math.abs(j)) !== ring) continue; // this ring's border only
        const r: Rect = { x: preferred.x + i * stepX, y: preferred.y + j * stepY, ...size };
        if (!free(r)) continue;
        const d = Math.hypot(i * stepX, j * stepY);
        if (!best || d < best.d) best = { r, d };
      }
    }
  }
  if (best) return { position: [Math.round(best.r.x), Math.round(best.r.y)], inView: true };
  const left = nodes.length ? Math.min(...nodes.map((n) => n.x)) : preferred.x;
  const bottom = nodes.length ? Math.max(...nodes.map((n) => n.y + n.h)) : preferred.y - gap * 2;
  return { position: [Math.round(left), Math.round(bottom + gap * 2)], inView: false };
}

/**
 * Applies edits that place steps (move, add, paste) to `text`. While some steps have no stored
 * position (dagre lays them out), the positions `shown` for every step are stored first: placing
 * one step by hand must not move the others, which the layout would otherwise redo around it.
 * A refused edit changes nothing and says why.
 */
export function placeSteps(
  text: string,
  graph: Pick<FlowGraph, "steps" | "positions"> | null,
  shown: Readonly<Record<string, [number, number]>>,
  edits: readonly FlowEdit[],
): { ok: true; text: string } | { ok: false; error: string } {
  let out = text;
  if (graph && graph.steps.some((s) => !graph.positions[s.stepId])) {
    const all: Record<string, [number, number]> = {};
    for (const s of graph.steps) all[s.stepId] = shown[s.stepId] ?? [0, 0];
    out = setAllPositions(out, all);
  }
  for (const e of edits) {
    const r = applyEdit(out, e);
    if (!r.ok) return { ok: false, error: r.error };
    out = r.text;
  }
  return { ok: true, text: out };
}
