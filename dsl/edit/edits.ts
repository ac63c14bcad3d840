/** The edits, each a sequence of primitive splices (re-parsing in between). */
import { isScalar, type Node, type YAMLMap } from "yaml";
import { EditError, type NewStep } from "./types";
import { contentEnd, itemStart, splice } from "./text";
import {
  checkId,
  checkNewStep,
  checkPosition,
  dependsOn,
  findStep,
  hasPosition,
  load,
  requireStep,
  stepIds,
  stepNeeds,
  stepsSeq,
  stepValue,
} from "./document";
import { insertStepItem, renamePositionKey, rewriteReferences, setIn } from "./splices";

export function addStep(
  text: string,
  step: NewStep,
  after?: string,
  position?: [number, number],
): string {
  const doc = load(text);
  checkNewStep(doc, step);
  if (position) checkPosition(position);
  let afterIndex: number | undefined;
  if (after !== undefined) afterIndex = requireStep(doc, after).index;
  let out = insertStepItem(text, doc, stepValue(step), afterIndex);
  if (position) out = setIn(out, ["ui", "positions", step.id], [...position]);
  return out;
}

export function removeStep(text: string, id: string): string {
  const doc = load(text);
  const { index } = requireStep(doc, id);
  const seq = stepsSeq(doc)!;
  let out: string;
  const item = seq.items[index] as YAMLMap;
  out = splice(text, itemStart(text, item), contentEnd(text, item), "");
  if (seq.items.length === 1) {
    // Leave `steps: []` rather than a null, keeping any comment lines that followed the key.
    const pair = (load(out).contents as YAMLMap).items.find(
      (p) => isScalar(p.key) && p.key.value === "steps",
    )!;
    const colon = out.indexOf(":", (pair.key as Node).range![1]);
    out = splice(out, colon + 1, colon + 1, " []");
  }
  for (const other of stepIds(load(out))) {
    const needs = stepNeeds(load(out), other);
    if (needs.includes(id)) {
      const rest = needs.filter((n) => n !== id);
      out = setIn(
        out,
        ["steps", requireStep(load(out), other).index, "needs"],
        rest.length ? rest : undefined,
      );
    }
  }
  if (hasPosition(load(out), id)) out = setIn(out, ["ui", "positions", id], undefined);
  return out;
}

export function renameStep(text: string, from: string, to: string): string {
  const doc = load(text);
  const { index } = requireStep(doc, from);
  if (from === to) return text;
  checkId(to);
  if (findStep(doc, to)) throw new EditError(`A step with id "${to}" already exists`);
  let out = setIn(text, ["steps", index, "id"], to);
  for (const other of stepIds(load(out))) {
    const needs = stepNeeds(load(out), other);
    if (needs.includes(from)) {
      out = setIn(
        out,
        ["steps", requireStep(load(out), other).index, "needs"],
        needs.map((n) => (n === from ? to : n)),
      );
    }
  }
  out = renamePositionKey(out, from, to);
  return rewriteReferences(out, from, to);
}

export function connect(text: string, from: string, to: string): string {
  const doc = load(text);
  requireStep(doc, from);
  const { index } = requireStep(doc, to);
  if (from === to) throw new EditError(`A step cannot need itself ("${from}")`);
  const needs = stepNeeds(doc, to);
  if (needs.includes(from)) return text;
  if (dependsOn(doc, from, to)) {
    throw new EditError(
      `Connecting "${from}" to "${to}" would create a cycle ("${from}" already depends on "${to}")`,
    );
  }
  return setIn(text, ["steps", index, "needs"], [...needs, from]);
}

export function disconnect(text: string, from: string, to: string): string {
  const doc = load(text);
  requireStep(doc, from);
  const { index } = requireStep(doc, to);
  const needs = stepNeeds(doc, to);
  if (!needs.includes(from)) throw new EditError(`Step "${to}" does not list "${from}" in needs`);
  const rest = needs.filter((n) => n !== from);
  return setIn(text, ["steps", index, "needs"], rest.length ? rest : undefined);
}

export function insertBetween(text: string, step: NewStep, from: string, to: string): string {
  const doc = load(text);
  const fromIndex = requireStep(doc, from).index;
  requireStep(doc, to);
  if (!stepNeeds(doc, to).includes(from)) {
    throw new EditError(`Step "${to}" does not need "${from}": nothing to insert between`);
  }
  const needs = [from, ...(step.needs ?? []).filter((n) => n !== from)];
  const withFrom = { ...step, needs };
  checkNewStep(doc, withFrom);
  let out = insertStepItem(text, doc, stepValue(withFrom), fromIndex);
  const after = load(out);
  out = setIn(
    out,
    ["steps", requireStep(after, to).index, "needs"],
    stepNeeds(after, to).map((n) => (n === from ? step.id : n)),
  );
  return out;
}
