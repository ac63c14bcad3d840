import { Badge } from "@/components/ui/badge";
import type { StepStatus } from "@/lib/runs/run-state";

type Tone = "neutral" | "accent" | "success" | "warning" | "danger";

const RUN_TONES: Record<string, Tone> = {
  queued: "neutral",
  running: "accent",
  waiting: "warning",
  succeeded: "success",
  failed: "danger",
  cancelled: "neutral",
  compensated: "warning",
};

/** A run's status as a badge (the word is the accessible name; colour only repeats it). */
export function RunStatusBadge({ status }: { status: string }) {
  return <Badge tone={RUN_TONES[status] ?? "neutral"}>{status}</Badge>;
}

/** Colours of a step status: node border and fill, timeline bar, legend swatch. */
export const STEP_STATUS_STYLE: Record<StepStatus, { node: string; swatch: string }> = {
  pending: { node: "border-zinc-300 bg-white text-zinc-600", swatch: "bg-zinc-300" },
  running: { node: "border-accent-500 bg-accent-50 text-accent-700", swatch: "bg-accent-500" },
  waiting: { node: "border-amber-500 bg-amber-50 text-amber-900", swatch: "bg-amber-400" },
  succeeded: {
    node: "border-emerald-500 bg-emerald-50 text-emerald-800",
    swatch: "bg-emerald-500",
  },
  failed: { node: "border-red-500 bg-red-50 text-red-800", swatch: "bg-red-500" },
  skipped: {
    node: "border-dashed border-zinc-300 bg-zinc-50 text-zinc-500",
    swatch: "bg-zinc-200",
  },
  compensated: {
    node: "border-orange-500 bg-orange-50 text-orange-900",
    swatch: "bg-orange-400",
  },
};

/** What each colour means, shown next to the canvas. */
export function StepStatusLegend({ statuses }: { statuses: readonly StepStatus[] }) {
  return (
    <ul
      aria-label="Step statuses"
      className="flex flex-wrap gap-x-3 gap-y-1 text-[11px] text-zinc-600"
    >
      {statuses.map((s) => (
        <li key={s} className="flex items-center gap-1">
          <span
            aria-hidden
            className={`inline-block size-2.5 rounded-sm ${STEP_STATUS_STYLE[s].swatch}`}
          />
          {s}
        </li>
      ))}
    </ul>
  );
}
