import type { Metadata } from "next";
import { WorkflowDetail } from "@/components/workflows/workflow-detail";

export const metadata: Metadata = { title: "Studio" };

export default async function StudioPage({ params }: { params: Promise<{ workflowId: string }> }) {
  const { workflowId } = await params;
  return <WorkflowDetail workflowId={workflowId} />;
}
