/**
 * Reading an OpenAPI document: JSON or YAML text (or an object already parsed) to a plain object,
 * bounded before and while parsing (size, nesting, YAML alias expansion; see
 * {@link OPENAPI_LIMITS}).
 */
import { parse as parseYaml } from "yaml";
import { scanNesting } from "@/dsl";
import { OPENAPI_LIMITS, OpenApiImportError, OpenApiLimitError } from "./limits";

/** A JSON object of the document. */
export type Obj = Record<string, unknown>;
export const isObj = (x: unknown): x is Obj =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** Parses a document given as text (JSON or YAML) or as an object. */
export function parseOpenApiDocument(input: string | Obj): Obj {
  if (typeof input !== "string") return input;
  if (input.length > OPENAPI_LIMITS.documentChars) {
    throw new OpenApiLimitError(
      "documentChars",
      `the document has ${input.length.toLocaleString("en-US")} characters, more than the limit of ${OPENAPI_LIMITS.documentChars.toLocaleString("en-US")} (limit documentChars)`,
    );
  }
  // A pathological nesting (100k `[`) would overflow the YAML library's stack after seconds of
  // work: refuse it from a linear scan first (the compiler's own pre-check).
  const tooDeep = scanNesting(input, OPENAPI_LIMITS.nesting);
  if (tooDeep !== undefined) {
    throw new OpenApiLimitError(
      "nesting",
      `the document nests deeper than ${OPENAPI_LIMITS.nesting} levels (at character ${tooDeep}; limit nesting)`,
    );
  }
  let doc: unknown;
  try {
    doc = input.trimStart().startsWith("{")
      ? JSON.parse(input)
      : parseYaml(input, { maxAliasCount: OPENAPI_LIMITS.yamlAliasCount });
  } catch (err) {
    const message = (err as Error).message.split("\n")[0] ?? "";
    if (/Excessive alias count/.test(message)) {
      throw new OpenApiLimitError(
        "yamlAliasCount",
        `YAML aliases would expand beyond ${OPENAPI_LIMITS.yamlAliasCount} nodes (limit yamlAliasCount = ${OPENAPI_LIMITS.yamlAliasCount}): write the repeated parts out or use $ref`,
      );
    }
    throw new OpenApiImportError([`the document is neither valid JSON nor YAML: ${message}`]);
  }
  if (!isObj(doc))
    throw new OpenApiImportError([
      "the document must be an object with `openapi`, `info` and `paths`",
    ]);
  return doc;
}
