/**
 * Text edits the structured `applyEdit` does not cover: the flow's `version:` and rewriting all
 * of `ui.positions` at once (auto-layout). Both splice only the nodes they change.
 */
import { isMap, isScalar, parseDocument, type Node, type Pair } from "yaml";
import { applyEdit, MAX_SCANNED_NESTING, scanNesting } from "@/dsl";

/** Texts the compiler refuses as too deep are never handed to the recursive YAML parser. */
const tooDeep = (text: string) => scanNesting(text, MAX_SCANNED_NESTING) !== undefined;

/** Sets the top-level `version:` value, keeping everything else byte for byte. */
export function setFlowVersion(text: string, version: string): string {
  if (tooDeep(text)) return text;
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return text;
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === "version") as
    Pair<Node, Node | null> | undefined;
  if (pair?.value?.range) {
    const [start, end] = pair.value.range;
    return text.slice(0, start) + version + text.slice(end);
  }
  const flow = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === "flow") as
    Pair<Node, Node | null> | undefined;
  if (flow?.value?.range) {
    const lineEnd = text.indexOf("\n", flow.value.range[1]);
    const at = lineEnd < 0 ? text.length : lineEnd + 1;
    return text.slice(0, at) + (lineEnd < 0 ? "\n" : "") + `version: ${version}\n` + text.slice(at);
  }
  return `version: ${version}\n` + text;
}

/**
 * Replaces `ui.positions` with `positions` in one splice (a move edit per step would re-parse
 * the flow once per step). Comments inside the old positions map do not survive.
 */
export function setAllPositions(text: string, positions: Record<string, [number, number]>): string {
  const ids = Object.keys(positions);
  if (ids.length === 0 || tooDeep(text)) return text;
  let out = text;
  let doc = parseDocument(out);
  if (!isMap(doc.getIn(["ui", "positions"], true))) {
    // Let applyEdit create the structure (ui: / positions:) with the first entry.
    const first = ids[0]!;
    const r = applyEdit(out, { type: "move", id: first, position: positions[first]! });
    if (!r.ok) return text;
    out = r.text;
    doc = parseDocument(out);
  }
  const map = doc.getIn(["ui", "positions"], true);
  if (!isMap(map) || map.flow || map.items.length === 0) return out;
  const firstKey = (map.items[0] as Pair<Node>).key;
  const keyStart = firstKey.range![0];
  const lineStart = out.lastIndexOf("\n", keyStart - 1) + 1;
  const indent = " ".repeat(keyStart - lineStart);
  const end = map.range![1];
  const endLine =
    out[end - 1] === "\n"
      ? end
      : out.indexOf("\n", end) < 0
        ? out.length
        : out.indexOf("\n", end) + 1;
  const body = ids
    .map((id) => `${indent}${quoteKey(id)}: [${positions[id]![0]}, ${positions[id]![1]}]\n`)
    .join("");
  return out.slice(0, lineStart) + body + out.slice(endLine);
}

function quoteKey(id: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(id) ? id : JSON.stringify(id);
}
