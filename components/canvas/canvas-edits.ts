/**
 * The canvas's edits that create steps: a block added from the palette (or dropped, possibly on an
 * edge), and copied steps pasted with fresh ids. Each becomes `FlowEdit`s applied to the studio
 * text; placing them where they are shown is the caller's `apply`.
 */
import type { BlockRegistry, FlowEdit } from "@/dsl";
import { blockRefOf, freshStepId, stepIdBase } from "@/lib/studio/step-ids";
import type { StudioStore } from "@/lib/studio/studio-store";

/** Steps copied on the canvas: their YAML documents and their positions when copied. */
export interface CanvasClipboard {
  docs: Record<string, unknown>[];
  positions: Record<string, [number, number]>;
}

/**
 * Adds a block as a new step (its example as inputs), optionally between two steps. `apply`
 * applies the edits (the canvas's, which stores the shown positions first).
 */
export function addBlock(
  store: StudioStore,
  registry: BlockRegistry,
  uses: string,
  position: [number, number],
  between?: { from: string; to: string },
  apply: (edits: FlowEdit[]) => boolean = (edits) => store.editAll(edits),
): string | null {
  const r = registry.resolve(uses);
  if (!r.ok) return null;
  const taken = Object.keys(store.getState().graph?.docs ?? {});
  const id = freshStepId(stepIdBase(r.block), taken);
  const step = { id, uses: blockRefOf(r.block), with: structuredClone(r.block.example) };
  const ok = between
    ? apply([
        { type: "insert-between", step, from: between.from, to: between.to },
        { type: "move", id, position },
      ])
    : apply([{ type: "add-step", step, position }]);
  if (ok) store.select([id]);
  return ok ? id : null;
}

/**
 * Pastes copied steps with fresh ids, shifted by `offset`; `needs` among the pasted steps follow
 * the new ids.
 */
export function pasteSteps(
  store: StudioStore,
  clip: CanvasClipboard,
  offset: [number, number],
  apply: (edits: FlowEdit[]) => boolean,
): string[] {
  const taken = new Set(Object.keys(store.getState().graph?.docs ?? {}));
  const renamed = new Map<string, string>();
  for (const d of clip.docs) {
    const id = freshStepId(`${String(d.id)}_copy`, taken);
    taken.add(id);
    renamed.set(String(d.id), id);
  }
  const edits: FlowEdit[] = [];
  for (const d of clip.docs) {
    const id = renamed.get(String(d.id))!;
    const needs = (Array.isArray(d.needs) ? d.needs : typeof d.needs === "string" ? [d.needs] : [])
      .map((n) => renamed.get(String(n)))
      .filter((n): n is string => n !== undefined);
    const p = clip.positions[String(d.id)] ?? [0, 0];
    edits.push({
      type: "add-step",
      step: {
        id,
        uses: String(d.uses ?? ""),
        ...(d.with && typeof d.with === "object"
          ? { with: d.with as Record<string, unknown> }
          : {}),
        ...(needs.length ? { needs } : {}),
      },
      position: [p[0] + offset[0], p[1] + offset[1]],
    });
  }
  // Steps that need each other must be added in dependency order.
  edits.sort(
    (a, b) =>
      ((a as { step: { needs?: string[] } }).step.needs?.length ?? 0) -
      ((b as { step: { needs?: string[] } }).step.needs?.length ?? 0),
  );
  return apply(edits) ? [...renamed.values()] : [];
}
