"use client";

import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type NodeChange,
  type OnDelete,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import {
  useCallback,
  useEffect,
  useMemo,
  useState,
  type DragEvent,
  type KeyboardEvent,
} from "react";
import type { BlockRegistry } from "@/dsl";
import type { FlowEdit } from "@/dsl/edit/apply-edit";
import type { FlowGraph } from "@/lib/studio/flow-graph";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "@/lib/studio/layout";
import { perfCanvasRendered } from "@/lib/studio/perf";
import { blockRefOf, freshStepId, stepIdBase } from "@/lib/studio/step-ids";
import type { StudioStore } from "@/lib/studio/studio-store";
import { useStudio } from "@/lib/studio/use-studio";
import { KIND_STYLE } from "./kind-style";
import { nodeTypes, type StepNode } from "./nodes/step-node";

/** The drag payload the palette sets: a block's `id@major`. */
export const BLOCK_DRAG_TYPE = "application/x-trustflow-block";

type XY = { x: number; y: number };

/** A key naming the graph's structure: layout only reruns when it changes, not on every key. */
function structureKey(g: FlowGraph): string {
  return JSON.stringify([g.steps.map((s) => s.stepId), g.edges.map((e) => e.id), g.positions]);
}

let clipboard: {
  docs: Record<string, unknown>[];
  positions: Record<string, [number, number]>;
} | null = null;

/**
 * The flow as a graph. Everything it shows derives from the studio text; everything the user
 * does becomes an `applyEdit` on that text (move, connect, delete, add, paste).
 */
export function FlowCanvas({
  store,
  registry,
  readOnly,
  fitNonce = 0,
}: {
  store: StudioStore;
  registry: BlockRegistry;
  readOnly: boolean;
  /** Changing it fits the view (after an auto-layout). */
  fitNonce?: number;
}) {
  const graph = useStudio(store, (s) => s.graph);
  const graphRevision = useStudio(store, (s) => s.graphRevision);
  const stale = useStudio(store, (s) => s.stale);
  const selection = useStudio(store, (s) => s.selection);
  const { screenToFlowPosition, fitView } = useReactFlow();
  const [dragging, setDragging] = useState<Record<string, XY>>({});
  // Node objects of the previous render, reused when unchanged so React Flow skips them.
  const [cache] = useState(() => new Map<string, StepNode>());

  const key = graph ? structureKey(graph) : "";
  // Layout depends on the structure only; typing inside a value keeps every node where it is.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const positions = useMemo(() => (graph ? layoutGraph(graph) : {}), [key]);

  const nodes = useMemo<StepNode[]>(() => {
    if (!graph) return [];
    const selected = new Set(selection);
    return graph.steps.map((s) => {
      const p = positions[s.stepId] ?? [0, 0];
      const position = dragging[s.stepId] ?? { x: p[0], y: p[1] };
      const prev = cache.get(s.stepId);
      if (
        prev &&
        prev.position.x === position.x &&
        prev.position.y === position.y &&
        prev.selected === selected.has(s.stepId) &&
        (prev.data === s || JSON.stringify(prev.data) === JSON.stringify(s))
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
        selected: selected.has(s.stepId),
        ariaLabel: `Step ${s.stepId}`,
      };
      cache.set(s.stepId, node);
      return node;
    });
  }, [graph, positions, selection, dragging, cache]);

  const edges = useMemo<Edge[]>(
    () =>
      (graph?.edges ?? []).map((e) =>
        e.kind === "needs"
          ? {
              id: e.id,
              source: e.from,
              target: e.to,
              data: { kind: "needs" },
              style: { stroke: "#52525b", strokeWidth: 1.6 },
              markerEnd: { type: MarkerType.ArrowClosed, color: "#52525b" },
              ariaLabel: `${e.from} needs-edge to ${e.to}`,
            }
          : {
              id: e.id,
              source: e.from,
              target: e.to,
              data: { kind: "data" },
              deletable: false,
              style: { stroke: "#0284c7", strokeWidth: 1.4, strokeDasharray: "6 4" },
              markerEnd: { type: MarkerType.Arrow, color: "#0284c7" },
              ariaLabel: `${e.from} data-edge to ${e.to}`,
            },
      ),
    [graph],
  );

  useEffect(() => {
    perfCanvasRendered(graphRevision);
  }, [nodes, graphRevision]);

  // The mini map draws every node again; it is not needed for the first paint, so it comes once
  // the browser is idle after opening.
  const [showMiniMap, setShowMiniMap] = useState(false);
  useEffect(() => {
    if (typeof requestIdleCallback === "function") {
      const id = requestIdleCallback(() => setShowMiniMap(true), { timeout: 1500 });
      return () => cancelIdleCallback(id);
    }
    const t = setTimeout(() => setShowMiniMap(true), 300);
    return () => clearTimeout(t);
  }, []);

  // A new flow (or the first graph of an import) is fitted once it has nodes.
  const hasNodes = nodes.length > 0;
  useEffect(() => {
    if (hasNodes) void fitView({ padding: 0.15, maxZoom: 1.1 });
  }, [hasNodes, fitView]);
  useEffect(() => {
    if (fitNonce > 0) void fitView({ padding: 0.15, maxZoom: 1.1, duration: 200 });
  }, [fitNonce, fitView]);

  const onNodesChange = useCallback(
    (changes: NodeChange<StepNode>[]) => {
      let selectionChanged = false;
      const sel = new Set(store.getState().selection);
      const moved: Record<string, XY> = {};
      for (const c of changes) {
        if (c.type === "select") {
          selectionChanged = true;
          if (c.selected) sel.add(c.id);
          else sel.delete(c.id);
        } else if (c.type === "position" && c.position && c.dragging && !readOnly) {
          moved[c.id] = c.position;
        }
      }
      if (selectionChanged) store.select([...sel]);
      if (Object.keys(moved).length > 0) setDragging((d) => ({ ...d, ...moved }));
    },
    [store, readOnly],
  );

  const onNodeDragStop = useCallback(
    (_: unknown, _node: StepNode, dragged: StepNode[]) => {
      if (readOnly) return;
      const edits: FlowEdit[] = dragged.map((n) => ({
        type: "move",
        id: n.id,
        position: [Math.round(n.position.x), Math.round(n.position.y)],
      }));
      store.editAll(edits);
      setDragging({});
    },
    [store, readOnly],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (!readOnly && c.source && c.target)
        store.edit({ type: "connect", from: c.source, to: c.target });
    },
    [store, readOnly],
  );

  const onDelete: OnDelete<StepNode> = useCallback(
    ({ nodes: gone, edges: cut }) => {
      if (readOnly) return;
      const removed = new Set(gone.map((n) => n.id));
      const edits: FlowEdit[] = gone.map((n) => ({ type: "remove-step", id: n.id }));
      for (const e of cut) {
        if ((e.data as { kind?: string } | undefined)?.kind !== "needs") continue;
        if (removed.has(e.source) || removed.has(e.target)) continue;
        edits.push({ type: "disconnect", from: e.source, to: e.target });
      }
      if (edits.length) store.editAll(edits);
    },
    [store, readOnly],
  );

  const onDragOver = useCallback(
    (e: DragEvent) => {
      if (readOnly || !e.dataTransfer.types.includes(BLOCK_DRAG_TYPE)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    },
    [readOnly],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      if (readOnly) return;
      const uses = e.dataTransfer.getData(BLOCK_DRAG_TYPE);
      if (!uses) return;
      e.preventDefault();
      const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const position: [number, number] = [
        Math.round(p.x - NODE_WIDTH / 2),
        Math.round(p.y - NODE_HEIGHT / 2),
      ];
      // Dropped on a `needs` edge: insert the step between its ends.
      const edgeEl = document
        .elementsFromPoint(e.clientX, e.clientY)
        .map((el) => el.closest(".react-flow__edge"))
        .find((el): el is Element => el !== null);
      const edgeId = edgeEl?.getAttribute("data-id") ?? "";
      const [from, to] = edgeId.includes("->") ? edgeId.split("->") : [];
      addBlock(store, registry, uses, position, from && to ? { from, to } : undefined);
    },
    [readOnly, screenToFlowPosition, store, registry],
  );

  const onKeyDown = useCallback(
    (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const k = e.key.toLowerCase();
      if (k === "z" && !e.shiftKey) {
        e.preventDefault();
        store.undo();
      } else if ((k === "z" && e.shiftKey) || k === "y") {
        e.preventDefault();
        store.redo();
      } else if (k === "c") {
        const s = store.getState();
        if (!s.graph || s.selection.length === 0) return;
        clipboard = {
          docs: s.selection.map((id) => s.graph!.docs[id]).filter((d) => d !== undefined),
          positions: Object.fromEntries(
            s.selection.map((id) => [id, positions[id] ?? [0, 0]] as const),
          ),
        };
      } else if (k === "v" && clipboard && !readOnly) {
        e.preventDefault();
        const ids = pasteSteps(store, clipboard);
        if (ids.length) store.select(ids);
      }
    },
    [store, positions, readOnly],
  );

  return (
    <div
      className={`relative h-full w-full ${stale ? "opacity-50 grayscale" : ""}`}
      onKeyDown={onKeyDown}
      // Focusable, so a click on the pane puts keyboard shortcuts (undo, copy, paste) here.
      tabIndex={-1}
      data-testid="flow-canvas"
      data-stale={stale || undefined}
    >
      {stale && (
        <p
          role="status"
          className="absolute top-2 left-1/2 z-10 -translate-x-1/2 rounded bg-red-700 px-3 py-1 text-xs font-medium text-white"
        >
          The YAML does not parse: showing the last valid graph
        </p>
      )}
      <ReactFlow<StepNode, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onDelete={onDelete}
        onDragOver={onDragOver}
        onDrop={onDrop}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        isValidConnection={(c) => c.source !== c.target}
        onlyRenderVisibleElements
        minZoom={0.1}
        fitView
        proOptions={{ hideAttribution: true }}
        aria-label="Flow canvas"
      >
        <Background gap={16} size={1} />
        {showMiniMap && (
          <MiniMap
            pannable
            zoomable
            nodeColor={(n) => KIND_STYLE[(n as StepNode).data.kind].color}
            ariaLabel="Mini map"
          />
        )}
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

/** Adds a block as a new step (its example as inputs), optionally between two steps. */
export function addBlock(
  store: StudioStore,
  registry: BlockRegistry,
  uses: string,
  position: [number, number],
  between?: { from: string; to: string },
): string | null {
  const r = registry.resolve(uses);
  if (!r.ok) return null;
  const taken = Object.keys(store.getState().graph?.docs ?? {});
  const id = freshStepId(stepIdBase(r.block), taken);
  const step = { id, uses: blockRefOf(r.block), with: structuredClone(r.block.example) };
  const ok = between
    ? store.editAll([
        { type: "insert-between", step, from: between.from, to: between.to },
        { type: "move", id, position },
      ])
    : store.edit({ type: "add-step", step, position });
  if (ok) store.select([id]);
  return ok ? id : null;
}

/** Pastes copied steps with fresh ids; `needs` among the pasted steps follow the new ids. */
function pasteSteps(
  store: StudioStore,
  clip: { docs: Record<string, unknown>[]; positions: Record<string, [number, number]> },
): string[] {
  const taken = new Set(Object.keys(store.getState().graph?.docs ?? {}));
  const renamed = new Map<string, string>();
  for (const d of clip.docs) {
    const id = freshStepId(`${String(d.id)}_copy`, taken);
    taken.add(id);
    renamed.set(String(d.id), id);
  }
  const edits: FlowEdit[] = [];
  for (const d of clip.docs) {
    const id = renamed.get(String(d.id))!;
    const needs = (Array.isArray(d.needs) ? d.needs : typeof d.needs === "string" ? [d.needs] : [])
      .map((n) => renamed.get(String(n)))
      .filter((n): n is string => n !== undefined);
    const p = clip.positions[String(d.id)] ?? [0, 0];
    edits.push({
      type: "add-step",
      step: {
        id,
        uses: String(d.uses ?? ""),
        ...(d.with && typeof d.with === "object"
          ? { with: d.with as Record<string, unknown> }
          : {}),
        ...(needs.length ? { needs } : {}),
      },
      position: [p[0] + 40, p[1] + 40],
    });
  }
  // Steps that need each other must be added in dependency order.
  edits.sort(
    (a, b) =>
      ((a as { step: { needs?: string[] } }).step.needs?.length ?? 0) -
      ((b as { step: { needs?: string[] } }).step.needs?.length ?? 0),
  );
  return store.editAll(edits) ? [...renamed.values()] : [];
}
