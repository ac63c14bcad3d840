import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Runs" };

export default function RunsPage() {
  return (
    <>
      <PageHeader title="Runs" description="Executions of your workflows, step by step." />
      <EmptyState title="No runs yet">
        Arrives with the Engine capability — durable execution, live run view. This page stays empty
        until then.
      </EmptyState>
    </>
  );
}
