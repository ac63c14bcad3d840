/**
 * Positions of a run's steps on its read-only canvas: dagre, top to bottom, from `needs`. The
 * compensations a saga ran sit in a lane to the right of the whole graph, each level with the
 * step it undoes, so the flow's own layout never moves when a compensation appears.
 */
import dagre from "@dagrejs/dagre";

export const RUN_NODE_WIDTH = 232;
export const RUN_NODE_HEIGHT = 64;
/** Space between the flow and the compensation lane. */
export const COMPENSATION_GAP = 112;

type Positions = Record<string, { x: number; y: number }>;

/** Top-left corner of every step, laid out by its `needs` edges. */
export function layoutRunGraph(
  steps: ReadonlyArray<{ id: string; needs: readonly string[] }>,
): Positions {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 32, ranksep: 48, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(steps.map((s) => s.id));
  for (const s of steps) g.setNode(s.id, { width: RUN_NODE_WIDTH, height: RUN_NODE_HEIGHT });
  for (const s of steps) for (const n of s.needs) if (ids.has(n)) g.setEdge(n, s.id);
  dagre.layout(g);
  const out: Positions = {};
  for (const s of steps) {
    const n = g.node(s.id);
    out[s.id] = {
      x: Math.round(n.x - RUN_NODE_WIDTH / 2),
      y: Math.round(n.y - RUN_NODE_HEIGHT / 2),
    };
  }
  return out;
}

/**
 * Positions of compensation nodes (`{ id, stepId }`): a lane right of every step, each at the
 * height of its step; two compensations of one row are stacked so they never overlap.
 */
export function placeCompensations(
  steps: Positions,
  compensations: ReadonlyArray<{ id: string; stepId: string }>,
): Positions {
  const xs = Object.values(steps).map((p) => p.x);
  const laneX = (xs.length ? Math.max(...xs) : 0) + RUN_NODE_WIDTH + COMPENSATION_GAP;
  const out: Positions = {};
  const taken: number[] = [];
  for (const c of compensations) {
    let y = steps[c.stepId]?.y ?? 0;
    while (taken.some((t) => Math.abs(t - y) < RUN_NODE_HEIGHT + 8)) y += RUN_NODE_HEIGHT + 16;
    taken.push(y);
    out[c.id] = { x: laneX, y };
  }
  return out;
}
