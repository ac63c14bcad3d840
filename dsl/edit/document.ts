/** Reading the document: its steps, their `needs`, positions; checks of what an edit adds. */
import { Document, isMap, isScalar, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from "yaml";
import { EditError, STEP_ID_PATTERN, type NewStep } from "./types";

export function load(text: string): Document.Parsed {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0];
    throw new EditError(
      `The flow has a YAML syntax error${line ? ` at line ${line.line}, column ${line.col}` : ""}: ${e.message.split("\n")[0]}`,
    );
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new EditError("The flow must be a YAML mapping at the top level");
  }
  const steps = doc.get("steps", true);
  if (
    steps !== undefined &&
    steps !== null &&
    !isSeq(steps) &&
    !(isScalar(steps) && steps.value === null)
  ) {
    throw new EditError("`steps` must be a list");
  }
  return doc;
}

export function stepsSeq(doc: Document.Parsed): YAMLSeq | undefined {
  const steps = doc.get("steps", true);
  return isSeq(steps) ? steps : undefined;
}

export function findStep(
  doc: Document.Parsed,
  id: string,
): { item: YAMLMap; index: number } | undefined {
  const items = stepsSeq(doc)?.items ?? [];
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    if (isMap(item) && item.get("id") === id) return { item, index };
  }
  return undefined;
}

export function requireStep(doc: Document.Parsed, id: string): { item: YAMLMap; index: number } {
  const found = findStep(doc, id);
  if (!found) throw new EditError(`Unknown step "${id}"`);
  return found;
}

export function stepIds(doc: Document.Parsed): string[] {
  return (stepsSeq(doc)?.items ?? []).flatMap((item) => {
    const id = isMap(item) ? item.get("id") : undefined;
    return typeof id === "string" ? [id] : [];
  });
}

/** The ids a step lists in `needs` (a list or a single string). */
export function stepNeeds(doc: Document.Parsed, id: string): string[] {
  const { item } = requireStep(doc, id);
  const node = item.get("needs", true);
  if (isSeq(node)) return node.items.map((n) => String(isScalar(n) ? n.value : n));
  if (isScalar(node) && typeof node.value === "string") return [node.value];
  return [];
}

/** Whether `a` needs `b`, directly or transitively. */
export function dependsOn(doc: Document.Parsed, a: string, b: string): boolean {
  const seen = new Set<string>();
  const stack = [a];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    if (cur === b) return true;
    if (seen.has(cur)) continue;
    seen.add(cur);
    if (findStep(doc, cur)) stack.push(...stepNeeds(doc, cur));
  }
  return false;
}

export function hasPosition(doc: Document.Parsed, id: string): boolean {
  const positions = doc.getIn(["ui", "positions"], true);
  return isMap(positions) && positions.has(id);
}

export function checkId(id: unknown): asserts id is string {
  if (typeof id !== "string" || !STEP_ID_PATTERN.test(id)) {
    throw new EditError(
      `Invalid step id ${JSON.stringify(id)}: use letters, digits, "_" or "-", starting with a letter or "_"`,
    );
  }
}

export function checkNewStep(doc: Document.Parsed, step: NewStep): void {
  checkId(step.id);
  if (findStep(doc, step.id)) throw new EditError(`A step with id "${step.id}" already exists`);
  if (typeof step.uses !== "string" || step.uses.trim() === "") {
    throw new EditError(`Step "${step.id}" needs a block in uses`);
  }
  for (const n of step.needs ?? []) requireStep(doc, n);
}

export function checkPosition(p: unknown): void {
  if (
    !Array.isArray(p) ||
    p.length !== 2 ||
    !p.every((v) => typeof v === "number" && Number.isFinite(v))
  ) {
    throw new EditError("A position is [x, y] with finite numbers");
  }
}

export function stepValue(step: NewStep): Record<string, unknown> {
  const v: Record<string, unknown> = { id: step.id, uses: step.uses };
  if (step.needs && step.needs.length > 0) v.needs = [...new Set(step.needs)];
  if (step.with && Object.keys(step.with).length > 0) v.with = step.with;
  return v;
}
