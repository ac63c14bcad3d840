/**
 * What one OpenAPI import may cost ({@link OPENAPI_LIMITS}) and how an import is refused: an
 * {@link OpenApiImportError} lists every problem with its place in the document; an
 * {@link OpenApiLimitError} names the bound that tripped and stops the import at once.
 */
export class OpenApiImportError extends Error {
  override name = "OpenApiImportError";
  constructor(readonly issues: string[]) {
    super(`The OpenAPI document cannot be imported:\n- ${issues.join("\n- ")}`);
  }
}

/** What one import may cost. Each refusal names the limit it hit. */
export const OPENAPI_LIMITS = {
  /** Characters of document text (JSON or YAML). */
  documentChars: 2_000_000,
  /** Nodes YAML alias expansion may produce (eemeli/yaml's `maxAliasCount`). */
  yamlAliasCount: 100,
  /** Nesting levels of the text (brackets and indentation), checked before parsing. */
  nesting: 250,
  /** `$ref`s followed in a chain (a reference to a reference to ...). */
  refDepth: 32,
  /** Schema nesting depth after inlining. */
  schemaDepth: 64,
  /** Schema nodes produced by converting and inlining every operation's schemas. */
  schemaNodes: 50_000,
  /** Operations (method and path pairs) in one document. */
  operations: 2_000,
} as const;

/** A place in the document, shortened for a message (inlined paths grow with the nesting). */
export function shortAt(at: string): string {
  return at.length <= 160 ? at : `${at.slice(0, 80)}…${at.slice(-60)}`;
}

/** A bound of {@link OPENAPI_LIMITS} tripped: the import stops at once. */
export class OpenApiLimitError extends OpenApiImportError {
  override name = "OpenApiLimitError";
  constructor(
    readonly limit: keyof typeof OPENAPI_LIMITS,
    message: string,
  ) {
    super([message]);
  }
}
