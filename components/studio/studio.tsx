"use client";

import { ReactFlowProvider } from "@xyflow/react";
import dynamic from "next/dynamic";
import Link from "next/link";
import {
  memo,
  useCallback,
  useEffect,
  useRef,
  useState,
  type ComponentProps,
  type PointerEvent as ReactPointerEvent,
} from "react";
import type { Diagnostic } from "@/dsl";
import { hasRole } from "@/lib/roles";
import { setAllPositions } from "@/lib/studio/flow-text";
import { layoutGraph } from "@/lib/studio/layout";
import { studioRegistry } from "@/lib/studio/registry";
import { StudioStore } from "@/lib/studio/studio-store";
import { useStudio } from "@/lib/studio/use-studio";
import { useWorkflowApi } from "@/lib/studio/use-workflow-api";
import { useWorkspaceDirectory } from "@/lib/studio/use-workspace-directory";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { RunFlowButton } from "@/components/runs/run-flow-button";
import { addBlock, FlowCanvas, type CanvasApi } from "../canvas/flow-canvas";
import { usePersistedToggle } from "../shell/use-persisted-toggle";
import { BlockPalette } from "./block-palette";
import { Inspector } from "./inspector";
import { ProblemsList } from "./problems-list";
import { versionBlocker, type VersionBlocker } from "./version-plan";
import {
  CompareView,
  SaveVersionDialog,
  VersionsPanel,
  type Comparison,
  type CompareSide,
} from "./versions-panel";

const DslEditor = dynamic(() => import("../editor/dsl-editor").then((m) => m.DslEditor), {
  ssr: false,
  loading: () => <p className="p-4 text-sm text-zinc-500">Loading editor…</p>,
});

declare global {
  interface Window {
    /** Read-only hooks for tests and benchmarks. */
    __tfStudio?: { text: () => string; revision: () => number };
  }
}

const AUTOSAVE_MS = 1500;

/** The studio for one workflow: loads it, then hands it to the editor surfaces. */
export function Studio({ workflowId }: { workflowId: string }) {
  const api = useWorkflowApi(workflowId);
  if (api.workflow.isPending) {
    return <p className="py-8 text-center text-sm text-zinc-500">Loading workflow…</p>;
  }
  if (api.workflow.error) {
    return (
      <div className="space-y-3">
        <Alert tone="error">{errorMessage(api.workflow.error)}</Alert>
        <Link href="/workflows" className="text-sm text-accent-700 hover:underline">
          Back to workflows
        </Link>
      </div>
    );
  }
  return <StudioLoaded key={api.workflow.data.id} api={api} />;
}

type View = "canvas" | "split" | "code";
type Tab = "inspector" | "problems" | "versions";

function StudioLoaded({ api }: { api: ReturnType<typeof useWorkflowApi> }) {
  const wf = api.workflow.data!;
  const registry = studioRegistry();
  const [store] = useState(() => new StudioStore(registry, wf.draft));
  useWorkspaceDirectory(store);
  const role = useCurrentWorkspace().data?.role;
  const readOnly = !hasRole(role, "editor") || wf.deletedAt !== null;
  const [view, setView] = useState<View>("split");
  const [tab, setTab] = useState<Tab>("inspector");
  // The editor gets a little more than half: YAML lines are wider than the canvas needs.
  const [split, setSplit] = useState(0.45);
  const [fitNonce, setFitNonce] = useState(0);
  const [saveOpen, setSaveOpen] = useState(false);
  const [compare, setCompare] = useState<Comparison | null>(null);
  // Folded side panels (kept per browser); the canvas and the editor take the room.
  const [paletteHidden, setPaletteHidden] = usePersistedToggle("trustflow.studio.palette.hidden");
  const [panelHidden, setPanelHidden] = usePersistedToggle("trustflow.studio.panel.hidden");
  const canvasApi = useRef<CanvasApi>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<number | null>(null);
  const text = useStudio(store, (s) => s.text);
  const savedText = useStudio(store, (s) => s.savedText);
  const canUndo = useStudio(store, (s) => s.canUndo);
  const canRedo = useStudio(store, (s) => s.canRedo);
  const notice = useStudio(store, (s) => s.notice);
  const diagnostics = useStudio(store, (s) => s.diagnostics);
  const diagnosticsCurrent = useStudio(store, (s) => s.diagnosticsRevision === s.revision);
  const dirty = text !== savedText;
  // Why "Save version" is off: the draft does not parse or has errors. Decided when a text's
  // diagnostics are in and kept while the next keystroke compiles, so the button and its reason
  // do not flicker as one types (the dialog checks again on opening either way).
  const [blockedFor, setBlockedFor] = useState<{
    diagnostics: Diagnostic[] | null;
    blocker: VersionBlocker | null;
  }>({ diagnostics: null, blocker: null });
  if (diagnosticsCurrent && blockedFor.diagnostics !== diagnostics) {
    setBlockedFor({ diagnostics, blocker: versionBlocker(text, diagnostics) });
  }
  const saveVersionBlocked = blockedFor.blocker;

  useEffect(() => {
    window.__tfStudio = {
      text: () => store.getState().text,
      revision: () => store.getState().revision,
    };
    return () => {
      delete window.__tfStudio;
      store.dispose();
    };
  }, [store]);

  const saveDraft = useCallback(async () => {
    const t = store.getState().text;
    if (readOnly || t === store.getState().savedText) return;
    setSaveError(null);
    try {
      const r = await api.saveDraft.mutateAsync({ id: wf.id, dsl: t });
      store.markSaved(t);
      store.setServerDiagnostics(t, r.diagnostics);
      setServerErrors(r.diagnostics.filter((d) => d.severity === "error").length);
    } catch (e) {
      setSaveError(errorMessage(e));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [store, readOnly, wf.id]);

  // Autosave a moment after the last change.
  useEffect(() => {
    if (!dirty || readOnly) return;
    const t = setTimeout(() => void saveDraft(), AUTOSAVE_MS);
    return () => clearTimeout(t);
  }, [text, dirty, readOnly, saveDraft]);

  const exportFile = () => {
    const name = /^flow:\s*([^\s#]+)/m.exec(text)?.[1] ?? "flow";
    const url = URL.createObjectURL(new Blob([text], { type: "application/yaml" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${name}.flow.yaml`;
    a.click();
    URL.revokeObjectURL(url);
  };

  const autoLayout = () => {
    const g = store.getState().graph;
    if (!g || readOnly) return;
    store.setText(setAllPositions(store.getState().text, layoutGraph(g, { all: true })), "canvas");
    setFitNonce((n) => n + 1);
  };

  // Stable, so the memoised palette does not re-render on every keystroke. The canvas puts the
  // step at a free place in view (never under the mini map or the controls).
  const onAddBlock = useCallback(
    (uses: string) => {
      if (canvasApi.current) {
        canvasApi.current.addBlock(uses);
        return;
      }
      const g = store.getState().graph;
      const ys = Object.values(g ? layoutGraph(g) : {}).map((p) => p[1]);
      addBlock(store, registry, uses, [0, ys.length ? Math.max(...ys) + 140 : 0]);
    },
    [store, registry],
  );
  const hidePalette = useCallback(() => setPaletteHidden(true), [setPaletteHidden]);
  const openTab = (t: Tab) => {
    setTab(t);
    setPanelHidden(false);
  };
  /** A comparison side with the draft resolved to the text on screen now. */
  const resolve = (side: CompareSide) =>
    "draft" in side ? { label: side.label, text } : { label: side.label, text: side.text };

  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;

  return (
    // The studio takes the whole area right of the navigation and below the header.
    <div className="fixed top-12 right-0 bottom-0 left-[var(--nav-w,13rem)] z-0 flex flex-col bg-zinc-50">
      <div className="flex flex-wrap items-center gap-2 border-b border-zinc-200 bg-white px-3 py-1.5">
        <nav aria-label="Breadcrumb" className="text-xs text-zinc-500">
          <Link href="/workflows" className="hover:text-zinc-900">
            Workflows
          </Link>{" "}
          /
        </nav>
        <h1 className="max-w-56 truncate text-sm font-semibold">{wf.name}</h1>
        {readOnly && <Badge tone="neutral">Read-only</Badge>}
        <span className="text-xs text-zinc-500" role="status" data-testid="save-status">
          {readOnly
            ? ""
            : api.saveDraft.isPending
              ? "Saving…"
              : dirty
                ? "Unsaved changes"
                : "Draft saved"}
          {serverErrors !== null &&
            !dirty &&
            ` · server: ${serverErrors} error${serverErrors === 1 ? "" : "s"}`}
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
              onClick={() => setView(v)}
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
        <Button size="sm" onClick={autoLayout} disabled={readOnly}>
          Auto-layout
        </Button>
        <Button size="sm" onClick={exportFile}>
          Export
        </Button>
        {!readOnly && (
          <RunFlowButton
            workflowId={wf.id}
            screen={{ text: () => store.getState().text, save: saveDraft }}
          />
        )}
        {!readOnly && (
          <>
            <Button
              size="sm"
              onClick={() => void saveDraft()}
              disabled={!dirty}
              pending={api.saveDraft.isPending}
            >
              Save draft
            </Button>
            <span title={saveVersionBlocked?.reason} className="inline-flex">
              <Button
                size="sm"
                variant="primary"
                onClick={() => setSaveOpen(true)}
                disabled={saveVersionBlocked !== null}
                aria-describedby={saveVersionBlocked ? "save-version-blocked-reason" : undefined}
              >
                Save version
              </Button>
            </span>
            {saveVersionBlocked && (
              <>
                <span id="save-version-blocked-reason" className="sr-only">
                  {saveVersionBlocked.reason}
                </span>
                <button
                  type="button"
                  onClick={() => openTab("problems")}
                  className="text-left text-xs whitespace-nowrap text-red-700 underline decoration-dotted"
                  title={saveVersionBlocked.reason}
                  data-testid="save-version-blocked"
                >
                  {saveVersionBlocked.short}
                </button>
              </>
            )}
          </>
        )}
      </div>
      {(notice || saveError) && (
        <div
          className="flex items-center gap-2 border-b border-red-200 bg-red-50 px-3 py-1 text-xs text-red-800"
          role="alert"
        >
          <span className="flex-1">{notice ?? saveError}</span>
          <button
            type="button"
            className="underline"
            onClick={() => (notice ? store.dismissNotice() : setSaveError(null))}
          >
            Dismiss
          </button>
        </div>
      )}
      <div className="relative flex min-h-0 flex-1">
        {view !== "code" &&
          (paletteHidden ? (
            <aside className="w-9 shrink-0 border-r border-zinc-200 bg-zinc-50">
              <RailButton label="Show block palette" onClick={() => setPaletteHidden(false)}>
                Blocks
              </RailButton>
            </aside>
          ) : (
            <aside className="w-56 shrink-0 border-r border-zinc-200 bg-zinc-50">
              <BlockPalette
                registry={registry}
                readOnly={readOnly}
                onAdd={onAddBlock}
                onCollapse={hidePalette}
              />
            </aside>
          ))}
        <Panels view={view} split={split} setSplit={setSplit}>
          <CanvasPane
            store={store}
            registry={registry}
            readOnly={readOnly}
            fitNonce={fitNonce}
            apiRef={canvasApi}
          />
          <EditorPane store={store} readOnly={readOnly} onSave={saveDraft} />
        </Panels>
        {panelHidden ? (
          <aside
            aria-label="Side panel (hidden)"
            className="flex w-9 shrink-0 flex-col gap-1 border-l border-zinc-200 bg-white py-1"
          >
            <RailButton label="Show inspector" onClick={() => openTab("inspector")}>
              Inspector
            </RailButton>
            <RailButton label="Show problems" onClick={() => openTab("problems")}>
              Problems ({diagnostics.length})
            </RailButton>
            <RailButton label="Show versions" onClick={() => openTab("versions")}>
              Versions
            </RailButton>
          </aside>
        ) : (
          <aside className="flex w-64 shrink-0 flex-col border-l border-zinc-200 bg-white">
            <div className="flex border-b border-zinc-200 text-xs">
              {/* Only tabs in the tablist: the hide button sits beside it. */}
              <div role="tablist" aria-label="Side panel" className="flex flex-1">
                {(
                  [
                    ["inspector", "Inspector"],
                    ["problems", `Problems (${diagnostics.length})`],
                    ["versions", "Versions"],
                  ] as const
                ).map(([id, label]) => (
                  <button
                    key={id}
                    id={`side-tab-${id}`}
                    type="button"
                    role="tab"
                    aria-selected={tab === id}
                    aria-controls="side-tabpanel"
                    onClick={() => setTab(id)}
                    className={`flex-1 px-1.5 py-1.5 whitespace-nowrap ${tab === id ? "border-b-2 border-accent-600 font-semibold" : "text-zinc-600"}`}
                  >
                    {label}
                  </button>
                ))}
              </div>
              <button
                type="button"
                onClick={() => setPanelHidden(true)}
                aria-label="Hide side panel"
                title="Hide side panel"
                className="px-2 text-zinc-500 hover:bg-zinc-100"
              >
                »
              </button>
            </div>
            <div
              id="side-tabpanel"
              className="min-h-0 flex-1 overflow-y-auto"
              role="tabpanel"
              aria-labelledby={`side-tab-${tab}`}
            >
              {tab === "inspector" && (
                <Inspector store={store} registry={registry} readOnly={readOnly} />
              )}
              {tab === "problems" && <ProblemsList store={store} />}
              {tab === "versions" && (
                <VersionsPanel store={store} api={api} readOnly={readOnly} onCompare={setCompare} />
              )}
            </div>
            <p
              className="border-t border-zinc-200 px-3 py-1 text-[11px] text-zinc-600"
              data-testid="problem-counts"
            >
              {errors} error{errors === 1 ? "" : "s"} · {warnings} warning
              {warnings === 1 ? "" : "s"}
            </p>
          </aside>
        )}
        {compare && (
          <CompareView
            before={resolve(compare.before)}
            after={resolve(compare.after)}
            registry={registry}
            onClose={() => setCompare(null)}
          />
        )}
      </div>
      {!readOnly && (
        <SaveVersionDialog
          open={saveOpen}
          onClose={() => setSaveOpen(false)}
          store={store}
          api={api}
          onCompare={(c) => {
            setSaveOpen(false);
            setCompare(c);
          }}
        />
      )}
    </div>
  );
}

/**
 * The canvas and the editor subscribe to the store themselves; memoised so that what the studio
 * shell re-renders for (the text, for the save status) does not re-render them per keystroke.
 */
const CanvasPane = memo(function CanvasPane(props: ComponentProps<typeof FlowCanvas>) {
  return (
    <ReactFlowProvider>
      <FlowCanvas {...props} />
    </ReactFlowProvider>
  );
});

const EditorPane = memo(function EditorPane(props: ComponentProps<typeof DslEditor>) {
  return <DslEditor {...props} />;
});

/** A button of a folded panel's rail: vertical text, the panel's name. */
function RailButton({
  label,
  onClick,
  children,
}: {
  label: string;
  onClick: () => void;
  children: React.ReactNode;
}) {
  return (
    <button
      type="button"
      onClick={onClick}
      aria-label={label}
      title={label}
      className="w-full px-1 py-2 text-xs text-zinc-600 [writing-mode:vertical-rl] hover:bg-zinc-100 hover:text-zinc-900"
    >
      {children}
    </button>
  );
}

/** Canvas and editor side by side with a draggable splitter, or one of them alone. */
function Panels({
  view,
  split,
  setSplit,
  children,
}: {
  view: View;
  split: number;
  setSplit: (n: number) => void;
  children: [React.ReactNode, React.ReactNode];
}) {
  const box = useRef<HTMLDivElement>(null);
  const onPointerDown = (e: ReactPointerEvent) => {
    const el = box.current;
    if (!el) return;
    e.preventDefault();
    const rect = el.getBoundingClientRect();
    const move = (ev: PointerEvent) =>
      setSplit(Math.min(0.85, Math.max(0.15, (ev.clientX - rect.left) / rect.width)));
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  };
  const [canvas, editor] = children;
  return (
    <div ref={box} className="flex min-w-0 flex-1">
      <section
        aria-label="Canvas"
        className="min-w-0"
        style={{
          flexBasis: view === "split" ? `${split * 100}%` : "100%",
          display: view === "code" ? "none" : "block",
        }}
      >
        {canvas}
      </section>
      {view === "split" && (
        <div
          role="separator"
          aria-orientation="vertical"
          aria-label="Resize canvas and editor"
          aria-valuenow={Math.round(split * 100)}
          aria-valuemin={15}
          aria-valuemax={85}
          tabIndex={0}
          onPointerDown={onPointerDown}
          onKeyDown={(e) => {
            if (e.key === "ArrowLeft") setSplit(Math.max(0.15, split - 0.05));
            if (e.key === "ArrowRight") setSplit(Math.min(0.85, split + 0.05));
          }}
          className="w-1.5 shrink-0 cursor-col-resize bg-zinc-200 hover:bg-accent-500"
        />
      )}
      <section
        aria-label="Editor"
        className="min-w-0 flex-1 bg-white"
        style={{ display: view === "canvas" ? "none" : "block" }}
      >
        {editor}
      </section>
    </div>
  );
}
