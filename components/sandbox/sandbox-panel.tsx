"use client";

import dynamic from "next/dynamic";

const loading = () => <p className="py-6 text-sm text-zinc-500">Loading…</p>;

/**
 * The Sandbox page's tab panels, each its own chunk: a page load ships the open tab's code only
 * (the evaluations' charts and the datasets' forms are most of the page's JavaScript otherwise).
 */
const PANELS = {
  sessions: dynamic(() => import("./sessions-panel").then((m) => m.SessionsPanel), { loading }),
  datasets: dynamic(() => import("./datasets-panel").then((m) => m.DatasetsPanel), { loading }),
  "scripted-models": dynamic(
    () => import("./scripted-models-panel").then((m) => m.ScriptedModelsPanel),
    { loading },
  ),
  evaluations: dynamic(() => import("./eval-panel").then((m) => m.EvalSuitesPanel), { loading }),
};

export type SandboxPanelId = keyof typeof PANELS;

/** The panel of the tab `id`. */
export function SandboxPanel({ id }: { id: SandboxPanelId }) {
  const Panel = PANELS[id];
  return <Panel />;
}
