/** `${{ }}` in strings: a value is text, one typed expression, or a template of both. */

/** One `${{ }}` or text part of a string, with offsets into that string. */
export type StringSegment =
  | { kind: "text"; value: string; start: number; end: number }
  | {
      kind: "expr";
      /** CEL source between the delimiters. */
      source: string;
      /** Offset of the `${{`. */
      start: number;
      /** Offset just after `}}`. */
      end: number;
      /** Offset of the first character of `source`. */
      sourceStart: number;
    };

/** Result of {@link scanString}. */
export interface ScannedString {
  segments: StringSegment[];
  /** Offset of an unterminated `${{`, if any. */
  unterminated?: number;
}

/**
 * Splits a string into text and `${{ }}` segments.
 *
 * @example
 * scanString("Hi ${{ inputs.name }}!").segments.length; // 3
 */
export function scanString(value: string): ScannedString {
  const segments: StringSegment[] = [];
  let i = 0;
  let textStart = 0;
  while (i < value.length) {
    const open = value.indexOf("${{", i);
    if (open === -1) break;
    const close = value.indexOf("}}", open + 3);
    if (close === -1) {
      if (open > textStart)
        segments.push({
          kind: "text",
          value: value.slice(textStart, open),
          start: textStart,
          end: open,
        });
      segments.push({ kind: "text", value: value.slice(open), start: open, end: value.length });
      return { segments, unterminated: open };
    }
    if (open > textStart)
      segments.push({
        kind: "text",
        value: value.slice(textStart, open),
        start: textStart,
        end: open,
      });
    segments.push({
      kind: "expr",
      source: value.slice(open + 3, close),
      start: open,
      end: close + 2,
      sourceStart: open + 3,
    });
    i = close + 2;
    textStart = i;
  }
  if (textStart < value.length)
    segments.push({
      kind: "text",
      value: value.slice(textStart),
      start: textStart,
      end: value.length,
    });
  return { segments };
}

/** Whether a string contains `${{`. */
export function hasExpression(value: string): boolean {
  return value.includes("${{");
}
