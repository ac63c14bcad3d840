import { lineStarts, type Diagnostic } from "@/dsl";
import type * as monaco from "monaco-editor";

/** 1-based line and column of an offset, given the text's line starts (binary search). */
function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/**
 * Diagnostics as Monaco markers at their exact ranges (same 1-based positions as
 * `offsetToPosition`, computed once per text for many diagnostics).
 */
export function diagnosticsToMarkers(
  text: string,
  diagnostics: readonly Diagnostic[],
  severity: typeof monaco.MarkerSeverity,
): monaco.editor.IMarkerData[] {
  const starts = lineStarts(text);
  const clamp = (n: number) => Math.max(0, Math.min(n, text.length));
  return diagnostics.map((d) => {
    const s = position(starts, clamp(d.span.start));
    const e = position(starts, clamp(Math.max(d.span.end, d.span.start)));
    return {
      severity:
        d.severity === "error"
          ? severity.Error
          : d.severity === "warning"
            ? severity.Warning
            : severity.Info,
      code: d.code,
      source: d.policy ? `policy ${d.policy}` : "trustflow",
      message: d.hint ? `${d.message}\nHint: ${d.hint}` : d.message,
      startLineNumber: s.line,
      startColumn: s.column,
      endLineNumber: e.line,
      endColumn: e.line === s.line && e.column === s.column ? e.column + 1 : e.column,
    };
  });
}
