import { describe, expect, it } from "vitest";
import { reprocessPlanHash } from "./dead-letters";
import { MAX_JOB_ITEMS, ZDiscardInput, ZListDeadLettersInput, ZReprocessInput } from "./schemas";

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

describe("ZReprocessInput", () => {
  it("takes ids or a filter, exactly one, with the documented defaults", () => {
    expect(ZReprocessInput.parse({ ids: [id(1)] })).toEqual({
      ids: [id(1)],
      canary: 1,
      ratePerMinute: 60,
      stopOnFailure: true,
    });
    expect(ZReprocessInput.parse({ filter: { connector: "crm" }, canary: 0 })).toMatchObject({
      filter: { connector: "crm" },
      canary: 0,
    });
    const neither = ZReprocessInput.safeParse({});
    expect(neither.success).toBe(false);
    expect(neither.error?.issues[0]?.path).toEqual(["ids"]);
    expect(ZReprocessInput.safeParse({ ids: [id(1)], filter: {} }).success).toBe(false);
  });

  it("bounds the canary, the rate and the number of dead letters; refuses duplicates", () => {
    expect(ZReprocessInput.safeParse({ ids: [id(1)], canary: 51 }).success).toBe(false);
    expect(ZReprocessInput.safeParse({ ids: [id(1)], canary: -1 }).success).toBe(false);
    expect(ZReprocessInput.safeParse({ ids: [id(1)], ratePerMinute: 0 }).success).toBe(false);
    expect(ZReprocessInput.safeParse({ ids: [id(1)], ratePerMinute: 601 }).success).toBe(false);
    expect(ZReprocessInput.safeParse({ ids: [id(1)], ratePerMinute: 1.5 }).success).toBe(false);
    expect(ZReprocessInput.safeParse({ ids: [] }).success).toBe(false);
    expect(ZReprocessInput.safeParse({ ids: [id(1), id(1)] }).success).toBe(false);
    const many = Array.from({ length: MAX_JOB_ITEMS + 1 }, (_, i) => id(i));
    expect(ZReprocessInput.safeParse({ ids: many }).success).toBe(false);
    expect(ZReprocessInput.safeParse({ ids: ["not-a-uuid"] }).success).toBe(false);
  });

  it("refuses unknown filter fields and a time range that ends before it starts", () => {
    expect(ZReprocessInput.safeParse({ filter: { status: "open" } }).success).toBe(false);
    expect(
      ZReprocessInput.safeParse({
        filter: { from: "2026-12-05T10:00:00Z", to: "2026-12-05T09:00:00Z" },
      }).success,
    ).toBe(false);
    expect(ZReprocessInput.safeParse({ filter: { connector: "crm; DROP TABLE" } }).success).toBe(
      false,
    );
  });
});

describe("ZListDeadLettersInput and ZDiscardInput", () => {
  it("defaults the page and bounds it", () => {
    expect(ZListDeadLettersInput.parse(undefined)).toEqual({ limit: 50 });
    expect(ZListDeadLettersInput.safeParse({ limit: 0 }).success).toBe(false);
    expect(ZListDeadLettersInput.safeParse({ status: "gone" }).success).toBe(false);
    expect(ZListDeadLettersInput.safeParse({ cursor: "x" }).success).toBe(false);
  });

  it("needs a reason to discard", () => {
    expect(ZDiscardInput.safeParse({ ids: [id(1)] }).success).toBe(false);
    expect(ZDiscardInput.safeParse({ ids: [id(1)], reason: " no " }).success).toBe(false);
    expect(ZDiscardInput.parse({ ids: [id(1)], reason: "  duplicate charge " }).reason).toBe(
      "duplicate charge",
    );
  });
});

describe("reprocessPlanHash", () => {
  const base = {
    items: [
      { deadLetterId: id(1), planHash: "a" },
      { deadLetterId: id(2), planHash: "b" },
    ],
    canary: 1,
    ratePerMinute: 60,
    stopOnFailure: true,
  };

  it("is stable, and changes with any dead letter, item plan, order or pace", () => {
    expect(reprocessPlanHash(base)).toBe(reprocessPlanHash(structuredClone(base)));
    expect(reprocessPlanHash(base)).toMatch(/^[0-9a-f]{64}$/);
    const variants = [
      { ...base, items: [base.items[0]!] },
      { ...base, items: [base.items[0]!, { deadLetterId: id(2), planHash: "c" }] },
      { ...base, items: [...base.items].reverse() },
      { ...base, canary: 2 },
      { ...base, ratePerMinute: 61 },
      { ...base, stopOnFailure: false },
    ];
    const hashes = new Set([base, ...variants].map(reprocessPlanHash));
    expect(hashes.size).toBe(variants.length + 1);
  });
});
