/**
 * What React Flow draws for a studio graph: the boxes the router and the placement work with, the
 * node and edge objects (memoised per step and edge, so React Flow skips the unchanged ones), and
 * the key of the graph's structure that decides when the layout reruns. Pure: no React state.
 */
import { MarkerType } from "@xyflow/react";
import type { FlowGraph, GraphEdge, StepNodeData } from "@/lib/studio/flow-graph";
import { NODE_HEIGHT, NODE_WIDTH } from "@/lib/studio/layout";
import type { Box, Point } from "./edge-routing";
import type { RoutedEdge } from "./edges/routed-edge";
import type { StepNode } from "./nodes/step-node";

/** A point in flow coordinates. */
export type XY = { x: number; y: number };

/** Boxes of the steps at the positions shown. */
export function boxesOf(
  graph: FlowGraph,
  at: (id: string) => [number, number] | undefined,
): Map<string, Box> {
  const boxes = new Map<string, Box>();
  for (const s of graph.steps) {
    const p = at(s.stepId) ?? [0, 0];
    boxes.set(s.stepId, { x: p[0], y: p[1], w: NODE_WIDTH, h: NODE_HEIGHT });
  }
  return boxes;
}

/** A key naming the graph's structure: layout only reruns when it changes, not on every key. */
export function structureKey(g: FlowGraph): string {
  return JSON.stringify([g.steps.map((s) => s.stepId), g.edges.map((e) => e.id), g.positions]);
}

/**
 * The node object of a step at a position, reused while its position and selection stay the
 * same: React Flow then skips it (it compares node objects by identity). Keyed by the step's
 * data object, which the store keeps for every step that did not change
 * (`StudioStore.keepIfSame`), so a keystroke that changes one step makes one new node. A memo of
 * a pure function (weakly held: a dropped graph's entries go with it), not component state.
 */
const nodeMemo = new WeakMap<StepNodeData, StepNode>();
export function stepNode(s: StepNodeData, position: XY, selected: boolean): StepNode {
  const prev = nodeMemo.get(s);
  if (
    prev &&
    prev.position.x === position.x &&
    prev.position.y === position.y &&
    prev.selected === selected
  ) {
    return prev;
  }
  const node: StepNode = {
    id: s.stepId,
    type: "step",
    position,
    data: s,
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    selected,
    ariaLabel: `Step ${s.stepId}`,
  };
  nodeMemo.set(s, node);
  return node;
}

/** The edge object of a graph edge along a route, reused while the route is the same one. */
const edgeMemo = new WeakMap<GraphEdge, RoutedEdge>();
export function routedEdge(e: GraphEdge, points: Point[] | undefined): RoutedEdge {
  const prev = edgeMemo.get(e);
  // Unchanged edges keep their object (a drag re-routes a few of hundreds).
  if (prev && prev.data?.points === points) return prev;
  const edge: RoutedEdge =
    e.kind === "needs"
      ? {
          id: e.id,
          type: "routed",
          source: e.from,
          target: e.to,
          data: { kind: "needs", ...(points ? { points } : {}) },
          style: { stroke: "#52525b", strokeWidth: 1.6 },
          markerEnd: { type: MarkerType.ArrowClosed, color: "#52525b" },
          ariaLabel: `${e.from} needs-edge to ${e.to}`,
        }
      : {
          id: e.id,
          type: "routed",
          source: e.from,
          target: e.to,
          data: { kind: "data", ...(points ? { points } : {}) },
          deletable: false,
          style: { stroke: "#0284c7", strokeWidth: 1.4, strokeDasharray: "6 4" },
          markerEnd: { type: MarkerType.Arrow, color: "#0284c7" },
          ariaLabel: `${e.from} data-edge to ${e.to}`,
        };
  edgeMemo.set(e, edge);
  return edge;
}
