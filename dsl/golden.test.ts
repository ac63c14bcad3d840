/**
 * Golden tests: every `testdata/*.yaml` compiles to the diagnostics (code, severity, span) listed
 * in its `*.expected.json`. Messages are not compared: wording may improve, codes and spans are
 * the contract. `UPDATE_GOLDEN=1 npx vitest run dsl/golden.test.ts` rewrites the expected files (and writes
 * missing ones; without it a missing expected file fails); review the diff before accepting it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "./compile";
import { diagnosticCodes } from "./diagnostics";
import { offsetToPosition } from "./positions";
import { goldenOptions } from "./testdata/golden-options";

const dir = path.join(import.meta.dirname, "testdata");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();
const update = process.env.UPDATE_GOLDEN === "1";

interface Expected {
  code: string;
  severity: string;
  span: { start: number; end: number };
  /** For reviewers: `line:col` and the underlined text. */
  at: string;
  text: string;
}

function actual(text: string): Expected[] {
  return compile(text, goldenOptions(text)).diagnostics.map((d) => {
    const p = offsetToPosition(text, d.span.start);
    return {
      code: d.code,
      severity: d.severity,
      span: d.span,
      at: `${p.line}:${p.column}`,
      text: text.slice(d.span.start, d.span.end).slice(0, 80),
    };
  });
}

describe("golden files", () => {
  it("has at least 60 inputs", () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
  });

  for (const file of files) {
    it(file, () => {
      const text = readFileSync(path.join(dir, file), "utf8");
      const expectedPath = path.join(dir, file.replace(/\.yaml$/, ".expected.json"));
      const got = actual(text);
      if (update) {
        writeFileSync(expectedPath, `${JSON.stringify(got, null, 2)}\n`);
        return;
      }
      // A missing expected file is a failure, not a new golden: writing one would pass anything.
      expect(
        existsSync(expectedPath),
        `${path.basename(expectedPath)} is missing: run UPDATE_GOLDEN=1 npx vitest run dsl/golden.test.ts and review it`,
      ).toBe(true);
      const expected = JSON.parse(readFileSync(expectedPath, "utf8")) as Expected[];
      const key = (d: Expected) => ({ code: d.code, severity: d.severity, span: d.span });
      expect(got.map(key)).toEqual(expected.map(key));
    });
  }

  it("covers every catalogue code", () => {
    const seen = new Set<string>();
    for (const file of files) {
      const expectedPath = path.join(dir, file.replace(/\.yaml$/, ".expected.json"));
      if (!existsSync(expectedPath)) continue;
      for (const d of JSON.parse(readFileSync(expectedPath, "utf8")) as Expected[])
        seen.add(d.code);
    }
    expect(diagnosticCodes.filter((c) => !seen.has(c))).toEqual([]);
  });

  it("names each file after a code it expects", () => {
    for (const file of files) {
      const m = /^(tf\d{4})-/.exec(file);
      if (!m) continue;
      const expected = JSON.parse(
        readFileSync(path.join(dir, file.replace(/\.yaml$/, ".expected.json")), "utf8"),
      ) as Expected[];
      expect(
        expected.map((d) => d.code.toLowerCase()),
        file,
      ).toContain(m[1]);
    }
  });

  it("accepts the valid ones and the reference example without errors", () => {
    for (const file of files.filter((f) => f.startsWith("valid-") || f === "quote-to-cash.yaml")) {
      const text = readFileSync(path.join(dir, file), "utf8");
      const r = compile(text, goldenOptions(text));
      expect(
        r.diagnostics.filter((d) => d.severity === "error"),
        file,
      ).toEqual([]);
      expect(r.ok, file).toBe(true);
      expect(r.ir?.hash, file).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
