import { describe, expect, it } from "vitest";
import { snippetParts, ZSearchInput } from "./search";

describe("snippetParts", () => {
  it("splits ts_headline's markers into plain and matched parts", () => {
    expect(snippetParts("the \u0001invoice\u0002 sync \u0001failed\u0002")).toEqual([
      { text: "the ", hit: false },
      { text: "invoice", hit: true },
      { text: " sync ", hit: false },
      { text: "failed", hit: true },
    ]);
  });

  it("survives stray or missing markers and non-text", () => {
    expect(snippetParts("a\u0002b \u0001c")).toEqual([
      { text: "ab ", hit: false },
      { text: "c", hit: true },
    ]);
    expect(snippetParts(null)).toEqual([]);
    expect(snippetParts("")).toEqual([]);
  });
});

describe("ZSearchInput", () => {
  it("trims, defaults the limit and caps the text", () => {
    expect(ZSearchInput.parse({ q: "  invoice " })).toEqual({ q: "invoice", limit: 5 });
    expect(ZSearchInput.safeParse({ q: "x".repeat(201) }).success).toBe(false);
    expect(ZSearchInput.safeParse({ q: "x", limit: 21 }).success).toBe(false);
    expect(ZSearchInput.safeParse({ q: "x", kinds: ["flow", "secrets"] }).success).toBe(false);
  });
});
