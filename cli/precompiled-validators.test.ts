import { createRequire } from "node:module";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { transformSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { AJV_OPTIONS, primitiveBlocks } from "@/dsl";
import { precompiledValidatorsModule } from "./precompiled-validators";

const root = path.join(import.meta.dirname, "..");

/** The generated module, loaded as the bundle loads it (esbuild, CommonJS). */
function loadGenerated(): Record<string, unknown> {
  const { code } = transformSync(precompiledValidatorsModule(), { format: "cjs", loader: "js" });
  const mod = { exports: {} as Record<string, unknown> };
  new Function("module", "exports", "require", code)(
    mod,
    mod.exports,
    createRequire(path.join(root, "package.json")),
  );
  return mod.exports;
}

/** Values that exercise a schema: its example, wrong shapes, each property wrong or extra. */
function samples(example: unknown): unknown[] {
  const out: unknown[] = [example, {}, null, "text", 42, [], [1, "a"], { zz_unknown: 1 }];
  if (example && typeof example === "object" && !Array.isArray(example)) {
    for (const key of Object.keys(example)) {
      for (const wrong of [null, 12345, "x", true, [], {}, [{}], { a: 1 }])
        out.push({ ...example, [key]: wrong });
      const rest: Record<string, unknown> = { ...example };
      delete rest[key];
      out.push(rest);
    }
    out.push({ ...example, zz_unknown: 1 });
  }
  return out;
}

describe("the CLI's precompiled input validators", () => {
  it("give each built-in block's inputs the same answer and errors as the runtime Ajv", () => {
    const generated = loadGenerated();
    expect(generated.blocks).toEqual(primitiveBlocks.map((b) => `${b.id}@${b.version}`));
    let checked = 0;
    primitiveBlocks.forEach((block, i) => {
      const pre = generated[`v${i}`] as ((d: unknown) => boolean) & { errors?: unknown };
      const runtime = new Ajv2020({ ...AJV_OPTIONS }).compile(structuredClone(block.inputSchema));
      for (const data of samples(block.example)) {
        const ok = runtime(data);
        expect(pre(data), `${block.id}@${block.version}`).toBe(ok);
        expect(pre.errors ?? null, `${block.id}@${block.version}`).toEqual(runtime.errors ?? null);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(primitiveBlocks.length * 8);
  });
});
