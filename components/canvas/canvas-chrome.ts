"use client";

/**
 * The canvas's chrome, the mini map and the controls: the corners they cover (nothing is placed
 * under them), when the mini map shows, and the fit-view padding that keeps nodes clear of them.
 */
import type { FitViewOptions } from "@xyflow/react";
import { useEffect, useMemo, useState, type RefObject } from "react";
import type { XY } from "./canvas-elements";
import type { Rect } from "./placement";

/** The mini map's size and margin (React Flow's default margin), bottom right of the canvas. */
export const MINIMAP = { w: 160, h: 110, margin: 15 };
/** Narrower than this, the canvas has no room for a mini map: it is not shown. */
export const MINIMAP_MIN_CANVAS_WIDTH = 480;

/** A screen rectangle (from `getBoundingClientRect`) in flow coordinates. */
export function screenRectToFlow(r: DOMRect, toFlow: (p: XY) => XY): Rect {
  const a = toFlow({ x: r.left, y: r.top });
  const b = toFlow({ x: r.right, y: r.bottom });
  return { x: a.x, y: a.y, w: b.x - a.x, h: b.y - a.y };
}

/**
 * The mini map and the controls of the canvas element `el`, in flow coordinates: nothing is
 * placed under them. The mini map's corner counts even before it shows (it comes when the
 * browser is idle).
 */
export function overlayRects(el: HTMLElement, toFlow: (p: XY) => XY): Rect[] {
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
  return rects.map((o) => screenRectToFlow(o, toFlow));
}

/**
 * Whether the canvas in `root` shows its mini map, and the fit-view options that keep nodes out
 * from under the chrome.
 */
export function useMiniMap(root: RefObject<HTMLDivElement | null>): {
  showMiniMap: boolean;
  fitOptions: FitViewOptions;
} {
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
  }, [root]);
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
  return { showMiniMap, fitOptions };
}
