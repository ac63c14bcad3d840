import { describe, expect, it } from "vitest";
import { astToJs, parseFlow } from "../parse";
import { flowOutline } from "./outline";
import { CURSOR, referenceExample, template } from "./test-helpers";
import { chainKeys, flowPlaceAt, pathAt } from "./yaml-structure";

function at(src: string) {
  const offset = src.indexOf(CURSOR);
  const text = src.slice(0, offset) + src.slice(offset + 1);
  const p = pathAt(text, offset);
  return { keys: chainKeys(p.chain), position: p.position, text };
}

describe("pathAt", () => {
  const flow = [
    "flow: x",
    "steps:",
    "  - id: a",
    "    uses: crm.deal.update@1",
    "    with:",
    "      note: |",
    "        Summary: not a key",
    "        - not an item",
    "      lines:",
    "        - description: one",
    "          quantity: 1",
    "    needs:",
    "    - b",
    "  - id: b # comment: not a key",
    "    'quoted key': 1",
  ].join("\n");
  const put = (line: number, col: number) => {
    const lines = flow.split("\n");
    lines[line] = lines[line]!.slice(0, col) + CURSOR + lines[line]!.slice(col);
    return at(lines.join("\n"));
  };

  it("finds the containers above a key being typed", () => {
    const blank = at(flow.replace("      lines:", `      ${CURSOR}\n      lines:`));
    expect(blank.keys).toEqual(["steps", "-", "with"]);
    expect(blank.position.kind).toBe("key");
    const nested = put(10, 10);
    expect(nested.keys).toEqual(["steps", "-", "with", "lines", "-"]);
  });

  it("knows a value position and its key", () => {
    const p = put(3, 10);
    expect(p.keys).toEqual(["steps", "-"]);
    expect(p.position.kind === "value" && p.position.key.name).toBe("uses");
  });

  it("treats the lines of a block scalar as its text, colons and dashes included", () => {
    for (const line of [6, 7]) {
      const p = put(line, 12);
      expect(p.position.kind).toBe("text");
      expect(
        p.position.kind === "text" && p.position.owner.kind === "key" && p.position.owner.name,
      ).toBe("note");
      expect(p.keys).toEqual(["steps", "-", "with"]);
    }
  });

  it("reads a sequence at its key's indentation, comments and quoted keys", () => {
    const item = put(12, 6);
    expect(item.keys).toEqual(["steps", "-", "needs", "-"]);
    expect(item.position.kind).toBe("item-value");
    const quoted = at(flow + `\n    ${CURSOR}`);
    expect(quoted.keys).toEqual(["steps", "-"]);
  });
});

/** The flow as data, from the compiler's own parser. */
const asData = (text: string) =>
  astToJs(parseFlow(text).ast!) as {
    steps: Array<{ id: string; uses: string; needs?: string[] }>;
    inputs: Record<string, Record<string, unknown>>;
  };

describe("flowOutline", () => {
  it("lists the steps with their id, uses and needs, and the inputs, as the compiler's parser does", () => {
    for (const text of [referenceExample, template("quote-to-cash"), template("lead-routing")]) {
      const o = flowOutline(text);
      const data = asData(text);
      expect(
        o.steps.map((s) => ({ id: s.id, uses: s.uses, needs: s.needs.map((n) => n.id) })),
      ).toEqual(data.steps.map((s) => ({ id: s.id, uses: s.uses, needs: s.needs ?? [] })));
      expect(Object.fromEntries(o.inputs.map((i) => [i.name, i.schema]))).toEqual(data.inputs);
      for (const s of o.steps) expect(text.slice(s.idSpan!.start, s.idSpan!.end)).toBe(s.id);
    }
    expect(flowOutline(referenceExample).byId.get("credit-check")!.uses).toBe("policy.check@1");
  });

  it("keeps working while the YAML does not parse", () => {
    const text = template("quote-to-cash");
    const broken = text.replace("description: Provision", 'description: "Provision');
    expect(parseFlow(broken).ast).toBeUndefined();
    expect(flowOutline(broken).steps.map((s) => s.id)).toEqual(asData(text).steps.map((s) => s.id));
  });
});

describe("flowPlaceAt", () => {
  const place = (src: string) => {
    const offset = src.indexOf(CURSOR);
    const text = src.slice(0, offset) + src.slice(offset + 1);
    const p = flowPlaceAt(text, 0, text.length, offset);
    return p && { keys: p.keys, kind: p.kind, text: text.slice(p.span.start, p.span.end) };
  };

  it("finds the entry of a mapping or sequence whose value or key holds the offset", () => {
    expect(place("{ label: big, when: steps.‸ }")).toEqual({
      keys: ["when"],
      kind: "value",
      text: "steps.",
    });
    expect(place("{ label: big, when: inputs.n > 1‸ }")).toEqual({
      keys: ["when"],
      kind: "value",
      text: "inputs.n > 1",
    });
    expect(place("{ label: b‸ig, when: x }")).toMatchObject({ keys: ["label"], text: "big" });
    expect(place("{ label: big, wh‸ }")).toEqual({ keys: [], kind: "key", text: "wh" });
    expect(place("{ ‸ }")).toEqual({ keys: [], kind: "key", text: "" });
    expect(place("{ label: big, when: ‸ }")).toEqual({ keys: ["when"], kind: "value", text: "" });
    expect(place("[{ label: a, when: x }, { label: b, when: 'inputs.‸' }]")).toEqual({
      keys: ["-", "when"],
      kind: "value",
      text: "'inputs.'",
    });
    expect(place("{ a: { b: [1, c‸] } }")).toEqual({
      keys: ["a", "b", "-"],
      kind: "value",
      text: "c",
    });
  });

  it("reads quoted values whole, runs an unclosed collection to the end, stops at its close", () => {
    expect(place('{ a: "x, }‸ y", b: 1 }')).toMatchObject({ keys: ["a"], text: '"x, } y"' });
    expect(place('{ a: "x, y" ‸}')).toBeUndefined();
    expect(place("{ label: big, when: steps.‸")).toMatchObject({ keys: ["when"], text: "steps." });
    expect(place("{ label: big } ‸")).toBeUndefined();
  });
});
