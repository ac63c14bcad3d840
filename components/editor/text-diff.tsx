"use client";

import { DiffEditor, type DiffBeforeMount, type DiffOnMount } from "@monaco-editor/react";
import type * as monaco from "monaco-editor";
import { useId, useLayoutEffect, useRef } from "react";
import { setupMonaco } from "./monaco-setup";

/**
 * The diff's theme: Monaco's light theme with darker token colours. On the diff's red and green
 * line and character backgrounds the light theme's teal keys, green numbers and comments fall
 * under WCAG AA contrast (3.4:1 for a key on a removed line); these keep 4.5:1 on both.
 */
const DIFF_THEME = "trustflow-diff";
/** The studio editor's theme (@monaco-editor/react's "light"), restored when the diff closes. */
const EDITOR_THEME = "vs";

const defineDiffTheme: DiffBeforeMount = (m) => {
  m.editor.defineTheme(DIFF_THEME, {
    base: "vs",
    inherit: true,
    rules: [
      { token: "type", foreground: "005555" }, // YAML keys
      { token: "number", foreground: "035638" },
      { token: "comment", foreground: "005800" },
      { token: "string", foreground: "03479a" },
      { token: "keyword", foreground: "0000e0" },
    ],
    colors: {},
  });
};

/**
 * Side-by-side text diff of two flow texts (read-only).
 *
 * Closing it must not throw: @monaco-editor/react 4.7 disposes the two text models before the
 * diff widget holding them, which Monaco reports as "TextModel got disposed before
 * DiffEditorWidget model got reset". So the models are kept from the library
 * (`keepCurrent*Model`) and released here, in a layout-effect cleanup (React runs those before
 * the passive cleanups in which the library disposes the widget): first the widget lets go of
 * them (`setModel(null)`), then they are disposed. Each diff has its own model paths, so a new
 * diff never picks up an old diff's models.
 */
export function TextDiff({
  original,
  modified,
  originalLabel = "Before",
  modifiedLabel = "After",
}: {
  original: string;
  modified: string;
  /** Names of the two sides, for screen readers (Monaco's text areas have no other name). */
  originalLabel?: string;
  modifiedLabel?: string;
}) {
  if (typeof window !== "undefined") setupMonaco();
  const id = useId().replace(/[^A-Za-z0-9]/g, "");
  const editor = useRef<monaco.editor.IStandaloneDiffEditor | null>(null);
  const themes = useRef<typeof monaco.editor | null>(null);
  const onMount: DiffOnMount = (e, m) => {
    editor.current = e;
    themes.current = m.editor;
    // Monaco 0.57's diff widget clears its sides' aria labels when it first applies its options
    // (`originalAriaLabel` and `modifiedAriaLabel` only count when they change later): named
    // here, or screen readers meet two unnamed text boxes.
    const name = () => {
      e.getOriginalEditor().updateOptions({ ariaLabel: `${originalLabel} (read-only)` });
      e.getModifiedEditor().updateOptions({ ariaLabel: `${modifiedLabel} (read-only)` });
    };
    name();
    // The widget may apply its options again once the diff is computed (seen on a loaded
    // machine): named again then.
    e.onDidUpdateDiff(name);
  };
  useLayoutEffect(
    () => () => {
      const e = editor.current;
      editor.current = null;
      if (!e) return;
      const models = e.getModel();
      e.setModel(null);
      models?.original.dispose();
      models?.modified.dispose();
      // Monaco has one theme per page: the studio's editor gets its own back.
      themes.current?.setTheme(EDITOR_THEME);
    },
    [],
  );
  return (
    <div className="nokey h-full min-h-0" data-testid="text-diff">
      <DiffEditor
        height="100%"
        language="yaml"
        original={original}
        modified={modified}
        originalModelPath={`diff-${id}-before.flow.yaml`}
        modifiedModelPath={`diff-${id}-after.flow.yaml`}
        keepCurrentOriginalModel
        keepCurrentModifiedModel
        beforeMount={defineDiffTheme}
        onMount={onMount}
        theme={DIFF_THEME}
        options={{
          readOnly: true,
          originalEditable: false,
          renderSideBySide: true,
          minimap: { enabled: false },
          fontSize: 12,
          scrollBeyondLastLine: false,
          automaticLayout: true,
          originalAriaLabel: `${originalLabel} (read-only)`,
          modifiedAriaLabel: `${modifiedLabel} (read-only)`,
        }}
      />
    </div>
  );
}
