import type { Metadata } from "next";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";

export const metadata: Metadata = { title: "Approvals" };

export default function ApprovalsPage() {
  return (
    <>
      <PageHeader title="Approvals" description="Decisions waiting for a person." />
      <EmptyState title="No approvals yet">
        Arrives with approval-gated replay and guardian fix review. This page stays empty until
        then.
      </EmptyState>
    </>
  );
}
