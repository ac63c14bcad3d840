/** Positions of a run's steps on its read-only canvas: dagre, top to bottom, from `needs`. */
import dagre from "@dagrejs/dagre";

export const RUN_NODE_WIDTH = 200;
export const RUN_NODE_HEIGHT = 64;

/** Top-left corner of every step, laid out by its `needs` edges. */
export function layoutRunGraph(
  steps: ReadonlyArray<{ id: string; needs: readonly string[] }>,
): Record<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 32, ranksep: 48, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(steps.map((s) => s.id));
  for (const s of steps) g.setNode(s.id, { width: RUN_NODE_WIDTH, height: RUN_NODE_HEIGHT });
  for (const s of steps) for (const n of s.needs) if (ids.has(n)) g.setEdge(n, s.id);
  dagre.layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  for (const s of steps) {
    const n = g.node(s.id);
    out[s.id] = {
      x: Math.round(n.x - RUN_NODE_WIDTH / 2),
      y: Math.round(n.y - RUN_NODE_HEIGHT / 2),
    };
  }
  return out;
}
