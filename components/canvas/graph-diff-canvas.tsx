"use client";

import { Background, MarkerType, ReactFlow, ReactFlowProvider } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import type { FlowGraph } from "@/lib/studio/flow-graph";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "@/lib/studio/layout";
import { routeEdges, type Box } from "./edge-routing";
import { edgeTypes, type RoutedEdge } from "./edges/routed-edge";
import { nodeTypes, type StepNode } from "./nodes/step-node";

/** A read-only graph of two versions: added steps green, removed red, changed amber. */
export function GraphDiffCanvas({ graph }: { graph: FlowGraph }) {
  const pos = useMemo(() => layoutGraph(graph, { all: true }), [graph]);
  const nodes = useMemo<StepNode[]>(
    () =>
      graph.steps.map((s) => ({
        id: s.stepId,
        type: "step",
        position: { x: pos[s.stepId]![0], y: pos[s.stepId]![1] },
        data: s,
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        ariaLabel: `Step ${s.stepId}${s.change ? ` (${s.change})` : ""}`,
      })),
    [graph, pos],
  );
  const edges = useMemo<RoutedEdge[]>(() => {
    const boxes = new Map<string, Box>(
      graph.steps.map((s) => [
        s.stepId,
        { x: pos[s.stepId]![0], y: pos[s.stepId]![1], w: NODE_WIDTH, h: NODE_HEIGHT },
      ]),
    );
    const routes = routeEdges(boxes, graph.edges);
    return graph.edges.map((e) => ({
      id: e.id,
      type: "routed",
      source: e.from,
      target: e.to,
      data: { kind: e.kind, ...(routes[e.id] ? { points: routes[e.id] } : {}) },
      style:
        e.kind === "needs" ? { stroke: "#52525b" } : { stroke: "#0284c7", strokeDasharray: "6 4" },
      markerEnd: { type: MarkerType.ArrowClosed },
    }));
  }, [graph, pos]);
  return (
    <ReactFlowProvider>
      <div className="h-full w-full" data-testid="graph-diff">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          fitView
          proOptions={{ hideAttribution: true }}
          aria-label="Graph diff"
        >
          <Background gap={16} size={1} />
        </ReactFlow>
      </div>
    </ReactFlowProvider>
  );
}
