"use client";

import type { RunEvent } from "@/lib/runs/use-run-live";
import { Button } from "@/components/ui/button";
import { formatTime } from "./step-drawer";

/**
 * A range over the run's events: at position k the canvas shows the statuses after the first k
 * events. At the end it follows the live run; "Live" jumps back there.
 */
export function RunScrubber({
  events,
  position,
  onChange,
}: {
  events: readonly RunEvent[];
  /** Number of events applied; null: all of them, following new ones. */
  position: number | null;
  onChange: (position: number | null) => void;
}) {
  const at = position ?? events.length;
  const current = at > 0 ? events[at - 1] : null;
  return (
    <div className="flex items-center gap-3 rounded-lg border border-zinc-200 bg-white px-3 py-2">
      <label htmlFor="run-scrubber" className="shrink-0 text-xs font-medium text-zinc-700">
        Replay events
      </label>
      <input
        id="run-scrubber"
        type="range"
        min={0}
        max={events.length}
        step={1}
        value={at}
        aria-valuetext={
          current ? `Event ${at} of ${events.length}: ${current.type}` : "Before the first event"
        }
        onChange={(e) => {
          const v = Number(e.target.value);
          onChange(v >= events.length ? null : v);
        }}
        className="flex-1 accent-[var(--color-accent-600)]"
      />
      <output
        htmlFor="run-scrubber"
        data-testid="scrubber-event"
        className="w-72 shrink-0 truncate font-mono text-[11px] text-zinc-700"
      >
        {current
          ? `${at}/${events.length} · ${formatTime(current.at)} · ${current.type}${current.stepId ? ` ${current.stepId}` : ""}`
          : `0/${events.length} · before the run`}
      </output>
      <Button size="sm" disabled={position === null} onClick={() => onChange(null)}>
        Live
      </Button>
    </div>
  );
}
