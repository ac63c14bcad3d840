"use client";

import { useState } from "react";
import { useCan } from "@/lib/trpc/hooks";
import { Button } from "@/components/ui/button";
import { StartRunDialog } from "./start-run-dialog";
import type { ScreenDraft } from "./start-run-form";

/**
 * "Run": opens the "Run a flow" dialog with this workflow chosen (editors and up). In the
 * studio, `screen` hands it the draft on screen, which it then runs by default (a draft run).
 */
export function RunFlowButton({
  workflowId,
  screen,
}: {
  workflowId: string;
  screen?: ScreenDraft;
}) {
  const canRun = useCan("editor");
  const [open, setOpen] = useState(false);
  if (!canRun) return null;
  return (
    <>
      <Button
        size="sm"
        onClick={() => setOpen(true)}
        title={screen ? "Run the draft on screen, unsaved changes included" : undefined}
      >
        Run
      </Button>
      <StartRunDialog
        open={open}
        onClose={() => setOpen(false)}
        initialWorkflowId={workflowId}
        screen={screen}
      />
    </>
  );
}
