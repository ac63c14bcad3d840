"use client";

import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import type { StepNodeData } from "@/lib/studio/flow-graph";
import { NODE_HEIGHT, NODE_WIDTH } from "@/lib/studio/layout";
import type { StepRunMark } from "@/components/sandbox/sandbox-run-marks";
import type { EarnedMark } from "@/components/studio/earned-marks";
import { KIND_STYLE } from "../kind-style";

/**
 * A step's data, with its result in the studio's last sandbox run (if any) and its trust earned
 * from run history (once the workspace's scores are loaded).
 */
export type StepNode = Node<StepNodeData & { run?: StepRunMark; earned?: EarnedMark }, "step">;

const RUN_MARK: Record<string, string> = {
  succeeded: "bg-emerald-600 text-white",
  failed: "bg-red-600 text-white",
  running: "bg-sky-600 text-white",
  waiting: "bg-amber-400 text-zinc-900",
  skipped: "bg-zinc-300 text-zinc-800",
};

const CHANGE_RING: Record<NonNullable<StepNodeData["change"]>, string> = {
  added: "ring-2 ring-emerald-500 bg-emerald-50",
  removed: "ring-2 ring-red-500 bg-red-50 opacity-80",
  changed: "ring-2 ring-amber-500 bg-amber-50",
};

/** A step on the canvas. Pure render of serialisable data: no callbacks in `data`. */
function StepNodeView({ data, selected }: NodeProps<StepNode>) {
  const k = KIND_STYLE[data.kind];
  const belowMin = data.trust !== null && data.trustMin !== null && data.trust < data.trustMin;
  const problems = data.errors + data.warnings + data.policyViolations;
  return (
    <div
      style={{ width: NODE_WIDTH, height: NODE_HEIGHT }}
      className={`flex flex-col justify-between rounded-lg border bg-white px-2.5 py-2 text-left shadow-sm ${
        selected ? "border-accent-600 ring-2 ring-accent-200" : "border-zinc-300"
      } ${data.change ? CHANGE_RING[data.change] : ""}`}
      data-step={data.stepId}
      data-change={data.change}
      data-run-status={data.run?.status}
    >
      <Handle type="target" position={Position.Top} className="!size-2.5 !bg-zinc-400" />
      <div className="flex items-center gap-2">
        <span
          aria-hidden
          title={data.kind}
          className={`grid size-6 shrink-0 place-items-center rounded text-[11px] font-bold ${k.className}`}
        >
          {k.glyph}
        </span>
        <span className="truncate font-mono text-[13px] font-semibold text-zinc-900">
          {data.stepId}
        </span>
        {problems > 0 && (
          <span className="ml-auto flex shrink-0 gap-1" data-testid="node-badges">
            {data.errors > 0 && (
              <span
                className="rounded bg-red-600 px-1.5 text-[10px] font-bold text-white"
                aria-label={`${data.errors} error${data.errors > 1 ? "s" : ""}`}
                title="Errors"
              >
                {data.errors}
              </span>
            )}
            {data.policyViolations > 0 && (
              <span
                className="rounded bg-fuchsia-700 px-1.5 text-[10px] font-bold text-white"
                aria-label={`${data.policyViolations} policy violation${data.policyViolations > 1 ? "s" : ""}`}
                title="Policy violations"
              >
                ⚑{data.policyViolations}
              </span>
            )}
            {data.warnings > 0 && (
              <span
                className="rounded bg-amber-400 px-1.5 text-[10px] font-bold text-zinc-900"
                aria-label={`${data.warnings} warning${data.warnings > 1 ? "s" : ""}`}
                title="Warnings"
              >
                {data.warnings}
              </span>
            )}
          </span>
        )}
      </div>
      <div className="truncate font-mono text-[11px] text-zinc-600" title={data.title}>
        {data.blockLabel}
      </div>
      <div className="flex items-center gap-2 text-[10px] text-zinc-600">
        {data.run && (
          <span
            className={`rounded px-1 font-semibold ${RUN_MARK[data.run.status] ?? "bg-zinc-200 text-zinc-800"}`}
            title="Result in the last sandbox run"
            data-testid="node-run-status"
          >
            {data.run.pinned ? `pinned · ${data.run.status}` : data.run.status}
          </span>
        )}
        <span className="rounded bg-zinc-100 px-1 font-semibold text-zinc-700" title="SLA tier">
          {data.sla}
        </span>
        {data.earned ? (
          <EarnedTrust mark={data.earned} min={data.trustMin} />
        ) : (
          data.trust !== null && (
            <span
              className={belowMin ? "font-semibold text-red-700" : ""}
              title="Trust score vs the minimum"
            >
              trust {data.trust.toFixed(2)}
              {data.trustMin !== null && (belowMin ? ` < ${data.trustMin}` : ` ≥ ${data.trustMin}`)}
            </span>
          )
        )}
      </div>
      <Handle type="source" position={Position.Bottom} className="!size-2.5 !bg-zinc-400" />
    </div>
  );
}

/**
 * The step's earned score (or "not enough data": the baseline stands in) against its minimum;
 * the interval, n and the formula on hover and for screen readers.
 */
function EarnedTrust({ mark, min }: { mark: EarnedMark; min: number | null }) {
  const below = min !== null && mark.score < min;
  const vsMin = min === null ? "" : below ? ` < ${min}` : ` ≥ ${min}`;
  const text = mark.enoughData
    ? `earned ${mark.score.toFixed(2)}${vsMin}`
    : `${mark.score.toFixed(2)}${vsMin} · not enough data`;
  return (
    <span
      className={`truncate ${below ? "font-semibold text-red-700" : mark.enoughData ? "text-zinc-800" : "text-zinc-500"}`}
      title={mark.title}
      aria-label={mark.title}
      data-testid="node-earned"
      data-enough={mark.enoughData}
    >
      {text}
    </span>
  );
}

export const StepNodeComponent = memo(StepNodeView);
export const nodeTypes = { step: StepNodeComponent };
