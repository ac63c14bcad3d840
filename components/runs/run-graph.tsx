"use client";

import "@xyflow/react/dist/style.css";
import {
  Background,
  ControlButton,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  useReactFlow,
  useStore,
  type Edge,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import { useEffect, useMemo, useRef, useState, type RefObject } from "react";
import {
  layoutRunGraph,
  placeCompensations,
  RUN_NODE_HEIGHT,
  RUN_NODE_WIDTH,
} from "@/lib/runs/run-layout";
import type { CompensationView, StepStatus } from "@/lib/runs/run-state";
import { boundsOf, fitViewport, type Box } from "@/lib/runs/run-viewport";
import { COMPENSATION_STYLE, STEP_STATUS_STYLE } from "./run-status";

/** Serializable node data (no callbacks: selection goes through `onSelect`). */
type StepNodeData = {
  stepId: string;
  blockId: string;
  status: StepStatus;
  selected: boolean;
  deadLettered: boolean;
};
type CompensationNodeData = {
  stepId: string;
  uses: string;
  status: StepStatus;
  selected: boolean;
};
type StepNode = Node<StepNodeData, "step">;
type CompensationNode = Node<CompensationNodeData, "compensation">;

const SIZE = { width: RUN_NODE_WIDTH, height: RUN_NODE_HEIGHT };
/** The zoom controls' column (15 px margin, 26 px buttons, a gap): fitted nodes stay right of it. */
const CONTROLS_STRIP = 48;
const hidden = "!opacity-0";

function RunStepNode({ data }: NodeProps<StepNode>) {
  const style = STEP_STATUS_STYLE[data.status];
  const label = `Step ${data.stepId}: ${data.status}${data.deadLettered ? ", dead-lettered" : ""}`;
  return (
    <div
      data-testid={`run-node-${data.stepId}`}
      data-status={data.status}
      data-dead-lettered={data.deadLettered || undefined}
      aria-label={label}
      title={`${data.stepId} · ${data.blockId} · ${data.status}${data.deadLettered ? " · dead-lettered" : ""}`}
      style={SIZE}
      className={`flex flex-col justify-center rounded-md border-2 px-3 text-left shadow-sm ${style.node} ${
        data.selected ? "ring-2 ring-accent-600 ring-offset-2" : ""
      } ${data.status === "running" ? "animate-pulse" : ""}`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} className={hidden} />
      <div className="flex items-center justify-between gap-2">
        <span className="truncate text-[13px] leading-5 font-semibold">{data.stepId}</span>
        <span className="flex shrink-0 items-center gap-1 text-xs font-medium">
          {data.deadLettered && (
            <span className="rounded bg-red-700 px-1 text-[10px] leading-4 text-white uppercase">
              dlq
            </span>
          )}
          {data.status}
        </span>
      </div>
      <div className="truncate font-mono text-xs leading-4 opacity-80">{data.blockId}</div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} className={hidden} />
      <Handle
        id="undo"
        type="source"
        position={Position.Right}
        isConnectable={false}
        className={hidden}
      />
    </div>
  );
}

function RunCompensationNode({ data }: NodeProps<CompensationNode>) {
  const style = COMPENSATION_STYLE[data.status] ?? COMPENSATION_STYLE.running;
  return (
    <div
      data-testid={`run-node-${data.stepId}~compensate`}
      data-status={data.status}
      aria-label={`Compensation of ${data.stepId}: ${data.status}`}
      title={`Undoes ${data.stepId} with ${data.uses} · ${data.status}`}
      style={SIZE}
      className={`flex flex-col justify-center rounded-md border-2 border-dashed px-3 text-left shadow-sm ${style} ${
        data.selected ? "ring-2 ring-accent-600 ring-offset-2" : ""
      } ${data.status === "running" ? "animate-pulse" : ""}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} className={hidden} />
      <div className="flex items-center justify-between gap-2">
        <span className="truncate text-[13px] leading-5 font-semibold">
          <span aria-hidden>↩ </span>undo {data.stepId}
        </span>
        <span className="shrink-0 text-xs font-medium">{data.status}</span>
      </div>
      <div className="truncate font-mono text-xs leading-4 opacity-80">{data.uses}</div>
    </div>
  );
}

const nodeTypes = { step: RunStepNode, compensation: RunCompensationNode };

/** The container's size, as laid out (0 × 0 until then). */
function useSize(ref: RefObject<HTMLDivElement | null>) {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const read = () => {
      const r = el.getBoundingClientRect();
      setSize((s) =>
        s.width === Math.round(r.width) && s.height === Math.round(r.height)
          ? s
          : { width: Math.round(r.width), height: Math.round(r.height) },
      );
    };
    read();
    const ro = new ResizeObserver(read);
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return size;
}

/**
 * Fits the graph whenever what is drawn changes shape (the flow arrives, a compensation joins)
 * or the container changes size (the drawer opens), until the person pans or zooms; "Fit" in
 * the controls goes back to following. The viewport comes from the layout, not from measured
 * nodes, so it is right from the first frame.
 */
function AutoFit({
  bounds,
  shape,
  size,
  follow,
  request,
}: {
  bounds: Box | null;
  shape: string;
  size: { width: number; height: number };
  follow: boolean;
  /** Bumped by "Fit the flow". */
  request: number;
}) {
  const flow = useReactFlow();
  // The pan/zoom controller exists once the pane has mounted; a fit before it would be lost.
  const ready = useStore((s) => s.panZoom !== null);
  useEffect(() => {
    if (!ready || !follow || !bounds) return;
    const v = fitViewport(bounds, size, { reserveLeft: CONTROLS_STRIP });
    if (v) void flow.setViewport(v);
    // `bounds` follows `shape`; refitting on status changes alone would fight the person.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ready, shape, size.width, size.height, follow, request, flow]);
  return null;
}

/**
 * The run drawn on its flow: the IR snapshot's steps laid out by `needs`, each node coloured by
 * its status (live, or at the scrubber's event), dead-lettered steps marked, and the saga's
 * compensations as dashed nodes beside the steps they undo. Read-only: nodes can be selected,
 * not edited.
 */
export function RunGraph({
  steps,
  statuses,
  deadLettered,
  compensations,
  selected,
  onSelect,
}: {
  steps: ReadonlyArray<{ id: string; needs: readonly string[]; block: { id: string } }>;
  statuses: Record<string, StepStatus>;
  deadLettered: ReadonlySet<string>;
  compensations: readonly CompensationView[];
  selected: string | null;
  onSelect: (stepId: string) => void;
}) {
  const wrapper = useRef<HTMLDivElement>(null);
  const size = useSize(wrapper);
  const [follow, setFollow] = useState(true);
  const [fitRequest, setFitRequest] = useState(0);
  const positions = useMemo(() => layoutRunGraph(steps), [steps]);
  const undoPositions = useMemo(
    () => placeCompensations(positions, compensations),
    [positions, compensations],
  );
  const shape = useMemo(
    () => [...steps.map((s) => s.id), ...compensations.map((c) => c.id)].join("\n"),
    [steps, compensations],
  );
  const bounds = useMemo(
    () => boundsOf([...Object.values(positions), ...Object.values(undoPositions)], SIZE),
    [positions, undoPositions],
  );
  const nodes = useMemo<Array<StepNode | CompensationNode>>(
    () => [
      ...steps.map((s): StepNode => ({
        id: s.id,
        type: "step",
        position: positions[s.id] ?? { x: 0, y: 0 },
        // A known size: shown and fitted before (and without) any measurement.
        width: RUN_NODE_WIDTH,
        height: RUN_NODE_HEIGHT,
        data: {
          stepId: s.id,
          blockId: s.block.id,
          status: statuses[s.id] ?? "pending",
          selected: s.id === selected,
          deadLettered: deadLettered.has(s.id),
        },
        draggable: false,
        connectable: false,
        ariaLabel: `Step ${s.id}: ${statuses[s.id] ?? "pending"}`,
      })),
      ...compensations.map((c): CompensationNode => ({
        id: c.id,
        type: "compensation",
        position: undoPositions[c.id] ?? { x: 0, y: 0 },
        width: RUN_NODE_WIDTH,
        height: RUN_NODE_HEIGHT,
        data: { stepId: c.stepId, uses: c.uses, status: c.status, selected: c.stepId === selected },
        draggable: false,
        connectable: false,
        ariaLabel: `Compensation of ${c.stepId}: ${c.status}`,
      })),
    ],
    [steps, positions, statuses, selected, deadLettered, compensations, undoPositions],
  );
  const edges = useMemo<Edge[]>(
    () => [
      ...steps.flatMap((s) =>
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
      ...compensations.map((c) => ({
        id: `${c.stepId}->${c.id}`,
        source: c.stepId,
        sourceHandle: "undo",
        target: c.id,
        type: "smoothstep",
        label: "compensate",
        labelStyle: { fill: "#9a3412", fontSize: 11 },
        animated: c.status === "running",
        markerEnd: { type: MarkerType.ArrowClosed, color: "#ea580c" },
        style: { stroke: "#ea580c", strokeWidth: 1.5, strokeDasharray: "5 4" },
      })),
    ],
    [steps, statuses, compensations],
  );
  return (
    <div ref={wrapper} className="h-full w-full" data-testid="run-graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        onNodeClick={(_, n) =>
          onSelect(n.type === "compensation" ? (n.data as CompensationNodeData).stepId : n.id)
        }
        // A person moving the view stops the automatic fitting (`event` is null when we move it).
        onMoveStart={(event) => {
          if (event) setFollow(false);
        }}
        minZoom={0.1}
        maxZoom={1.5}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} size={1} />
        <Controls showInteractive={false} showFitView={false}>
          <ControlButton
            onClick={() => {
              setFollow(true);
              setFitRequest((n) => n + 1);
            }}
            title="Fit the flow"
            aria-label="Fit the flow"
          >
            <svg viewBox="0 0 16 16" aria-hidden className="size-3">
              <path
                d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4"
                fill="none"
                stroke="currentColor"
                strokeWidth="1.6"
              />
            </svg>
          </ControlButton>
        </Controls>
        <AutoFit bounds={bounds} shape={shape} size={size} follow={follow} request={fitRequest} />
      </ReactFlow>
    </div>
  );
}
