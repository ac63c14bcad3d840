import type { Metadata } from "next";
import type { ReactNode } from "react";
import { SandboxTabs } from "@/components/sandbox/sandbox-tabs";
import { SessionsPanel } from "@/components/sandbox/sessions-panel";
import { PageHeader } from "@/components/ui/page-header";
// Tab imports: H1, H2 and H5 each replace their own marker line with their import.
import { DatasetsPanel } from "@/components/sandbox/datasets-panel";
import { ScriptedModelsPanel } from "@/components/sandbox/scripted-models-panel";
import { EvalSuitesPanel } from "@/components/sandbox/eval-panel";

export const metadata: Metadata = { title: "Sandbox" };

/** The Sandbox page's tabs, in order; `?tab=<id>` picks one (the first by default). */
const TABS: { id: string; label: string; panel: () => ReactNode }[] = [
  { id: "sessions", label: "Sessions", panel: () => <SessionsPanel /> },
  { id: "datasets", label: "Datasets", panel: () => <DatasetsPanel /> },
  { id: "scripted-models", label: "Scripted models", panel: () => <ScriptedModelsPanel /> },
  { id: "evaluations", label: "Evaluations", panel: () => <EvalSuitesPanel /> },
];

export default async function SandboxPage({
  searchParams,
}: {
  searchParams: Promise<{ tab?: string | string[] }>;
}) {
  const { tab } = await searchParams;
  const current = TABS.find((t) => t.id === tab) ?? TABS[0]!;
  return (
    <>
      <PageHeader
        title="Sandbox"
        description="Try flows against mock systems and scripted models, never real ones."
      />
      <SandboxTabs tabs={TABS.map(({ id, label }) => ({ id, label }))} current={current.id} />
      {current.panel()}
    </>
  );
}
