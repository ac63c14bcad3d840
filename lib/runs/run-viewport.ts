/**
 * The run canvas's viewport, computed from what is known before anything is measured: the
 * layout's positions, the fixed node size and the container's size. The canvas therefore never
 * waits for React Flow to measure nodes (a node re-created by a status change loses its
 * measurement until the next resize observation) to show and fit the graph.
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/** Below this zoom a node's 13 px label drops under ~8 px: fit a part of the flow instead. */
export const READABLE_ZOOM = 0.6;

/** The box around nodes of one size at the given top-left positions; null without nodes. */
export function boundsOf(
  positions: Iterable<{ x: number; y: number }>,
  size: { width: number; height: number },
): Box | null {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const p of positions) {
    x1 = Math.min(x1, p.x);
    y1 = Math.min(y1, p.y);
    x2 = Math.max(x2, p.x + size.width);
    y2 = Math.max(y2, p.y + size.height);
  }
  return Number.isFinite(x1) ? { x: x1, y: y1, width: x2 - x1, height: y2 - y1 } : null;
}

/**
 * The viewport that shows `bounds` in a `width` × `height` container with `padding` px around:
 * the whole graph centred when it fits at a readable zoom (at most `maxZoom`), else the graph's
 * top (and left, when it is wider too) at {@link READABLE_ZOOM}, so labels stay legible and the
 * flow starts where it reads. Null while the container has no size (not laid out yet).
 */
export function fitViewport(
  bounds: Box,
  container: { width: number; height: number },
  opts: {
    padding?: number;
    minZoom?: number;
    maxZoom?: number;
    /** A strip on the left kept clear (the zoom controls), in px. */
    reserveLeft?: number;
  } = {},
): Viewport | null {
  const reserve = Math.max(0, opts.reserveLeft ?? 0);
  const width = container.width - reserve;
  const { height } = container;
  if (!(width > 0) || !(height > 0)) return null;
  const pad = opts.padding ?? 24;
  const minZoom = opts.minZoom ?? READABLE_ZOOM;
  const maxZoom = opts.maxZoom ?? 1;
  const availW = Math.max(1, width - 2 * pad);
  const availH = Math.max(1, height - 2 * pad);
  const fit = Math.min(availW / Math.max(1, bounds.width), availH / Math.max(1, bounds.height));
  const zoom = Math.min(maxZoom, Math.max(minZoom, fit));
  const fitsX = bounds.width * zoom <= availW;
  const fitsY = bounds.height * zoom <= availH;
  const x =
    reserve + (fitsX ? width / 2 - (bounds.x + bounds.width / 2) * zoom : pad - bounds.x * zoom);
  const y = fitsY ? height / 2 - (bounds.y + bounds.height / 2) * zoom : pad - bounds.y * zoom;
  return { x: Math.round(x * 100) / 100, y: Math.round(y * 100) / 100, zoom };
}
