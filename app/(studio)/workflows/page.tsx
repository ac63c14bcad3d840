import type { Metadata } from "next";
import { flowTemplates } from "@/dsl";
import { WorkflowList } from "@/components/workflows/workflow-list";

export const metadata: Metadata = { title: "Workflows" };

export default function WorkflowsPage() {
  // Only what the "Start from" list shows: the compiler and the templates' texts stay here.
  const templates = flowTemplates.map(({ id, title, summary }) => ({ id, title, summary }));
  return <WorkflowList templates={templates} />;
}
