import { Badge } from "@/components/ui/badge";
import { OUTCOME_LABEL, type RunOutcome, type StepStatus } from "@/lib/runs/run-state";

type Tone = "neutral" | "accent" | "success" | "warning" | "danger";

const RUN_TONES: Record<RunOutcome, Tone> = {
  queued: "neutral",
  running: "accent",
  waiting: "warning",
  succeeded: "success",
  // Never a plain green success: a step failed for good and waits in the dead-letter queue.
  succeeded_with_dead_letters: "warning",
  failed: "danger",
  cancelled: "neutral",
  compensated: "warning",
};

/**
 * A run's outcome as a badge (the words are the accessible name; colour only repeats them):
 * its status, or "succeeded with dead letters" (`outcome` from `run.get` / `run.list`).
 */
export function RunStatusBadge({ status }: { status: string }) {
  const known = status in OUTCOME_LABEL ? (status as RunOutcome) : null;
  return (
    <Badge tone={known ? RUN_TONES[known] : "neutral"}>
      {known ? OUTCOME_LABEL[known] : status}
    </Badge>
  );
}

/** Compensation nodes by status: the saga's orange, dashed; a failed undo in red. */
export const COMPENSATION_STYLE: Partial<Record<StepStatus, string>> = {
  running: "border-orange-400 bg-orange-50 text-orange-900",
  succeeded: "border-orange-500 bg-orange-100 text-orange-900",
  failed: "border-red-500 bg-red-50 text-red-800",
  pending: "border-orange-300 bg-white text-orange-800",
};

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
