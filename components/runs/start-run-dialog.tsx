"use client";

import dynamic from "next/dynamic";
import { Dialog } from "@/components/ui/dialog";
import type { ScreenDraft } from "./start-run-form";

/**
 * The form, with the flow compiler it runs in the browser, loads when the dialog first opens:
 * the pages that offer "Run" (the runs list, a workflow) do not ship the compiler until then.
 */
const StartRunForm = dynamic(() => import("./start-run-form").then((m) => m.StartRunForm), {
  ssr: false,
  loading: () => <p className="py-6 text-center text-sm text-zinc-500">Loading…</p>,
});

/** The "Run a flow" dialog around its form (`start-run-form.tsx`, which says what it does). */
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
