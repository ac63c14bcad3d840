"use client";

import { ReactFlowProvider } from "@xyflow/react";
import dynamic from "next/dynamic";
import Link from "next/link";
import {
  memo,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type PointerEvent as ReactPointerEvent,
} from "react";
import { hasRole } from "@/lib/enums";
import { studioRegistry } from "@/lib/studio/registry";
import { StudioStore } from "@/lib/studio/studio-store";
import { exposeStudioForTests } from "@/lib/studio/test-hooks";
import { useDraftSaver, type DraftSaver } from "@/lib/studio/use-draft-saver";
import { useStudio } from "@/lib/studio/use-studio";
import { useWorkflow } from "@/lib/studio/use-workflow-api";
import { useWorkspaceDirectory } from "@/lib/studio/use-workspace-directory";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import { errorMessage } from "@/lib/trpc/errors";
import type { RouterOutputs } from "@/lib/trpc/types";
import { Alert } from "@/components/ui/alert";
import { FlowCanvas, type CanvasApi } from "../canvas/flow-canvas";
import { SandboxRunMarks } from "../sandbox/sandbox-run-marks";
import { SandboxRunTracker } from "../sandbox/studio-sandbox-panel";
import { usePersistedToggle } from "../shell/use-persisted-toggle";
import { BlockPalette } from "./block-palette";
import { StudioCompare } from "./compare-view";
import { RailButton } from "./rail-button";
import { SaveVersionDialog } from "./save-version-dialog";
import { SidePanel } from "./side-panel";
import {
  StudioProvider,
  useStudioContext,
  type Comparison,
  type SideTab,
  type StudioContextValue,
} from "./studio-context";
import { StudioToolbar, type StudioView } from "./studio-toolbar";
import { useEarnedTrust } from "./use-earned-trust";

const DslEditor = dynamic(() => import("../editor/dsl-editor").then((m) => m.DslEditor), {
  ssr: false,
  loading: () => <p className="p-4 text-sm text-zinc-500">Loading editor…</p>,
});

/** The studio for one workflow: loads it, then hands it to the editor surfaces. */
export function Studio({ workflowId }: { workflowId: string }) {
  const workflow = useWorkflow(workflowId);
  if (workflow.isPending) {
    return <p className="py-8 text-center text-sm text-zinc-500">Loading workflow…</p>;
  }
  if (workflow.error) {
    return (
      <div className="space-y-3">
        <Alert tone="error">{errorMessage(workflow.error)}</Alert>
        <Link href="/workflows" className="text-sm text-accent-700 hover:underline">
          Back to workflows
        </Link>
      </div>
    );
  }
  return <StudioLoaded key={workflow.data.id} workflow={workflow.data} />;
}

/**
 * The loaded studio: owns the store and the layout (view, split, folded panels, the open tab,
 * a comparison, the save dialog) and shares the rest through the studio context. It does not
 * subscribe to the text: typing re-renders only the parts that show what changed.
 */
function StudioLoaded({ workflow: wf }: { workflow: RouterOutputs["workflow"]["get"] }) {
  const registry = studioRegistry();
  const [store] = useState(() => new StudioStore(registry, wf.draft));
  useWorkspaceDirectory(store);
  const role = useCurrentWorkspace().data?.role;
  const readOnly = !hasRole(role, "editor") || wf.deletedAt !== null;
  const [view, setView] = useState<StudioView>("split");
  const [tab, setTab] = useState<SideTab>("inspector");
  // The editor gets a little more than half: YAML lines are wider than the canvas needs.
  const [split, setSplit] = useState(0.45);
  const [saveOpen, setSaveOpen] = useState(false);
  const [compare, setCompare] = useState<Comparison | null>(null);
  // Folded side panels (kept per browser); the canvas and the editor take the room.
  const [paletteHidden, setPaletteHidden] = usePersistedToggle("trustflow.studio.palette.hidden");
  const [panelHidden, setPanelHidden] = usePersistedToggle("trustflow.studio.panel.hidden");
  const canvasApi = useRef<CanvasApi>(null);
  const [sandboxRun] = useState(() => new SandboxRunMarks());
  const saver = useDraftSaver(store, wf.id, readOnly);

  useEffect(() => {
    const unexpose = exposeStudioForTests(store);
    return () => {
      unexpose();
      store.dispose();
    };
  }, [store]);

  const openTab = useCallback(
    (t: SideTab) => {
      setTab(t);
      setPanelHidden(false);
    },
    [setPanelHidden],
  );
  const hidePalette = useCallback(() => setPaletteHidden(true), [setPaletteHidden]);
  const context = useMemo<StudioContextValue>(
    () => ({
      store,
      registry,
      workflowId: wf.id,
      readOnly,
      saveDraft: saver.save,
      openTab,
      openCompare: setCompare,
      canvasApi,
      sandboxRun,
    }),
    [store, registry, wf.id, readOnly, saver.save, openTab, sandboxRun],
  );

  return (
    <StudioProvider value={context}>
      <SandboxRunTracker />
      {/* The studio takes the whole area right of the navigation and below the header. */}
      <div className="fixed top-12 right-0 bottom-0 left-[var(--nav-w,13rem)] z-0 flex flex-col bg-zinc-50">
        <StudioToolbar
          workflowName={wf.name}
          view={view}
          onView={setView}
          saver={saver}
          onSaveVersion={() => setSaveOpen(true)}
        />
        <StudioNotice saver={saver} />
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
                <BlockPalette onCollapse={hidePalette} />
              </aside>
            ))}
          <Panels view={view} split={split} setSplit={setSplit}>
            <CanvasPane />
            <EditorPane />
          </Panels>
          <SidePanel
            tab={tab}
            onTab={setTab}
            hidden={panelHidden === true}
            onHide={() => setPanelHidden(true)}
          />
          {compare && <StudioCompare comparison={compare} onClose={() => setCompare(null)} />}
        </div>
        {!readOnly && <SaveVersionDialog open={saveOpen} onClose={() => setSaveOpen(false)} />}
      </div>
    </StudioProvider>
  );
}

/** The last edit that could not be applied, or the last save that failed, until dismissed. */
function StudioNotice({ saver }: { saver: DraftSaver }) {
  const { store } = useStudioContext();
  const notice = useStudio(store, (s) => s.notice);
  if (!notice && !saver.error) return null;
  return (
    <div
      className="flex items-center gap-2 border-b border-red-200 bg-red-50 px-3 py-1 text-xs text-red-800"
      role="alert"
    >
      <span className="flex-1">{notice ?? saver.error}</span>
      <button
        type="button"
        className="underline"
        onClick={() => (notice ? store.dismissNotice() : saver.dismissError())}
      >
        Dismiss
      </button>
    </div>
  );
}

/**
 * The canvas and the editor subscribe to the store themselves; memoised (and the context does not
 * change while typing) so that what the studio shell re-renders for does not re-render them.
 */
const CanvasPane = memo(function CanvasPane() {
  const { store, registry, readOnly, canvasApi, sandboxRun } = useStudioContext();
  const runMarks = useSyncExternalStore(sandboxRun.subscribe, sandboxRun.get, sandboxRun.get);
  const graph = useStudio(store, (s) => s.graph);
  const earned = useEarnedTrust(registry, graph);
  return (
    <ReactFlowProvider>
      <FlowCanvas
        store={store}
        registry={registry}
        readOnly={readOnly}
        apiRef={canvasApi}
        runMarks={runMarks}
        earned={earned.marks}
      />
    </ReactFlowProvider>
  );
});

const EditorPane = memo(function EditorPane() {
  const { store, readOnly, saveDraft } = useStudioContext();
  return <DslEditor store={store} readOnly={readOnly} onSave={saveDraft} />;
});

/** Canvas and editor side by side with a draggable splitter, or one of them alone. */
function Panels({
  view,
  split,
  setSplit,
  children,
}: {
  view: StudioView;
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
