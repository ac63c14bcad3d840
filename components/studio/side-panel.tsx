"use client";

import { useStudio } from "@/lib/studio/use-studio";
import { StudioSandboxPanel } from "../sandbox/studio-sandbox-panel";
import { Inspector } from "./inspector";
import { ProblemsList } from "./problems-list";
import { RailButton } from "./rail-button";
import { StepStatsPanel } from "./step-stats-panel";
import { useStudioContext, type SideTab } from "./studio-context";
import { VersionsPanel } from "./versions-panel";

/**
 * The studio's right-hand panel: inspector, problems and versions as tabs, the problem counts
 * below; folded, a rail with one button per tab.
 */
export function SidePanel({
  tab,
  onTab,
  hidden,
  onHide,
}: {
  tab: SideTab;
  onTab: (tab: SideTab) => void;
  hidden: boolean;
  onHide: () => void;
}) {
  const { store, openTab } = useStudioContext();
  const diagnostics = useStudio(store, (s) => s.diagnostics);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;

  if (hidden) {
    return (
      <aside
        aria-label="Side panel (hidden)"
        className="flex w-9 shrink-0 flex-col gap-1 border-l border-zinc-200 bg-white py-1"
      >
        <RailButton label="Show inspector" onClick={() => openTab("inspector")}>
          Inspector
        </RailButton>
        <RailButton label="Show problems" onClick={() => openTab("problems")}>
          Problems ({diagnostics.length})
        </RailButton>
        <RailButton label="Show versions" onClick={() => openTab("versions")}>
          Versions
        </RailButton>
        <RailButton label="Show sandbox" onClick={() => openTab("sandbox")}>
          Sandbox
        </RailButton>
        <RailButton label="Show step statistics" onClick={() => openTab("stats")}>
          Stats
        </RailButton>
      </aside>
    );
  }
  return (
    <aside className="flex w-64 shrink-0 flex-col border-l border-zinc-200 bg-white">
      <div className="flex border-b border-zinc-200 text-xs">
        {/* Only tabs in the tablist: the hide button sits beside it, always in view (the tabs
            scroll sideways when they do not fit the panel's width). */}
        <div role="tablist" aria-label="Side panel" className="flex min-w-0 flex-1 overflow-x-auto">
          {(
            [
              ["inspector", "Inspector"],
              ["problems", `Problems (${diagnostics.length})`],
              ["versions", "Versions"],
              ["sandbox", "Sandbox"],
              ["stats", "Stats"],
            ] as const
          ).map(([id, label]) => (
            <button
              key={id}
              id={`side-tab-${id}`}
              type="button"
              role="tab"
              aria-selected={tab === id}
              aria-controls="side-tabpanel"
              onClick={() => onTab(id)}
              className={`flex-1 shrink-0 px-1.5 py-1.5 whitespace-nowrap ${tab === id ? "border-b-2 border-accent-600 font-semibold" : "text-zinc-600"}`}
            >
              {label}
            </button>
          ))}
        </div>
        <button
          type="button"
          onClick={onHide}
          aria-label="Hide side panel"
          title="Hide side panel"
          className="shrink-0 px-2 text-zinc-500 hover:bg-zinc-100"
        >
          »
        </button>
      </div>
      <div
        id="side-tabpanel"
        className="min-h-0 flex-1 overflow-y-auto"
        role="tabpanel"
        aria-labelledby={`side-tab-${tab}`}
      >
        {tab === "inspector" && <Inspector />}
        {tab === "problems" && <ProblemsList />}
        {tab === "versions" && <VersionsPanel />}
        {tab === "sandbox" && <StudioSandboxPanel />}
        {tab === "stats" && <StepStatsPanel />}
      </div>
      <p
        className="border-t border-zinc-200 px-3 py-1 text-[11px] text-zinc-600"
        data-testid="problem-counts"
      >
        {errors} error{errors === 1 ? "" : "s"} · {warnings} warning
        {warnings === 1 ? "" : "s"}
      </p>
    </aside>
  );
}
