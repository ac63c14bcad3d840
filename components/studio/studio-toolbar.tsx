"use client";

import Link from "next/link";
import { useMemo } from "react";
import type { DraftSaver } from "@/lib/studio/use-draft-saver";
import { useStudio } from "@/lib/studio/use-studio";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { RunFlowButton } from "@/components/runs/run-flow-button";
import { FlowTrustBadge } from "./flow-trust-badge";
import { useStudioContext } from "./studio-context";

export type StudioView = "canvas" | "split" | "code";

/**
 * The studio's top bar: where one is, the save status, the view switch, undo and redo,
 * auto-layout, export, run, save draft and save version (with why it is off, when it is).
 */
export function StudioToolbar({
  workflowName,
  view,
  onView,
  saver,
  onSaveVersion,
}: {
  workflowName: string;
  view: StudioView;
  onView: (view: StudioView) => void;
  saver: DraftSaver;
  onSaveVersion: () => void;
}) {
  const { store, workflowId, readOnly, openTab } = useStudioContext();
  const dirty = useStudio(store, (s) => s.text !== s.savedText);
  const canUndo = useStudio(store, (s) => s.canUndo);
  const canRedo = useStudio(store, (s) => s.canRedo);
  const blocker = useStudio(store, (s) => s.saveBlocker);
  const screen = useMemo(
    () => ({ text: () => store.getState().text, save: saver.save }),
    [store, saver.save],
  );

  const exportFile = () => {
    const text = store.getState().text;
    const name = /^flow:\s*([^\s#]+)/m.exec(text)?.[1] ?? "flow";
    const url = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${name}.flow.yaml`;
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <div className="flex flex-wrap items-center gap-2 border-b border-zinc-200 bg-white px-3 py-1.5">
      <nav aria-label="Breadcrumb" className="text-xs text-zinc-500">
        <Link href="/workflows" className="hover:text-zinc-900">
          Workflows
        </Link>{" "}
        /
      </nav>
      <h1 className="max-w-56 truncate text-sm font-semibold">{workflowName}</h1>
      <FlowTrustBadge />
      {readOnly && <Badge tone="neutral">Read-only</Badge>}
      <span className="text-xs text-zinc-500" role="status" data-testid="save-status">
        {readOnly ? "" : saver.pending ? "Saving…" : dirty ? "Unsaved changes" : "Draft saved"}
        {saver.serverErrors !== null &&
          !dirty &&
          ` · server: ${saver.serverErrors} error${saver.serverErrors === 1 ? "" : "s"}`}
      </span>
      <div
        role="radiogroup"
        aria-label="View"
        className="ml-auto flex overflow-hidden rounded-md border border-zinc-300"
      >
        {(["canvas", "split", "code"] as const).map((v) => (
          <button
            key={v}
            type="button"
            role="radio"
            aria-checked={view === v}
            onClick={() => onView(v)}
            className={`px-2 py-1 text-xs ${view === v ? "bg-accent-600 text-white" : "bg-white text-zinc-700 hover:bg-zinc-50"}`}
          >
            {v === "canvas" ? "Canvas" : v === "code" ? "Code" : "Split"}
          </button>
        ))}
      </div>
      <Button
        size="sm"
        variant="ghost"
        onClick={() => store.undo()}
        disabled={!canUndo || readOnly}
        aria-keyshortcuts="Control+Z"
      >
        Undo
      </Button>
      <Button
        size="sm"
        variant="ghost"
        onClick={() => store.redo()}
        disabled={!canRedo || readOnly}
        aria-keyshortcuts="Control+Shift+Z"
      >
        Redo
      </Button>
      <Button size="sm" onClick={() => store.autoLayout()} disabled={readOnly}>
        Auto-layout
      </Button>
      <Button size="sm" onClick={exportFile}>
        Export
      </Button>
      {!readOnly && <RunFlowButton workflowId={workflowId} screen={screen} />}
      {!readOnly && (
        <Button
          size="sm"
          onClick={() => openTab("sandbox")}
          title="Run the draft on screen in a sandbox session (mock systems only)"
        >
          Run in sandbox
        </Button>
      )}
      {!readOnly && (
        <>
          <Button
            size="sm"
            onClick={() => void saver.save()}
            disabled={!dirty}
            pending={saver.pending}
          >
            Save draft
          </Button>
          <span title={blocker?.reason} className="inline-flex">
            <Button
              size="sm"
              variant="primary"
              onClick={onSaveVersion}
              disabled={blocker !== null}
              aria-describedby={blocker ? "save-version-blocked-reason" : undefined}
            >
              Save version
            </Button>
          </span>
          {blocker && (
            <>
              <span id="save-version-blocked-reason" className="sr-only">
                {blocker.reason}
              </span>
              <button
                type="button"
                onClick={() => openTab("problems")}
                className="text-left text-xs whitespace-nowrap text-red-700 underline decoration-dotted"
                title={blocker.reason}
                data-testid="save-version-blocked"
              >
                {blocker.short}
              </button>
            </>
          )}
        </>
      )}
    </div>
  );
}
