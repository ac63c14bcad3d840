import type { Metadata } from "next";
import { Studio } from "@/components/studio/studio";

export const metadata: Metadata = { title: "Studio" };

export default async function StudioPage({ params }: { params: Promise<{ workflowId: string }> }) {
  const { workflowId } = await params;
  return <Studio workflowId={workflowId} />;
}
