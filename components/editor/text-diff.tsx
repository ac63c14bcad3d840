"use client";

import { DiffEditor } from "@monaco-editor/react";
import { setupMonaco } from "./monaco-setup";

/** Side-by-side text diff of two flow texts (read-only). */
export function TextDiff({ original, modified }: { original: string; modified: string }) {
  if (typeof window !== "undefined") setupMonaco();
  return (
    <div className="nokey h-full min-h-0" data-testid="text-diff">
      <DiffEditor
        height="100%"
        language="yaml"
        original={original}
        modified={modified}
        originalModelPath="diff-original.flow.yaml"
        modifiedModelPath="diff-modified.flow.yaml"
        options={{
          readOnly: true,
          originalEditable: false,
          renderSideBySide: true,
          minimap: { enabled: false },
          fontSize: 12,
          scrollBeyondLastLine: false,
          automaticLayout: true,
        }}
      />
    </div>
  );
}
