import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Guardian" };

export default function GuardianPage() {
  return (
    <>
      <PageHeader title="Guardian" description="Help when a run fails." />
      <EmptyState title="Guardian is not active yet">
        Arrives with failed-run analysis and proposed fixes. This page stays empty until then.
      </EmptyState>
    </>
  );
}
