"use client";

import Editor, { type OnMount } from "@monaco-editor/react";
import type * as monaco from "monaco-editor";
import { useEffect, useRef } from "react";
import type { StudioStore } from "@/lib/studio/studio-store";
import { diagnosticsToMarkers } from "./diagnostics-to-markers";
import { setupMonaco } from "./monaco-setup";

const MARKER_OWNER = "trustflow";

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
 */
export function DslEditor({ store, readOnly }: { store: StudioStore; readOnly: boolean }) {
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const monacoRef = useRef<typeof monaco | null>(null);
  const applying = useRef(false);
  const cleanup = useRef<(() => void) | null>(null);

  // Configure before the first render of <Editor>, which starts the loader.
  if (typeof window !== "undefined") setupMonaco();

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

    const sub = model.onDidChangeContent(() => {
      if (applying.current) return;
      store.setText(model.getValue(), "editor");
    });

    let appliedRevision = -1;
    let markersRevision = -1;
    let revealNonce = store.getState().reveal?.nonce ?? 0;
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
      if (s.diagnosticsRevision === s.revision && markersRevision !== s.revision) {
        markersRevision = s.revision;
        m.editor.setModelMarkers(
          model,
          MARKER_OWNER,
          diagnosticsToMarkers(s.text, s.diagnostics, m.MarkerSeverity),
        );
      }
      if (s.reveal && s.reveal.nonce !== revealNonce) {
        revealNonce = s.reveal.nonce;
        const p = model.getPositionAt(s.reveal.offset);
        editor.revealLineInCenter(p.lineNumber);
        editor.setPosition(p);
        editor.focus();
      }
    };
    sync();
    const unsubscribe = store.subscribe(sync);
    cleanup.current = () => {
      unsubscribe();
      sub.dispose();
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
        }}
        loading={<p className="p-4 text-sm text-zinc-500">Loading editor…</p>}
      />
    </div>
  );
}
