import { celEnv } from "@bufbuild/cel";
import { describe, expect, it } from "vitest";
import { evaluateCel } from "../expr";
import { CEL_FUNCTIONS, celMethodsFor } from "./cel-functions";

/** Named functions of the runtime's environment (operators and internals excluded). */
const runtime = new Map<string, { global: boolean; member: boolean }>();
for (const f of celEnv().funcs) {
  if (!/^[A-Za-z]/.test(f.name)) continue;
  const e = runtime.get(f.name) ?? { global: false, member: false };
  if (f.target) e.member = true;
  else e.global = true;
  runtime.set(f.name, e);
}
const MACROS = new Set(["has", "all", "exists", "exists_one", "map", "filter"]);

describe("the CEL function catalogue", () => {
  it("documents every named function of the runtime", () => {
    const documented = new Set(CEL_FUNCTIONS.map((f) => f.name));
    expect([...runtime.keys()].filter((n) => !documented.has(n))).toEqual([]);
  });

  it("lists only what the runtime has: functions as global or member, macros", () => {
    for (const f of CEL_FUNCTIONS) {
      if (f.kind === "macro") {
        expect(MACROS.has(f.name), f.name).toBe(true);
        continue;
      }
      const r = runtime.get(f.name);
      expect(r, f.name).toBeDefined();
      if (f.kind === "method") expect(r!.member, `${f.name} as a method`).toBe(true);
      else expect(r!.global, `${f.name} as a function`).toBe(true);
    }
  });

  it.each(CEL_FUNCTIONS.map((f) => [`${f.kind} ${f.name}`, f.example]))(
    "%s: its example evaluates to true",
    (_name, example) => {
      expect(evaluateCel(example, {})).toBe(true);
    },
  );

  it("offers member functions by receiver type", () => {
    const names = (types: string[]) => celMethodsFor(types).map((f) => f.name);
    expect(names(["string"])).toEqual(
      expect.arrayContaining(["contains", "startsWith", "endsWith", "matches", "size"]),
    );
    expect(names(["string"])).not.toContain("all");
    expect(names(["array"])).toEqual(
      expect.arrayContaining(["all", "exists", "map", "filter", "size"]),
    );
    expect(names(["array"])).not.toContain("contains");
    expect(names([])).toEqual(CEL_FUNCTIONS.filter((f) => f.on).map((f) => f.name));
  });
});
