import { describe, expect, it } from "vitest";
import { MAX_TERMS, parseQuery, uuidRange } from "./query";

describe("parseQuery", () => {
  it("makes every word a prefix and requires them all", () => {
    expect(parseQuery("Invoice  sync").tsquery).toBe("invoice:* & sync:*");
  });

  it("keeps dotted, dashed and underscored identifiers whole", () => {
    expect(parseQuery("crm.create_contact v1.2").terms).toEqual(["crm.create_contact", "v1.2"]);
    expect(parseQuery("trailing. dots-").terms).toEqual(["trailing", "dots"]);
  });

  it("drops tsquery operators, one-letter words and duplicates", () => {
    const q = parseQuery("a & b | !(x) <-> 'quote' \\ sync:* sync");
    expect(q.terms).toEqual(["quote", "sync"]);
    expect(q.tsquery).toBe("quote:* & sync:*");
  });

  it("has no query when nothing searchable is left", () => {
    expect(parseQuery("  & | ! ").tsquery).toBeNull();
    expect(parseQuery("").terms).toEqual([]);
  });

  it("caps the words", () => {
    const q = parseQuery(Array.from({ length: 20 }, (_, i) => `word${i}`).join(" "));
    expect(q.terms).toHaveLength(MAX_TERMS);
  });

  it("keeps letters of any script", () => {
    expect(parseQuery("Straße über").tsquery).toBe("straße:* & über:*");
  });

  it("reads run statuses as a filter on runs", () => {
    const q = parseQuery("failed invoice");
    expect(q.statuses).toEqual(["failed"]);
    expect(q.runTsquery).toBe("invoice:*");
    expect(q.tsquery).toBe("failed:* & invoice:*");
    expect(parseQuery("failed").runTsquery).toBeNull();
  });
});

describe("uuidRange", () => {
  it("covers the uuids a prefix starts with", () => {
    expect(uuidRange("3f2a9c1e")).toEqual({
      from: "3f2a9c1e-0000-0000-0000-000000000000",
      to: "3f2a9c1e-ffff-ffff-ffff-ffffffffffff",
    });
    expect(uuidRange("3F2A9C1E-12AB-4000-8000-000000000001")).toEqual({
      from: "3f2a9c1e-12ab-4000-8000-000000000001",
      to: "3f2a9c1e-12ab-4000-8000-000000000001",
    });
  });

  it("is null for short or non-hex text", () => {
    expect(uuidRange("3f2a9c")).toBeNull();
    expect(uuidRange("invoices")).toBeNull();
    expect(uuidRange("3f2a9c1e-zz")).toBeNull();
  });
});
