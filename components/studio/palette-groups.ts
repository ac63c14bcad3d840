import { BLOCK_KIND_ORDER } from "@/dsl";
import type { BlockDefinition } from "@/dsl";
import { KIND_STYLE } from "../canvas/kind-style";

/** Display names of the connector systems (the first part of a connector block's id). */
const SYSTEMS: Record<string, string> = {
  crm: "CRM",
  billing: "Billing",
  clm: "CLM (contracts)",
  http: "HTTP",
};
const SYSTEM_ORDER = Object.keys(SYSTEMS);

export interface PaletteGroup {
  /** Stable key: `system:<prefix>` for connectors, the kind otherwise. */
  key: string;
  label: string;
  blocks: BlockDefinition[];
}

/** The system a connector block belongs to, as its label. */
export function systemLabel(block: BlockDefinition): string {
  const prefix = block.id.split(".")[0]!;
  return SYSTEMS[prefix] ?? prefix.charAt(0).toUpperCase() + prefix.slice(1);
}

/**
 * The palette's sections: triggers, then connectors grouped by system (CRM, Billing, CLM, HTTP,
 * then any other system by name), then the other kinds in the registry's order. `query` keeps
 * the blocks whose id, title, kind, system or tags contain it (case-insensitive).
 */
export function paletteGroups(blocks: readonly BlockDefinition[], query: string): PaletteGroup[] {
  const q = query.trim().toLowerCase();
  const match = (b: BlockDefinition) =>
    !q ||
    [b.id, b.title, b.kind, b.kind === "connector" ? systemLabel(b) : "", ...(b.tags ?? [])]
      .join(" ")
      .toLowerCase()
      .includes(q);
  const groups: PaletteGroup[] = [];
  for (const kind of BLOCK_KIND_ORDER) {
    const ofKind = blocks.filter((b) => b.kind === kind && match(b));
    if (kind !== "connector") {
      if (ofKind.length) groups.push({ key: kind, label: KIND_STYLE[kind].label, blocks: ofKind });
      continue;
    }
    const bySystem = new Map<string, BlockDefinition[]>();
    for (const b of ofKind) {
      const prefix = b.id.split(".")[0]!;
      bySystem.set(prefix, [...(bySystem.get(prefix) ?? []), b]);
    }
    const rank = (p: string) => {
      const i = SYSTEM_ORDER.indexOf(p);
      return i < 0 ? SYSTEM_ORDER.length : i;
    };
    for (const prefix of [...bySystem.keys()].sort(
      (a, b) => rank(a) - rank(b) || a.localeCompare(b),
    )) {
      const list = bySystem.get(prefix)!;
      groups.push({ key: `system:${prefix}`, label: systemLabel(list[0]!), blocks: list });
    }
  }
  return groups;
}

/** The tooltip of a palette block: reference, title, what it does, its side effect. */
export function blockTooltip(block: BlockDefinition, ref: string): string {
  const doc = block.docs.split("\n").find((l) => l.trim() !== "") ?? "";
  const effect =
    block.sideEffect === "write"
      ? "Writes to an external system"
      : block.sideEffect === "read"
        ? "Reads from an external system"
        : "No side effect";
  return [`${ref} · ${block.title}`, doc, effect].filter(Boolean).join("\n");
}
