/**
 * Writes `public/schemas/flow.schema.json` from the zod schema (`dsl/schema.ts`).
 * Run: `npx tsx dsl/scripts/write-schema.ts`. A unit test fails when the file is stale.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { flowJsonSchema } from "../schema";

/** The file's exact text (also used by the staleness test). */
export function schemaFileText(): string {
  return `${JSON.stringify(flowJsonSchema(), null, 2)}\n`;
}

const target = path.join(import.meta.dirname, "..", "..", "public", "schemas", "flow.schema.json");
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, schemaFileText());
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
