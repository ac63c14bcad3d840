"use client";

import Editor, { type OnMount } from "@monaco-editor/react";
import { useQuery } from "@tanstack/react-query";
import type * as monaco from "monaco-editor";
import { useEffect, useRef } from "react";
import { studioRegistry } from "@/lib/studio/registry";
import type { StudioStore } from "@/lib/studio/studio-store";
import { useTRPC } from "@/lib/trpc/client";
import { diagnosticsToMarkers } from "./diagnostics-to-markers";
import { registerFlowLanguage } from "./flow-language";
import { setupMonaco } from "./monaco-setup";

const MARKER_OWNER = "trustflow";

// Configured when this module loads (in the browser only: it is loaded with `ssr: false`), before
// the first render of <Editor>, which starts the loader; never during a render.
if (typeof window !== "undefined") setupMonaco();

/** The smallest single replacement turning `a` into `b` (common prefix and suffix kept). */
function minimalEdit(a: string, b: string) {
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  return { start, end: endA, text: b.slice(start, endB) };
}

/**
 * The YAML editor. Uncontrolled: Monaco owns its model; the studio store's text is applied with
 * edit operations (so the cursor stays), and typing goes to the store. Undo and redo are the
 * studio's shared history, not Monaco's own.
 *
 * Language features come from `dsl/language` (`flow-language.ts`): block ids after `uses:`, a
 * block's inputs in `with:`, inputs, step outputs, secrets and CEL functions in `${{ }}`, hovers,
 * go to definition (F12) on step references, quick fixes for diagnostics with a suggestion.
 * Ctrl/Cmd+S calls `onSave`.
 */
export function DslEditor({
  store,
  readOnly,
  onSave,
}: {
  store: StudioStore;
  readOnly: boolean;
  onSave?: () => void;
}) {
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const monacoRef = useRef<typeof monaco | null>(null);
  const applying = useRef(false);
  const cleanup = useRef<(() => void) | null>(null);
  const onSaveRef = useRef(onSave);
  // The workspace's secret names (`secrets.<name>` completion): names only, never values.
  const trpc = useTRPC();
  const secrets = useQuery({
    ...trpc.secret.list.queryOptions(),
    select: (rows) => rows.map((r) => r.name),
  });
  const secretsRef = useRef<readonly string[] | undefined>(undefined);

  useEffect(() => {
    onSaveRef.current = onSave;
    secretsRef.current = secrets.data;
  });

  useEffect(() => () => cleanup.current?.(), []);

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly });
  }, [readOnly]);

  const onMount: OnMount = (editor, m) => {
    editorRef.current = editor;
    monacoRef.current = m;
    const model = editor.getModel()!;
    model.updateOptions({ tabSize: 2, insertSpaces: true });

    editor.addCommand(m.KeyMod.CtrlCmd | m.KeyCode.KeyZ, () => store.undo());
    editor.addCommand(m.KeyMod.CtrlCmd | m.KeyMod.Shift | m.KeyCode.KeyZ, () => store.redo());
    editor.addCommand(m.KeyMod.CtrlCmd | m.KeyCode.KeyY, () => store.redo());
    // Save the draft (and never the browser's "Save page as").
    editor.addCommand(m.KeyMod.CtrlCmd | m.KeyCode.KeyS, () => onSaveRef.current?.());

    const registry = studioRegistry();
    const language = registerFlowLanguage(m, editor, {
      env: () => ({ registry, secrets: secretsRef.current }),
      diagnostics: (text) => {
        const s = store.getState();
        return s.text === text && s.diagnosticsRevision === s.revision ? s.diagnostics : undefined;
      },
      markerOwner: MARKER_OWNER,
    });

    const sub = model.onDidChangeContent(() => {
      if (applying.current) return;
      store.setText(model.getValue(), "editor");
    });

    let appliedRevision = -1;
    // The diagnostics the markers show: a text's diagnostics can change without a new revision
    // (the server's after a save, a recompile once the workspace's groups are known).
    let markersFor: unknown = null;
    const sync = () => {
      const s = store.getState();
      if (s.revision !== appliedRevision) {
        appliedRevision = s.revision;
        const current = model.getValue();
        if (current !== s.text) {
          const e = minimalEdit(current, s.text);
          const from = model.getPositionAt(e.start);
          const to = model.getPositionAt(e.end);
          applying.current = true;
          try {
            model.pushEditOperations(
              editor.getSelections() ?? [],
              [
                {
                  range: new m.Range(from.lineNumber, from.column, to.lineNumber, to.column),
                  text: e.text,
                  forceMoveMarkers: true,
                },
              ],
              () => null,
            );
          } finally {
            applying.current = false;
          }
        }
      }
      if (s.diagnosticsRevision === s.revision && markersFor !== s.diagnostics) {
        markersFor = s.diagnostics;
        m.editor.setModelMarkers(
          model,
          MARKER_OWNER,
          diagnosticsToMarkers(s.text, s.diagnostics, m.MarkerSeverity),
        );
      }
    };
    sync();
    const unsubscribe = store.subscribe(sync);
    // A problem clicked in the list: show its place.
    const unlisten = store.onCommand((command) => {
      if (command.type !== "reveal") return;
      const p = model.getPositionAt(command.offset);
      editor.revealLineInCenter(p.lineNumber);
      editor.setPosition(p);
      editor.focus();
    });
    cleanup.current = () => {
      unsubscribe();
      unlisten();
      sub.dispose();
      language.dispose();
    };
  };

  return (
    // `nokey`: React Flow must not treat keys typed here (space, delete) as canvas shortcuts.
    <div className="nokey h-full min-h-0" data-testid="dsl-editor">
      <Editor
        height="100%"
        defaultLanguage="yaml"
        path="flow.yaml"
        defaultValue={store.getState().text}
        onMount={onMount}
        options={{
          readOnly,
          minimap: { enabled: false },
          fontSize: 12.5,
          scrollBeyondLastLine: false,
          automaticLayout: true,
          tabSize: 2,
          renderWhitespace: "selection",
          wordWrap: "off",
          fixedOverflowWidgets: true,
          ariaLabel: "Flow YAML",
          // Only the flow language's items (and monaco-yaml's schema keys): words of the
          // document would drown block ids, inputs and step outputs.
          wordBasedSuggestions: "off",
          // YAML values tokenize as strings: suggest there too (`uses: bil`, `${{ steps.a`).
          quickSuggestions: { other: "on", strings: "on", comments: "off" },
          suggest: { showWords: false, snippetsPreventQuickSuggestions: false },
        }}
        loading={<p className="p-4 text-sm text-zinc-500">Loading editor…</p>}
      />
    </div>
  );
}
