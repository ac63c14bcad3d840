"use client";

import { barPlacement, formatDuration, type BarKind, type Timeline } from "@/lib/runs/run-state";

const BAR_STYLE: Record<BarKind, string> = {
  succeeded: "bg-emerald-500",
  failed: "bg-red-500",
  running: "bg-accent-500",
  waiting:
    "bg-amber-300 bg-[repeating-linear-gradient(135deg,transparent_0_4px,rgba(255,255,255,.55)_4px_8px)]",
  skipped: "bg-zinc-300",
  "retry-wait": "border border-dashed border-red-400 bg-red-50",
};

/** Compensation bars: the saga's orange, hatched, whatever their outcome (a failed undo: red). */
const COMPENSATION_BAR: Record<BarKind, string> = {
  succeeded:
    "bg-orange-500 bg-[repeating-linear-gradient(45deg,transparent_0_3px,rgba(255,255,255,.45)_3px_6px)]",
  running:
    "bg-orange-400 bg-[repeating-linear-gradient(45deg,transparent_0_3px,rgba(255,255,255,.45)_3px_6px)]",
  failed:
    "bg-red-600 bg-[repeating-linear-gradient(45deg,transparent_0_3px,rgba(255,255,255,.45)_3px_6px)]",
  waiting: BAR_STYLE.waiting,
  skipped: BAR_STYLE.skipped,
  "retry-wait": "border border-dashed border-orange-400 bg-orange-50",
};

const BAR_LABEL: Record<BarKind, string> = {
  succeeded: "succeeded",
  failed: "failed",
  running: "running",
  waiting: "waiting",
  skipped: "skipped",
  "retry-wait": "waiting to retry",
};

/**
 * The run's Gantt: one row per step, a bar per attempt coloured by outcome (at least
 * `MIN_BAR_PX` wide), dashed gaps before a retry, striped waits (a person, a timer), and the
 * saga's compensations in hatched orange under the steps they undo. Each row's name opens the
 * step.
 */
export function RunTimeline({
  timeline,
  selected,
  onSelect,
}: {
  timeline: Timeline;
  selected: string | null;
  onSelect: (stepId: string) => void;
}) {
  return (
    <section
      aria-labelledby="run-timeline-title"
      className="rounded-lg border border-zinc-200 bg-white"
    >
      <div className="flex items-center justify-between border-b border-zinc-200 px-3 py-2">
        <h2 id="run-timeline-title" className="text-sm font-semibold text-zinc-900">
          Timeline
        </h2>
        <div className="flex items-center gap-3 text-[11px] text-zinc-600" aria-hidden>
          {(["succeeded", "failed", "running", "waiting", "retry-wait"] as const).map((k) => (
            <span key={k} className="flex items-center gap-1">
              <span className={`inline-block h-2.5 w-4 rounded-sm ${BAR_STYLE[k]}`} />
              {BAR_LABEL[k]}
            </span>
          ))}
          {timeline.rows.some((r) => r.compensation) && (
            <span className="flex items-center gap-1">
              <span className={`inline-block h-2.5 w-4 rounded-sm ${COMPENSATION_BAR.succeeded}`} />
              compensation
            </span>
          )}
          <span>span {formatDuration(timeline.span)}</span>
        </div>
      </div>
      <ol aria-label="Steps over time" className="divide-y divide-zinc-100">
        {timeline.rows.map((row) => (
          <li
            key={row.stepId}
            data-testid={`timeline-row-${row.stepId}`}
            data-compensation={row.compensation || undefined}
            className={`flex items-center gap-3 px-3 py-1 ${selected === row.stepId ? "bg-accent-50" : ""} ${row.compensation ? "bg-orange-50/60" : ""}`}
          >
            <button
              type="button"
              onClick={() => onSelect(row.stepId)}
              title={row.stepId}
              className={`w-44 shrink-0 truncate text-left font-mono text-xs text-zinc-800 hover:underline ${row.nested ? "pl-4 text-zinc-600" : ""} ${row.compensation ? "text-orange-800" : ""}`}
              aria-label={
                row.compensation
                  ? `Show the compensation of ${row.stepId.replace(/~compensate$/, "")}`
                  : `Show step ${row.stepId}`
              }
            >
              {row.compensation ? `↩ undo ${row.stepId.replace(/~compensate$/, "")}` : row.stepId}
            </button>
            <div className="relative h-4 flex-1 rounded bg-zinc-50">
              {row.bars.map((b, i) => {
                const what = row.compensation
                  ? `compensation ${BAR_LABEL[b.kind]}`
                  : BAR_LABEL[b.kind];
                return (
                  <span
                    key={i}
                    role="img"
                    aria-label={`${row.stepId} attempt ${b.attempt}: ${what}${b.open ? " (ongoing)" : ""}, ${formatDuration(b.end - b.start)}`}
                    title={`attempt ${b.attempt} · ${what} · ${formatDuration(b.end - b.start)}`}
                    data-kind={b.kind}
                    className={`absolute top-0.5 bottom-0.5 rounded-sm ${row.compensation ? COMPENSATION_BAR[b.kind] : BAR_STYLE[b.kind]} ${b.open ? "animate-pulse" : ""}`}
                    style={barPlacement(b.start, b.end, timeline.span)}
                  />
                );
              })}
              {row.bars.length === 0 && (
                <span className="absolute inset-y-0 left-1 text-[10px] leading-4 text-zinc-600">
                  not started
                </span>
              )}
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
