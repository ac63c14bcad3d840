/**
 * The workflows list's words for a workflow (its trigger, its publish state) and its search:
 * every word typed must appear in the name, description, trigger, state or last run.
 */
import type { RouterOutputs } from "@/lib/trpc/types";

export type WorkflowRow = RouterOutputs["workflow"]["list"][number];
type TriggerView = NonNullable<WorkflowRow["trigger"]>;

/** "Webhook", "Schedule 0 9 * * 1-5", "Manual", or "Does not compile". */
export function triggerLabel(t: TriggerView | null | undefined): string {
  if (!t) return "—";
  switch (t.type) {
    case "manual":
      return "Manual";
    case "webhook":
      return t.event ? `Webhook (${t.event})` : "Webhook";
    case "schedule":
      return `Schedule ${t.cron}`;
    default:
      return "Does not compile";
  }
}

/** "draft", "published v1.2.0", "v1.2.0 + draft changes". */
export function stateLabel(wf: Pick<WorkflowRow, "state" | "latestVersion">): string {
  if (wf.state === "draft" || !wf.latestVersion) return "draft";
  return wf.state === "changed"
    ? `v${wf.latestVersion.version} + draft changes`
    : `published v${wf.latestVersion.version}`;
}

/** The words the search looks through: name, description, trigger, state, last run. */
function haystack(wf: WorkflowRow): string {
  return [
    wf.name,
    wf.description,
    triggerLabel(wf.trigger),
    wf.trigger?.type,
    stateLabel(wf),
    wf.lastRun?.outcome.replaceAll("_", " "),
  ]
    .filter(Boolean)
    .join(" ")
    .toLowerCase();
}

/** The workflows whose words contain every word of `query` (case-insensitive). */
export function searchWorkflows(list: readonly WorkflowRow[], query: string): WorkflowRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...list];
  return list.filter((wf) => {
    const text = haystack(wf);
    return words.every((w) => text.includes(w));
  });
}
