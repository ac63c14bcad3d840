import type { Metadata } from "next";
import { WorkflowDetail } from "@/components/workflows/workflow-detail";

export const metadata: Metadata = { title: "Workflow" };

export default async function WorkflowPage({
  params,
}: {
  params: Promise<{ workflowId: string }>;
}) {
  const { workflowId } = await params;
  return <WorkflowDetail workflowId={workflowId} />;
}
