import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Trust" };

export default function TrustPage() {
  return (
    <>
      <PageHeader title="Trust" description="How far each block and flow can be relied on." />
      <EmptyState title="No trust scores yet">
        Arrives with trust scores per block and flow, anomaly detection. This page stays empty until
        then.
      </EmptyState>
    </>
  );
}
