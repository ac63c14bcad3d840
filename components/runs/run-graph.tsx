"use client";

import "@xyflow/react/dist/style.css";
import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import { useMemo } from "react";
import { layoutRunGraph, RUN_NODE_HEIGHT, RUN_NODE_WIDTH } from "@/lib/runs/run-layout";
import type { StepStatus } from "@/lib/runs/run-state";
import { STEP_STATUS_STYLE } from "./run-status";

/** Serializable node data (no callbacks: selection goes through `onSelect`). */
type StepNodeData = {
  stepId: string;
  blockId: string;
  status: StepStatus;
  selected: boolean;
};
type StepNode = Node<StepNodeData, "step">;

function RunStepNode({ data }: NodeProps<StepNode>) {
  const style = STEP_STATUS_STYLE[data.status];
  return (
    <div
      data-testid={`run-node-${data.stepId}`}
      data-status={data.status}
      aria-label={`Step ${data.stepId}: ${data.status}`}
      style={{ width: RUN_NODE_WIDTH, height: RUN_NODE_HEIGHT }}
      className={`flex flex-col justify-center rounded-md border-2 px-3 text-left shadow-sm ${style.node} ${
        data.selected ? "ring-2 ring-accent-600 ring-offset-2" : ""
      } ${data.status === "running" ? "animate-pulse" : ""}`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} className="!opacity-0" />
      <div className="truncate text-sm font-semibold">{data.stepId}</div>
      <div className="flex items-center justify-between gap-2 text-[11px]">
        <span className="truncate font-mono opacity-80">{data.blockId}</span>
        <span className="shrink-0 font-medium">{data.status}</span>
      </div>
      <Handle
        type="source"
        position={Position.Bottom}
        isConnectable={false}
        className="!opacity-0"
      />
    </div>
  );
}

const nodeTypes = { step: RunStepNode };

/**
 * The run drawn on its flow: the IR snapshot's steps laid out by `needs`, each node coloured by
 * its status (live, or at the scrubber's event). Read-only: nodes can be selected, not edited.
 */
export function RunGraph({
  steps,
  statuses,
  selected,
  onSelect,
}: {
  steps: ReadonlyArray<{ id: string; needs: readonly string[]; block: { id: string } }>;
  statuses: Record<string, StepStatus>;
  selected: string | null;
  onSelect: (stepId: string) => void;
}) {
  const positions = useMemo(() => layoutRunGraph(steps), [steps]);
  const nodes = useMemo<StepNode[]>(
    () =>
      steps.map((s) => ({
        id: s.id,
        type: "step",
        position: positions[s.id] ?? { x: 0, y: 0 },
        data: {
          stepId: s.id,
          blockId: s.block.id,
          status: statuses[s.id] ?? "pending",
          selected: s.id === selected,
        },
        draggable: false,
        connectable: false,
        ariaLabel: `Step ${s.id}: ${statuses[s.id] ?? "pending"}`,
      })),
    [steps, positions, statuses, selected],
  );
  const edges = useMemo<Edge[]>(
    () =>
      steps.flatMap((s) =>
        s.needs.map((n) => {
          const from = statuses[n];
          return {
            id: `${n}->${s.id}`,
            source: n,
            target: s.id,
            animated: from === "succeeded" && (statuses[s.id] ?? "pending") === "running",
            style: { stroke: from === "succeeded" ? "#10b981" : "#a1a1aa", strokeWidth: 1.5 },
          };
        }),
      ),
    [steps, statuses],
  );
  return (
    <div className="h-full w-full" data-testid="run-graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        onNodeClick={(_, n) => onSelect(n.id)}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        minZoom={0.2}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
