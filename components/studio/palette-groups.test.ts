import { describe, expect, it } from "vitest";
import { studioRegistry } from "@/lib/studio/registry";
import { blockRefOf } from "@/lib/studio/step-ids";
import { blockTooltip, paletteGroups } from "./palette-groups";

const blocks = studioRegistry().list();

describe("paletteGroups", () => {
  it("groups connectors by system between the triggers and the other kinds", () => {
    const groups = paletteGroups(blocks, "");
    expect(groups.map((g) => g.label)).toEqual([
      "Triggers",
      "CRM",
      "Billing",
      "CLM (contracts)",
      "HTTP",
      "Control flow",
      "AI agents",
      "Policies",
      "Data",
      "Code",
      "Human steps",
    ]);
    const billing = groups.find((g) => g.label === "Billing")!;
    expect(billing.blocks.map((b) => b.id)).toContain("billing.account.upsert");
    expect(billing.blocks.every((b) => b.id.startsWith("billing."))).toBe(true);
    // Every block is in exactly one group.
    expect(groups.flatMap((g) => g.blocks).length).toBe(blocks.length);
  });

  it("searches ids, titles and system names", () => {
    expect(paletteGroups(blocks, "account.up").flatMap((g) => g.blocks.map((b) => b.id))).toEqual([
      "billing.account.upsert",
    ]);
    expect(paletteGroups(blocks, "Refund charge")[0]!.blocks[0]!.id).toBe("billing.refund.create");
    const clm = paletteGroups(blocks, "contracts");
    expect(clm.map((g) => g.label)).toContain("CLM (contracts)");
    expect(paletteGroups(blocks, "no such block")).toEqual([]);
  });
});

describe("blockTooltip", () => {
  it("names the block, says what it does and whether it writes", () => {
    const b = blocks.find((x) => x.id === "billing.account.upsert")!;
    const tip = blockTooltip(b, blockRefOf(b));
    expect(tip.split("\n")[0]).toBe("billing.account.upsert@2 · Upsert billing account");
    expect(tip).toContain("Writes to an external system");
    expect(tip.split("\n").length).toBe(3);
  });
});
