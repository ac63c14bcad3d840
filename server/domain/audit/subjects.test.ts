import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AUDIT_SUBJECT_TYPES } from "./subjects";

/** Every `subjectType: "…"` written by server code outside tests. */
function writtenSubjectTypes(dir: string, found = new Map<string, string>()) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "generated" && e.name !== "node_modules") writtenSubjectTypes(p, found);
    } else if (/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name)) {
      for (const m of readFileSync(p, "utf8").matchAll(/subjectType:\s*"([^"]+)"/g)) {
        found.set(m[1]!, p);
      }
    }
  }
  return found;
}

describe("audit subject types", () => {
  it("lists every subject type the server writes, so each one can be filtered", () => {
    const known = new Set<string>(AUDIT_SUBJECT_TYPES.map((s) => s.type));
    const written = writtenSubjectTypes(path.resolve(__dirname, "../.."));
    // The scan must see the writers it guards (a broken regex would pass vacuously).
    expect([...written.keys()]).toEqual(expect.arrayContaining(["workflow", "run", "connector"]));
    const missing = [...written].filter(([t]) => !known.has(t)).map(([t, f]) => `${t} (${f})`);
    expect(missing).toEqual([]);
  });

  it("names each type once", () => {
    const types = AUDIT_SUBJECT_TYPES.map((s) => s.type);
    expect(new Set(types).size).toBe(types.length);
  });
});
