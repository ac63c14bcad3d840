"use client";

import { DiffEditor, type DiffOnMount } from "@monaco-editor/react";
import type * as monaco from "monaco-editor";
import { useId, useLayoutEffect, useRef } from "react";
import { setupMonaco } from "./monaco-setup";

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
  const onMount: DiffOnMount = (e) => {
    editor.current = e;
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
        onMount={onMount}
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
