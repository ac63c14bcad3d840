"use client";

import { Background, MarkerType, ReactFlow, ReactFlowProvider, type Edge } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import type { FlowGraph } from "@/lib/studio/flow-graph";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "@/lib/studio/layout";
import { nodeTypes, type StepNode } from "./nodes/step-node";

/** A read-only graph of two versions: added steps green, removed red, changed amber. */
export function GraphDiffCanvas({ graph }: { graph: FlowGraph }) {
  const nodes = useMemo<StepNode[]>(() => {
    const pos = layoutGraph(graph, { all: true });
    return graph.steps.map((s) => ({
      id: s.stepId,
      type: "step",
      position: { x: pos[s.stepId]![0], y: pos[s.stepId]![1] },
      data: s,
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      ariaLabel: `Step ${s.stepId}${s.change ? ` (${s.change})` : ""}`,
    }));
  }, [graph]);
  const edges = useMemo<Edge[]>(
    () =>
      graph.edges.map((e) => ({
        id: e.id,
        source: e.from,
        target: e.to,
        style:
          e.kind === "needs"
            ? { stroke: "#52525b" }
            : { stroke: "#0284c7", strokeDasharray: "6 4" },
        markerEnd: { type: MarkerType.ArrowClosed },
      })),
    [graph],
  );
  return (
    <ReactFlowProvider>
      <div className="h-full w-full" data-testid="graph-diff">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
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
