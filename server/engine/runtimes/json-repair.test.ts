import { describe, expect, it } from "vitest";
import { repairJson } from "./json-repair";

describe("repairJson", () => {
  it("leaves valid JSON alone", () => {
    expect(repairJson('{"a":[1,2,{"b":null}]}')).toEqual({
      ok: true,
      value: { a: [1, 2, { b: null }] },
      repaired: false,
      changes: [],
    });
  });

  const table: Array<[string, string, unknown, string[]]> = [
    ["code fence", '```json\n{"a": 1}\n```', { a: 1 }, ["stripped code fence"]],
    [
      "fence with prose around",
      'Sure! Here it is:\n```\n{"a": 1}\n```\nAnything else?',
      { a: 1 },
      ["stripped code fence", "removed text around JSON"],
    ],
    [
      "prose before and after",
      'The answer is {"label": "billing", "confidence": 0.9} as requested.',
      { label: "billing", confidence: 0.9 },
      ["removed text around JSON"],
    ],
    ["trailing comma in object", '{"a": 1, "b": 2,}', { a: 1, b: 2 }, ["removed trailing commas"]],
    ["trailing comma in array", "[1, 2, 3,]", [1, 2, 3], ["removed trailing commas"]],
    [
      "single quotes",
      "{'subject': 'Welcome', 'body': 'It\\'s here'}",
      { subject: "Welcome", body: "It's here" },
      ["converted single-quoted strings"],
    ],
    [
      "double quotes inside single-quoted strings",
      `{'q': 'say "hi"'}`,
      { q: 'say "hi"' },
      ["converted single-quoted strings"],
    ],
    [
      "unquoted keys",
      "{label: 'x', confidence: 1}",
      { label: "x", confidence: 1 },
      ["quoted unquoted keys", "converted single-quoted strings"],
    ],
    [
      "unclosed brackets",
      '{"a": {"b": [1, 2',
      { a: { b: [1, 2] } },
      ["closed unclosed objects or arrays"],
    ],
    [
      "unterminated string",
      '{"summary": "The customer was charged tw',
      { summary: "The customer was charged tw" },
      ["closed unterminated strings", "closed unclosed objects or arrays"],
    ],
    [
      "truncated after a key",
      '{"a": 1, "b":',
      { a: 1 },
      ["removed an incomplete member at the end", "closed unclosed objects or arrays"],
    ],
    [
      "truncated inside a key",
      '{"a": 1, "bo',
      { a: 1 },
      ["closed unterminated strings", "removed an incomplete member at the end"],
    ],
    ["truncated literal", '{"ok": tru', { ok: true }, ["completed truncated values"]],
    [
      "python literals",
      '{"a": True, "b": None}',
      { a: true, b: null },
      ["replaced Python literals"],
    ],
    ["comments", '{\n // note\n "a": 1 /* one */\n}', { a: 1 }, ["removed comments"]],
    ["missing comma", '{"a": 1 "b": 2}', { a: 1, b: 2 }, ["inserted missing commas"]],
    ["raw newline in string", '{"a": "x\ny"}', { a: "x\ny" }, ["escaped raw newlines in strings"]],
  ];

  it.each(table)("repairs %s", (_name, input, value, changes) => {
    const r = repairJson(input);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual(value);
    expect(r.repaired).toBe(true);
    for (const c of changes) expect(r.changes).toContain(c);
  });

  it.each([
    ["plain prose", "I cannot help with that."],
    ["empty", ""],
    ["mismatched brackets", '{"a": [1, 2}'],
  ])("reports %s as unrepairable", (_name, input) => {
    const r = repairJson(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/Could not repair the JSON/);
  });

  it("takes the first parseable value when prose contains brackets", () => {
    const r = repairJson('Labels [a] and [b]: {"label": "a"}');
    expect(r.ok && r.value).toEqual({ label: "a" });
  });
});
