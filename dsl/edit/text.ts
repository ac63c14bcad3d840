/** Offsets in the text, and new YAML rendered to splice in. */
import { Document, isMap, isScalar, isSeq, visit, type Node } from "yaml";
import { RENDER } from "./types";

export function lineStart(text: string, pos: number): number {
  return text.lastIndexOf("\n", pos - 1) + 1;
}

export function lineEndAfter(text: string, pos: number): number {
  const i = text.indexOf("\n", pos);
  return i < 0 ? text.length : i + 1;
}

/** End of the node's last line (past its newline and any comment on that line). */
export function contentEnd(text: string, node: Node): number {
  const p = node.range![1];
  return p > 0 && text[p - 1] === "\n" ? p : lineEndAfter(text, p);
}

export function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

/** Start of the line holding a sequence item's `-`. */
export function itemStart(text: string, item: Node): number {
  return lineStart(text, item.range![0]);
}

export function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}

/** Inserts whole lines at a line boundary `pos` (adding the missing final newline if needed). */
export function insertLines(text: string, pos: number, lines: string): string {
  if (pos === text.length && text.length > 0 && !text.endsWith("\n")) {
    return text + "\n" + lines + "\n";
  }
  return splice(text, pos, pos, lines + "\n");
}

export function indent(block: string, spaces: number): string {
  const pad = " ".repeat(spaces);
  return block
    .split("\n")
    .map((l) => (l.length > 0 ? pad + l : l))
    .join("\n");
}

export function makeDoc(value: unknown, flowTop: boolean): Document {
  const doc = new Document();
  const node = doc.createNode(value);
  // House style: short lists of scalars (needs, positions, purposes) stay in flow style.
  visit(node, {
    Seq(_, seq) {
      if (seq.items.every((i) => isScalar(i))) seq.flow = true;
    },
  });
  if (flowTop && (isMap(node) || isSeq(node))) node.flow = true;
  doc.contents = node;
  return doc;
}

/** The value on one line, or undefined when it needs several lines. */
export function renderInline(value: unknown, flowTop: boolean): string | undefined {
  const s = makeDoc(value, flowTop).toString(RENDER).replace(/\n$/, "");
  return s.includes("\n") ? undefined : s;
}

/** `key: value` as block YAML lines without a final newline, at `spaces` indentation. */
export function renderPair(key: string, value: unknown, spaces: number, flowTop = false): string {
  const inline = renderInline(value, flowTop);
  const keyText = makeDoc(key, false).toString(RENDER).replace(/\n$/, "");
  if (inline !== undefined && !(isObjectLike(value) && !flowTop && !isScalarArray(value))) {
    return indent(`${keyText}: ${inline}`, spaces);
  }
  return indent(
    makeDoc({ [key]: value }, false)
      .toString(RENDER)
      .replace(/\n$/, ""),
    spaces,
  );
}

export function isObjectLike(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)
  );
}

export function isScalarArray(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => x === null || typeof x !== "object");
}
