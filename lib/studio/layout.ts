/**
 * Where each node goes: the author's `ui.positions` win; the rest is laid out with dagre,
 * top to bottom, around them.
 */
import dagre from "@dagrejs/dagre";
import type { FlowGraph } from "./flow-graph";

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 84;

/** Positions for every step: placed ones as placed, others from dagre (or all when `all`). */
export function layoutGraph(
  graph: Pick<FlowGraph, "steps" | "edges" | "positions">,
  opts: { all?: boolean } = {},
): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  const missing = graph.steps.filter((s) => opts.all || !graph.positions[s.stepId]);
  if (!opts.all) for (const [id, p] of Object.entries(graph.positions)) out[id] = p;
  if (missing.length === 0) return out;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 56, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of graph.steps) g.setNode(s.stepId, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of graph.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  // Steps placed by hand keep their place; dagre's coordinates for the others are shifted so the
  // laid-out part starts below everything placed by hand.
  const placed = Object.values(out);
  const offsetY =
    !opts.all && placed.length ? Math.max(...placed.map((p) => p[1])) + NODE_HEIGHT + 56 : 0;
  let minY = Infinity;
  for (const s of missing) minY = Math.min(minY, g.node(s.stepId).y);
  for (const s of missing) {
    const n = g.node(s.stepId);
    out[s.stepId] = [
      Math.round(n.x - NODE_WIDTH / 2),
      Math.round(
        n.y - NODE_HEIGHT / 2 - (placed.length && !opts.all ? minY - NODE_HEIGHT / 2 : 0) + offsetY,
      ),
    ];
  }
  return out;
}
