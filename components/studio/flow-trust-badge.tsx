"use client";

import { useStudio } from "@/lib/studio/use-studio";
import { useStudioContext } from "./studio-context";
import { useEarnedTrust } from "./use-earned-trust";

/**
 * The open flow's trust in the studio header: its lowest step's score earned from run history
 * (or its baseline, "not enough data"), against the flow's minimum; the figures and the formula
 * on hover. Nothing while the scores load or when they cannot be read (the canvas still shows
 * the compiler's scores).
 */
export function FlowTrustBadge() {
  const { store, registry } = useStudioContext();
  const graph = useStudio(store, (s) => s.graph);
  const min = useStudio(store, (s) => s.ir?.trustMin ?? null);
  const { flow } = useEarnedTrust(registry, graph);
  if (!flow) return null;
  const below = min !== null && flow.score < min;
  const label = `Flow trust ${flow.score.toFixed(2)}${flow.enoughData ? " earned" : " (not enough data)"}, lowest step ${flow.stepId}${min !== null ? `, minimum ${min}` : ""}`;
  return (
    <span
      className={`rounded px-1.5 py-0.5 text-[11px] font-medium ring-1 ring-inset ${
        below
          ? "bg-red-50 text-red-800 ring-red-200"
          : flow.enoughData
            ? "bg-emerald-50 text-emerald-800 ring-emerald-200"
            : "bg-zinc-50 text-zinc-700 ring-zinc-200"
      }`}
      title={`${label}. ${flow.title}`}
      aria-label={label}
      data-testid="flow-trust"
    >
      trust {flow.score.toFixed(2)}
      {min !== null && (below ? ` < ${min}` : ` ≥ ${min}`)}
      {flow.enoughData ? " · earned" : " · not enough data"}
    </span>
  );
}
