/**
 * Build time only (bundle.mjs): Ajv's standalone code of the built-in primitives' input schemas,
 * compiled with the options of the project's one Ajv instance (`AJV_OPTIONS`). The CLI's bundle
 * includes it and hands each validator to `usePrecompiledValidator`, so a call of `trustflow`
 * does not run Ajv's compiler for the blocks a flow uses (most of its validation time).
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import { AJV_OPTIONS, primitiveBlocks } from "@/dsl";

/**
 * An ES module exporting `v<i>`, the validator of `primitiveBlocks[i].inputSchema`, and `blocks`,
 * the `id@version` of each (the bundle checks them before using a validator).
 */
export function precompiledValidatorsModule(): string {
  const ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  const refs: Record<string, ValidateFunction> = {};
  const names: Record<string, string> = {};
  primitiveBlocks.forEach((b, i) => {
    refs[`v${i}`] = ajv.compile(b.inputSchema);
    names[`v${i}`] = `v${i}`;
  });
  const blocks = primitiveBlocks.map((b) => `${b.id}@${b.version}`);
  // standaloneCode looks the exported names up with getSchema (schemas added under a key); these
  // were compiled as the one instance compiles (no key, no `addSchema`): hand them over by name.
  ajv.getSchema = ((name: string) => refs[name]) as typeof ajv.getSchema;
  return `${standaloneCode(ajv, names)}\nexport const blocks = ${JSON.stringify(blocks)};\n`;
}
