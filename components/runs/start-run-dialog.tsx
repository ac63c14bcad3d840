"use client";

import dynamic from "next/dynamic";
import { Dialog } from "@/components/ui/dialog";
import type { ScreenDraft } from "./start-run-form";

export type { ScreenDraft } from "./start-run-form";

/**
 * The form, with the flow compiler it runs in the browser, loads when the dialog first opens:
 * the pages that offer "Run" (the runs list, a workflow) do not ship the compiler until then.
 */
const StartRunForm = dynamic(() => import("./start-run-form").then((m) => m.StartRunForm), {
  ssr: false,
  loading: () => <p className="py-6 text-center text-sm text-zinc-500">Loading…</p>,
});

/**
 * "Run a flow": pick a workflow and what to run, fill in the inputs in a form generated from the
 * flow's input schema (or as JSON, one click away), start (`start-run-form.tsx`). Opened from the
 * studio, it runs the draft on screen by default (a draft run) and says so. On success the run
 * opens.
 */
export function StartRunDialog({
  open,
  onClose,
  initialWorkflowId,
  screen,
}: {
  open: boolean;
  onClose: () => void;
  initialWorkflowId?: string;
  screen?: ScreenDraft;
}) {
  return (
    <Dialog open={open} onClose={onClose} title="Run a flow" size="lg">
      <StartRunForm onClose={onClose} initialWorkflowId={initialWorkflowId} screen={screen} />
    </Dialog>
  );
}
