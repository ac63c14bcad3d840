"use client";

import dynamic from "next/dynamic";

const loading = () => <p className="py-6 text-sm text-zinc-500">Loading…</p>;

/**
 * The Sandbox page's tab panels, each its own chunk: a page load ships the open tab's code only
 * (the evaluations' charts and the datasets' forms are most of the page's JavaScript otherwise).
 * Rendered in the browser only (`ssr: false`), like the app's other lazily loaded parts: a
 * panel's chunk can arrive after the page's queries answered (the workspace and its role, the
 * lists), and a panel rendered on the server without them would then hydrate against different
 * markup (React error #418: the editable form where the server wrote the read-only note).
 * (next/dynamic takes its options as an object literal only.)
 */
const PANELS = {
  sessions: dynamic(() => import("./sessions-panel").then((m) => m.SessionsPanel), {
    ssr: false,
    loading,
  }),
  datasets: dynamic(() => import("./datasets-panel").then((m) => m.DatasetsPanel), {
    ssr: false,
    loading,
  }),
  "scripted-models": dynamic(
    () => import("./scripted-models-panel").then((m) => m.ScriptedModelsPanel),
    { ssr: false, loading },
  ),
  evaluations: dynamic(() => import("./eval-panel").then((m) => m.EvalSuitesPanel), {
    ssr: false,
    loading,
  }),
};

export type SandboxPanelId = keyof typeof PANELS;

/** The panel of the tab `id`. */
export function SandboxPanel({ id }: { id: SandboxPanelId }) {
  const Panel = PANELS[id];
  return <Panel />;
}
