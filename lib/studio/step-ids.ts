import type { BlockDefinition } from "@/dsl";

/** A fresh step id for a block: its last two name parts (`crm.deal.update` -> `deal_update`). */
export function freshStepId(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const clean = base.replace(/[^A-Za-z0-9_-]/g, "_").replace(/^[^A-Za-z_]/, "_$&");
  if (!used.has(clean)) return clean;
  for (let i = 2; ; i++) if (!used.has(`${clean}_${i}`)) return `${clean}_${i}`;
}

export function stepIdBase(block: Pick<BlockDefinition, "id">): string {
  return block.id.split(".").slice(-2).join("_");
}

export function blockRefOf(block: Pick<BlockDefinition, "id" | "version">): string {
  return `${block.id}@${block.version.split(".")[0]}`;
}
