import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Sandbox" };

export default function SandboxPage() {
  return (
    <>
      <PageHeader title="Sandbox" description="Try flows without touching real systems." />
      <EmptyState title="The sandbox is not available yet">
        Arrives with mock connectors, datasets, isolated code. This page stays empty until then.
      </EmptyState>
    </>
  );
}
