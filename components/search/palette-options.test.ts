import { describe, expect, it } from "vitest";
import { matchingPages, moveActive, paletteOptions } from "./palette-options";

describe("palette options", () => {
  it("lists the search's groups in order, then the pages that match", () => {
    const options = paletteOptions(
      [
        {
          kind: "flow",
          label: "Flows",
          more: false,
          timedOut: false,
          items: [
            { id: "f1", title: "Runs digest", detail: "Flow", snippet: [], href: "/studio/f1" },
          ],
        },
        { kind: "run", label: "Runs", more: false, timedOut: false, items: [] },
      ],
      "runs",
    );
    expect(options.map((o) => [o.key, o.group, o.href])).toEqual([
      ["flow:f1", "Flows", "/studio/f1"],
      ["page:/runs", "Pages", "/runs"],
    ]);
  });

  it("matches pages by word prefixes of their name and keywords", () => {
    expect(matchingPages("go to dead").map((p) => p.title)).toEqual(["Go to Dead letters"]);
    expect(matchingPages("tokens").map((p) => p.href)).toEqual(["/settings"]);
    expect(matchingPages("")).toHaveLength(11);
    expect(matchingPages("zzz")).toEqual([]);
  });

  it("moves the highlight with wrap-around", () => {
    expect(moveActive("ArrowDown", 2, 3)).toBe(0);
    expect(moveActive("ArrowUp", 0, 3)).toBe(2);
    expect(moveActive("End", 0, 3)).toBe(2);
    expect(moveActive("Home", 2, 3)).toBe(0);
    expect(moveActive("a", 0, 3)).toBeNull();
    expect(moveActive("ArrowDown", 0, 0)).toBeNull();
  });
});
