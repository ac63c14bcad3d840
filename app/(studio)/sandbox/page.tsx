import type { Metadata } from "next";
import { SandboxTabs } from "@/components/sandbox/sandbox-tabs";
import { SandboxPanel, type SandboxPanelId } from "@/components/sandbox/sandbox-panel";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Sandbox" };

/** The Sandbox page's tabs, in order; `?tab=<id>` picks one (the first by default). */
const TABS: { id: SandboxPanelId; label: string }[] = [
  { id: "sessions", label: "Sessions" },
  { id: "datasets", label: "Datasets" },
  { id: "scripted-models", label: "Scripted models" },
  { id: "evaluations", label: "Evaluations" },
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
      <SandboxTabs tabs={TABS} current={current.id} />
      <SandboxPanel id={current.id} />
    </>
  );
}
