/**
 * Offsets become line and column only at the edges (CLI code frames, Monaco markers).
 */

/** A 1-based line and column (column counts UTF-16 code units). */
export interface Position {
  line: number;
  column: number;
}

/**
 * Converts a UTF-16 offset into a 1-based line and column. Offsets outside the text are clamped.
 *
 * @example
 * offsetToPosition("a\nbc", 3); // { line: 2, column: 2 }
 */
export function offsetToPosition(text: string, offset: number): Position {
  const end = Math.max(0, Math.min(Math.floor(offset), text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/** Precomputes line starts, for converting many offsets of one text. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}
