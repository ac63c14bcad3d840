"use client";

import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type FitViewOptions,
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
import type { FlowGraph, GraphEdge, StepNodeData } from "@/lib/studio/flow-graph";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "@/lib/studio/layout";
import { perfCanvasRendered } from "@/lib/studio/perf";
import { blockRefOf, freshStepId, stepIdBase } from "@/lib/studio/step-ids";
import type { StudioStore } from "@/lib/studio/studio-store";
import { useStudio } from "@/lib/studio/use-studio";
import { BoxIndex, routeEdges, routeOne, type Box, type Point } from "./edge-routing";
import { edgeTypes, type RoutedEdge } from "./edges/routed-edge";
import { KIND_STYLE } from "./kind-style";
import { nodeTypes, type StepNode } from "./nodes/step-node";
import { dropPosition, freeSpot, placeSteps, type Rect } from "./placement";

/** The drag payload the palette sets: a block's `id@major`. */
export const BLOCK_DRAG_TYPE = "application/x-trustflow-block";

type XY = { x: number; y: number };

/** What the studio asks of the canvas from outside it (the palette's + button). */
export interface CanvasApi {
  /** Adds a block as a new step at a free place in view; returns its id, or null. */
  addBlock(uses: string): string | null;
}

const SIZE = { w: NODE_WIDTH, h: NODE_HEIGHT };
/** The mini map's size and margin (React Flow's default margin), bottom right of the canvas. */
const MINIMAP = { w: 160, h: 110, margin: 15 };
/** Narrower than this, the canvas has no room for a mini map: it is not shown. */
const MINIMAP_MIN_CANVAS_WIDTH = 480;

/** Boxes of the steps at the positions shown. */
function boxesOf(
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
function structureKey(g: FlowGraph): string {
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
function stepNode(s: StepNodeData, position: XY, selected: boolean): StepNode {
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
function routedEdge(e: GraphEdge, points: Point[] | undefined): RoutedEdge {
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

let clipboard: {
  docs: Record<string, unknown>[];
  positions: Record<string, [number, number]>;
} | null = null;

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
}: {
  store: StudioStore;
  registry: BlockRegistry;
  readOnly: boolean;
  apiRef?: Ref<CanvasApi>;
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
      return stepNode(s, dragging[s.stepId] ?? { x: p[0], y: p[1] }, selected.has(s.stepId));
    });
  }, [graph, positions, selection, dragging]);

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

  /**
   * The mini map and the controls, in flow coordinates: nothing is placed under them. The mini
   * map's corner counts even before it shows (it comes when the browser is idle).
   */
  const overlays = useCallback((): Rect[] => {
    const el = root.current;
    if (!el) return [];
    const rects = [...el.querySelectorAll(".react-flow__controls")].map((o) =>
      o.getBoundingClientRect(),
    );
    const r = el.getBoundingClientRect();
    if (r.width >= MINIMAP_MIN_CANVAS_WIDTH) {
      rects.push(
        new DOMRect(
          r.right - MINIMAP.margin - MINIMAP.w,
          r.bottom - MINIMAP.margin - MINIMAP.h,
          MINIMAP.w,
          MINIMAP.h,
        ),
      );
    }
    return rects.map((o) => screenRectToFlow(o, screenToFlowPosition));
  }, [screenToFlowPosition]);

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

  // The mini map draws every node again; it is not needed for the first paint, so it comes once
  // the browser is idle after opening, and only on a canvas wide enough to spare its corner.
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    if (typeof requestIdleCallback === "function") {
      const id = requestIdleCallback(() => setIdle(true), { timeout: 1500 });
      return () => cancelIdleCallback(id);
    }
    const t = setTimeout(() => setIdle(true), 300);
    return () => clearTimeout(t);
  }, []);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = root.current;
    if (!el || typeof ResizeObserver !== "function") return;
    const ro = new ResizeObserver(([e]) => setWidth(Math.round(e!.contentRect.width)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  // Unknown width (before the first measure) counts as wide: its corner is kept free.
  const miniMapRoom = width === 0 || width >= MINIMAP_MIN_CANVAS_WIDTH;
  const showMiniMap = idle && miniMapRoom;
  // Fitting keeps nodes out from under the controls (left) and the mini map (bottom band).
  const fitOptions = useMemo(
    (): FitViewOptions => ({
      maxZoom: 1.1,
      padding: {
        top: "24px" as const,
        right: "24px" as const,
        left: "64px" as const,
        bottom: miniMapRoom ? (`${MINIMAP.h + 2 * MINIMAP.margin}px` as const) : ("24px" as const),
      },
    }),
    [miniMapRoom],
  );

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

/** A screen rectangle (from `getBoundingClientRect`) in flow coordinates. */
function screenRectToFlow(r: DOMRect, toFlow: (p: XY) => XY): Rect {
  const a = toFlow({ x: r.left, y: r.top });
  const b = toFlow({ x: r.right, y: r.bottom });
  return { x: a.x, y: a.y, w: b.x - a.x, h: b.y - a.y };
}

/**
 * Adds a block as a new step (its example as inputs), optionally between two steps. `apply`
 * applies the edits (the canvas's, which stores the shown positions first).
 */
export function addBlock(
  store: StudioStore,
  registry: BlockRegistry,
  uses: string,
  position: [number, number],
  between?: { from: string; to: string },
  apply: (edits: FlowEdit[]) => boolean = (edits) => store.editAll(edits),
): string | null {
  const r = registry.resolve(uses);
  if (!r.ok) return null;
  const taken = Object.keys(store.getState().graph?.docs ?? {});
  const id = freshStepId(stepIdBase(r.block), taken);
  const step = { id, uses: blockRefOf(r.block), with: structuredClone(r.block.example) };
  const ok = between
    ? apply([
        { type: "insert-between", step, from: between.from, to: between.to },
        { type: "move", id, position },
      ])
    : apply([{ type: "add-step", step, position }]);
  if (ok) store.select([id]);
  return ok ? id : null;
}

/**
 * Pastes copied steps with fresh ids, shifted by `offset`; `needs` among the pasted steps follow
 * the new ids.
 */
function pasteSteps(
  store: StudioStore,
  clip: { docs: Record<string, unknown>[]; positions: Record<string, [number, number]> },
  offset: [number, number],
  apply: (edits: FlowEdit[]) => boolean,
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
      position: [p[0] + offset[0], p[1] + offset[1]],
    });
  }
  // Steps that need each other must be added in dependency order.
  edits.sort(
    (a, b) =>
      ((a as { step: { needs?: string[] } }).step.needs?.length ?? 0) -
      ((b as { step: { needs?: string[] } }).step.needs?.length ?? 0),
  );
  return apply(edits) ? [...renamed.values()] : [];
}
