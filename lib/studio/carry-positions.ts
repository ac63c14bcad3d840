/**
 * Positions follow steps renamed in the text. Typing a new id in the editor changes `- id:` but
 * not the `ui.positions` key, so the step would lose its place on the canvas; the studio store
 * calls this after each editor change and moves the key along (the canvas `rename-step` edit
 * does it itself).
 *
 * A rename is recognised between two successive parses of the text: the step at the same place
 * in `steps` with the same `uses` whose id changed, the old id gone and the new one unknown
 * before. Clearing an id and typing another goes through a parse where the step has no id at
 * all; `vanished` remembers that step for the next parse.
 */
import { renamePosition } from "@/dsl";

/** A step as the rename detection sees it: its id and block, in `steps` order. */
export interface StepSlot {
  id: string;
  uses: string;
}

/** The step that lost its id in the last parse, if any. */
export interface Vanished {
  id: string;
  index: number;
  uses: string;
}

/** The renames from `prev` to `next`, and what to remember for the next parse. */
export function detectRenames(
  prev: readonly StepSlot[],
  next: readonly StepSlot[],
  vanished: Vanished | null,
): { renames: [from: string, to: string][]; vanished: Vanished | null } {
  const prevIds = new Set(prev.map((s) => s.id));
  const nextIds = new Set(next.map((s) => s.id));
  if (prev.length === next.length) {
    const renames: [string, string][] = [];
    prev.forEach((p, i) => {
      const n = next[i]!;
      if (p.id !== n.id && !nextIds.has(p.id) && !prevIds.has(n.id) && p.uses === n.uses)
        renames.push([p.id, n.id]);
    });
    return { renames, vanished: null };
  }
  if (next.length === prev.length - 1) {
    const index = prev.findIndex((p) => !nextIds.has(p.id));
    const gone = prev[index];
    const rest = prev.filter((_, i) => i !== index);
    const sameOrder = rest.every((p, i) => p.id === next[i]!.id);
    return {
      renames: [],
      vanished: gone && sameOrder ? { id: gone.id, index, uses: gone.uses } : null,
    };
  }
  if (next.length === prev.length + 1 && vanished) {
    const added = next[vanished.index];
    const rest = next.filter((_, i) => i !== vanished.index);
    const sameOrder = rest.every((n, i) => n.id === prev[i]!.id);
    if (
      added &&
      sameOrder &&
      !prevIds.has(added.id) &&
      added.uses === vanished.uses &&
      !nextIds.has(vanished.id)
    ) {
      return { renames: [[vanished.id, added.id]], vanished: null };
    }
  }
  return { renames: [], vanished: null };
}

/** `text` with each renamed step's position moved to its new id (unchanged if none applies). */
export function carryPositions(text: string, renames: readonly [string, string][]): string {
  let out = text;
  for (const [from, to] of renames) {
    const r = renamePosition(out, from, to);
    if (r.ok) out = r.text;
  }
  return out;
}
