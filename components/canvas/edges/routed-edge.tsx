"use client";

import { BaseEdge, getSmoothStepPath, type Edge, type EdgeProps } from "@xyflow/react";
import { memo } from "react";
import { roundedPath, type Point } from "../edge-routing";

/** Edge data: serialisable, no callbacks (the route is plain points). */
export type RoutedEdgeData = {
  kind: "needs" | "data";
  /** The routed polyline (flow coordinates), from below the source to above the target. */
  points?: Point[];
};

export type RoutedEdge = Edge<RoutedEdgeData, "routed">;

/** How far a handle may sit from the route's end and the route still be used (px). */
const SNAP = 24;

/**
 * An edge drawn along its route (`edge-routing.ts`): rounded orthogonal corners, clear of every
 * node. While a node is dragged and its route has not caught up, a smooth-step path stands in.
 */
function RoutedEdgeView({
  id,
  sourceX,
  sourceY,
  targetX,
  targetY,
  sourcePosition,
  targetPosition,
  data,
  style,
  markerEnd,
  interactionWidth,
}: EdgeProps<RoutedEdge>) {
  const pts = data?.points;
  const first = pts?.[0];
  const last = pts?.[pts.length - 1];
  const fits =
    first !== undefined &&
    last !== undefined &&
    Math.abs(first[0] - sourceX) < 1 &&
    Math.abs(last[0] - targetX) < 1 &&
    first[1] >= sourceY - 1 &&
    first[1] - sourceY < SNAP &&
    last[1] <= targetY + 1 &&
    targetY - last[1] < SNAP;
  const path = fits
    ? roundedPath([[sourceX, sourceY], ...pts!, [targetX, targetY]])
    : getSmoothStepPath({
        sourceX,
        sourceY,
        targetX,
        targetY,
        sourcePosition,
        targetPosition,
        borderRadius: 8,
      })[0];
  return (
    <BaseEdge
      id={id}
      path={path}
      style={style}
      markerEnd={markerEnd}
      interactionWidth={interactionWidth}
      data-routed={fits ? "true" : "false"}
    />
  );
}

export const RoutedEdgeComponent = memo(RoutedEdgeView);
export const edgeTypes = { routed: RoutedEdgeComponent };
