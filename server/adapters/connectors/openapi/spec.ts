/**
 * The stored form of an import ({@link OpenApiSpec}, kept as `Connector.openapiSpec`) and the
 * import rebuilt from it ({@link importFromSpec}): block definitions as stored, each operation's
 * closures (query, headers, body, response wrapping) made again around them, without parsing the
 * document.
 */
import type { BlockDefinition } from "@/dsl";
import { blockRefOf } from "../framework/connector";
import type { HttpMethod, Operation, QueryValues } from "../framework/types";
import { isObj } from "./document";

export interface OpenApiImport {
  connector: string;
  title: string;
  version: string;
  /** `servers[0].url`, when the document names one. */
  baseUrl?: string;
  blocks: BlockDefinition[];
  /** Executable operations by `id@major`. */
  operations: Map<string, Operation>;
  /** Things skipped (cookie parameters, non-JSON bodies, HEAD operations). */
  warnings: string[];
  /** The import as plain JSON, stored on the connector row: see {@link importFromSpec}. */
  spec: OpenApiSpec;
}

/** Version of the stored {@link OpenApiSpec} shape; a row with another one is imported again. */
export const OPENAPI_SPEC_FORMAT = 1;

/** One operation as data (its closures are rebuilt by {@link importFromSpec}). */
export interface OperationData {
  /** Index of its block in `blocks`. */
  block: number;
  method: HttpMethod;
  path: string;
  query: string[];
  headers: string[];
  body?: string;
  /** The response is wrapped as `{ data }` (a non-object response). */
  wrap: boolean;
}

/** What `Connector.openapiSpec` keeps: the parsed import, JSON only. */
export interface OpenApiSpec {
  format: typeof OPENAPI_SPEC_FORMAT;
  connector: string;
  title: string;
  version: string;
  baseUrl?: string;
  blocks: BlockDefinition[];
  operations: OperationData[];
  warnings: string[];
}

/** Whether a stored value is a spec this code reads (else the document is imported again). */
export function isOpenApiSpec(value: unknown): value is OpenApiSpec {
  return (
    isObj(value) &&
    value.format === OPENAPI_SPEC_FORMAT &&
    Array.isArray(value.blocks) &&
    Array.isArray(value.operations)
  );
}

/** One executable operation from its stored description. */
function operationOf(definition: BlockDefinition, data: OperationData): Operation {
  const { query: qn, headers: hn, body: bk, wrap } = data;
  return {
    block: blockRefOf(definition),
    method: data.method,
    path: data.path,
    definition,
    query: (i) => {
      const q: QueryValues = {};
      for (const k of qn) {
        const v = i[k];
        if (Array.isArray(v)) q[k] = v.join(",");
        else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") q[k] = v;
        else if (v !== undefined && v !== null) q[k] = JSON.stringify(v);
      }
      return q;
    },
    headers: (i) =>
      Object.fromEntries(hn.map((k) => [k, i[k] === undefined ? undefined : String(i[k])])),
    body: () => undefined,
    ...(bk ? { body: (i: Record<string, unknown>) => i[bk] } : {}),
    ...(wrap ? { response: (b: unknown) => ({ data: b }) } : {}),
  };
}

/**
 * The import from its stored form (`Connector.openapiSpec`), without parsing the document:
 * blocks as stored, operations rebuilt around them.
 */
export function importFromSpec(spec: OpenApiSpec): OpenApiImport {
  const operations = new Map<string, Operation>();
  for (const data of spec.operations) {
    const definition = spec.blocks[data.block];
    if (definition) operations.set(blockRefOf(definition), operationOf(definition, data));
  }
  return {
    connector: spec.connector,
    title: spec.title,
    version: spec.version,
    ...(spec.baseUrl !== undefined ? { baseUrl: spec.baseUrl } : {}),
    blocks: spec.blocks,
    operations,
    warnings: spec.warnings,
    spec,
  };
}
