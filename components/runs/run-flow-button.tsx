"use client";

import { useState } from "react";
import { useCan } from "@/lib/trpc/hooks";
import { Button } from "@/components/ui/button";
import { StartRunDialog } from "./start-run-dialog";

/** "Run": opens the "Run a flow" dialog with this workflow chosen (editors and up). */
export function RunFlowButton({ workflowId }: { workflowId: string }) {
  const canRun = useCan("editor");
  const [open, setOpen] = useState(false);
  if (!canRun) return null;
  return (
    <>
      <Button size="sm" onClick={() => setOpen(true)}>
        Run
      </Button>
      <StartRunDialog open={open} onClose={() => setOpen(false)} initialWorkflowId={workflowId} />
    </>
  );
}
