"use client";

import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type NodeChange,
  type OnDelete,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import {
  useCallback,
  useEffect,
  useImperativeHandle,
  useMemo,
  useRef,
  useState,
  type DragEvent,
  type KeyboardEvent,
  type Ref,
} from "react";
import type { BlockRegistry, FlowEdit } from "@/dsl";
import type { EarnedMark } from "@/components/studio/earned-marks";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "@/lib/studio/layout";
import { perfCanvasRendered } from "@/lib/studio/perf";
import type { StudioStore } from "@/lib/studio/studio-store";
import { useStudio } from "@/lib/studio/use-studio";
import type { StepRunMarks } from "@/components/sandbox/sandbox-run-marks";
import { MINIMAP, overlayRects, screenRectToFlow, useMiniMap } from "./canvas-chrome";
import { addBlock, pasteSteps, type CanvasClipboard } from "./canvas-edits";
import { boxesOf, routedEdge, stepNode, structureKey, type XY } from "./canvas-elements";
import { BoxIndex, routeEdges, routeOne, type Point } from "./edge-routing";
import { edgeTypes, type RoutedEdge } from "./edges/routed-edge";
import { KIND_STYLE } from "./kind-style";
import { nodeTypes, type StepNode } from "./nodes/step-node";
import { dropPosition, freeSpot, placeSteps, type Rect } from "./placement";

export { addBlock };

/** The drag payload the palette sets: a block's `id@major`. */
export const BLOCK_DRAG_TYPE = "application/x-trustflow-block";

/** What the studio asks of the canvas from outside it (the palette's + button). */
export interface CanvasApi {
  /** Adds a block as a new step at a free place in view; returns its id, or null. */
  addBlock(uses: string): string | null;
}

const SIZE = { w: NODE_WIDTH, h: NODE_HEIGHT };

let clipboard: CanvasClipboard | null = null;

/**
 * The flow as a graph. Everything it shows derives from the studio text; everything the user
 * does becomes an `applyEdit` on that text (move, connect, delete, add, paste). It fits the view
 * when the store asks (`store.fitView()`, after an auto-layout).
 */
export function FlowCanvas({
  store,
  registry,
  readOnly,
  apiRef,
  runMarks,
  earned,
}: {
  store: StudioStore;
  registry: BlockRegistry;
  readOnly: boolean;
  apiRef?: Ref<CanvasApi>;
  /** Per step, its result in the studio's last sandbox run (shown on the node). */
  runMarks?: StepRunMarks;
  /** Per step, its trust earned from run history (shown on the node). */
  earned?: Record<string, EarnedMark>;
}) {
  const graph = useStudio(store, (s) => s.graph);
  const graphRevision = useStudio(store, (s) => s.graphRevision);
  const stale = useStudio(store, (s) => s.stale);
  const selection = useStudio(store, (s) => s.selection);
  const { screenToFlowPosition, fitView, setCenter, getZoom } = useReactFlow();
  const root = useRef<HTMLDivElement>(null);
  const [dragging, setDragging] = useState<Record<string, XY>>({});

  const key = graph ? structureKey(graph) : "";
  // Layout depends on the structure only; typing inside a value keeps every node where it is.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const positions = useMemo(() => (graph ? layoutGraph(graph) : {}), [key]);

  const nodes = useMemo<StepNode[]>(() => {
    if (!graph) return [];
    const selected = new Set(selection);
    return graph.steps.map((s) => {
      const p = positions[s.stepId] ?? [0, 0];
      const node = stepNode(s, dragging[s.stepId] ?? { x: p[0], y: p[1] }, selected.has(s.stepId));
      const run = runMarks?.[s.stepId];
      const mark = earned?.[s.stepId];
      return run || mark
        ? {
            ...node,
            data: { ...node.data, ...(run ? { run } : {}), ...(mark ? { earned: mark } : {}) },
          }
        : node;
    });
  }, [graph, positions, selection, dragging, runMarks, earned]);

  // Edge routes around the nodes, for the laid-out positions (once per structure change).
  const baseRoutes = useMemo(
    () =>
      graph
        ? routeEdges(
            boxesOf(graph, (id) => positions[id]),
            graph.edges,
          )
        : {},
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [positions],
  );
  // While nodes are dragged, only the edges touching them are routed again, frame by frame.
  const routes = useMemo<Record<string, Point[]>>(() => {
    const moved = new Set(Object.keys(dragging));
    if (!graph || moved.size === 0) return baseRoutes;
    const index = new BoxIndex(
      boxesOf(graph, (id) => (dragging[id] ? [dragging[id].x, dragging[id].y] : positions[id])),
    );
    const out = { ...baseRoutes };
    for (const e of graph.edges) {
      if (!moved.has(e.from) && !moved.has(e.to)) continue;
      const r = routeOne(index, e.from, e.to);
      if (r) out[e.id] = r;
    }
    return out;
  }, [graph, positions, dragging, baseRoutes]);

  const edges = useMemo<RoutedEdge[]>(
    () => (graph?.edges ?? []).map((e) => routedEdge(e, routes[e.id])),
    [graph, routes],
  );

  /** Applies canvas edits that place steps, keeping every other step where it is shown. */
  const placeAndEdit = useCallback(
    (edits: FlowEdit[]): boolean => {
      const s = store.getState();
      const r = placeSteps(s.text, s.graph, positions, edits);
      // Refused: the store applies the edits itself, which says why and changes nothing.
      if (!r.ok) return store.editAll(edits);
      store.setText(r.text, "canvas");
      return true;
    },
    [store, positions],
  );

  /** The mini map and the controls, in flow coordinates: nothing is placed under them. */
  const overlays = useCallback(
    (): Rect[] => (root.current ? overlayRects(root.current, screenToFlowPosition) : []),
    [screenToFlowPosition],
  );

  /** The visible part of the flow, in flow coordinates. */
  const view = useCallback((): Rect => {
    const el = root.current?.querySelector(".react-flow");
    const r = el?.getBoundingClientRect();
    return r
      ? screenRectToFlow(r, screenToFlowPosition)
      : { x: 0, y: 0, w: NODE_WIDTH * 4, h: NODE_HEIGHT * 6 };
  }, [screenToFlowPosition]);

  const shownBoxes = useCallback(
    (): Rect[] => (graph ? [...boxesOf(graph, (id) => positions[id]).values()] : []),
    [graph, positions],
  );

  useImperativeHandle(
    apiRef,
    () => ({
      addBlock(uses) {
        if (readOnly) return null;
        const v = view();
        const spot = freeSpot(
          { x: v.x + v.w / 2 - NODE_WIDTH / 2, y: v.y + v.h / 2 - NODE_HEIGHT / 2 },
          SIZE,
          overlays(),
          shownBoxes(),
          v,
        );
        const id = addBlock(store, registry, uses, spot.position, undefined, placeAndEdit);
        if (id && !spot.inView) {
          void setCenter(spot.position[0] + NODE_WIDTH / 2, spot.position[1] + NODE_HEIGHT / 2, {
            zoom: getZoom(),
            duration: 200,
          });
        }
        return id;
      },
    }),
    [readOnly, view, overlays, shownBoxes, store, registry, placeAndEdit, setCenter, getZoom],
  );

  useEffect(() => {
    perfCanvasRendered(graphRevision);
  }, [nodes, graphRevision]);

  const { showMiniMap, fitOptions } = useMiniMap(root);

  // A new flow (or the first graph of an import) is fitted once it has nodes.
  const hasNodes = nodes.length > 0;
  useEffect(() => {
    if (hasNodes) void fitView(fitOptions);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hasNodes, fitView]);
  useEffect(
    () =>
      store.onCommand((command) => {
        if (command.type === "fit-view") void fitView({ ...fitOptions, duration: 200 });
      }),
    [store, fitView, fitOptions],
  );

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
      placeAndEdit(edits);
      setDragging({});
    },
    [placeAndEdit, readOnly],
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
      // Centred on the cursor; moved out from under the mini map or the controls if dropped there.
      const position = dropPosition(
        screenToFlowPosition({ x: e.clientX, y: e.clientY }),
        SIZE,
        overlays(),
        view(),
      );
      // Dropped on a `needs` edge: insert the step between its ends.
      const edgeEl = document
        .elementsFromPoint(e.clientX, e.clientY)
        .map((el) => el.closest(".react-flow__edge"))
        .find((el): el is Element => el !== null);
      const edgeId = edgeEl?.getAttribute("data-id") ?? "";
      const [from, to] = edgeId.includes("->") ? edgeId.split("->") : [];
      addBlock(
        store,
        registry,
        uses,
        position,
        from && to ? { from, to } : undefined,
        placeAndEdit,
      );
    },
    [readOnly, screenToFlowPosition, store, registry, overlays, view, placeAndEdit],
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
        // The copied group, shifted to a free place in view (next to the originals if free).
        const ps = Object.values(clipboard.positions);
        const x0 = Math.min(...ps.map((p) => p[0]));
        const y0 = Math.min(...ps.map((p) => p[1]));
        const group = {
          w: Math.max(...ps.map((p) => p[0])) - x0 + NODE_WIDTH,
          h: Math.max(...ps.map((p) => p[1])) - y0 + NODE_HEIGHT,
        };
        const spot = freeSpot({ x: x0 + 40, y: y0 + 40 }, group, overlays(), shownBoxes(), view());
        const ids = pasteSteps(
          store,
          clipboard,
          [spot.position[0] - x0, spot.position[1] - y0],
          placeAndEdit,
        );
        if (ids.length) store.select(ids);
      }
    },
    [store, positions, readOnly, overlays, shownBoxes, view, placeAndEdit],
  );

  return (
    <div
      ref={root}
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
      <ReactFlow<StepNode, RoutedEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
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
        fitViewOptions={fitOptions}
        proOptions={{ hideAttribution: true }}
        aria-label="Flow canvas"
      >
        <Background gap={16} size={1} />
        {showMiniMap && (
          <MiniMap
            pannable
            zoomable
            style={{ width: MINIMAP.w, height: MINIMAP.h }}
            nodeColor={(n) => KIND_STYLE[(n as StepNode).data.kind].color}
            ariaLabel="Mini map"
          />
        )}
        <Controls showInteractive={false} fitViewOptions={fitOptions} />
      </ReactFlow>
    </div>
  );
}
