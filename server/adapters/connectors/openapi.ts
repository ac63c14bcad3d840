/**
 * OpenAPI 3.0 / 3.1 import: every operation of a document becomes a block definition
 * (`<connector>.<operationId in kebab case>`, kind `connector`, `system` = the connector name)
 * plus an executable operation for the connector runtime.
 *
 * - Inputs: one property per path, query and header parameter, and `body` for a JSON request
 *   body (`requestBody` when a parameter is already called `body`).
 * - Output: the JSON schema of the first 2xx response. A non-object response (an array, a
 *   string) is wrapped as `{ data: ... }`, because block outputs are objects; no schema gives an
 *   open object.
 * - Side effect: `read` for GET, `write` for everything else.
 * - Schemas are converted to JSON Schema 2020-12: local `$ref`s (`#/...`) are inlined; other
 *   `$ref` forms (files, URLs) and recursive references are refused with a message naming the
 *   place; 3.0's `nullable` and boolean `exclusiveMinimum/Maximum` are translated; `example`
 *   becomes `examples`; vendor extensions, `discriminator`, `xml` and formats Ajv does not know
 *   (`int32`, `binary`, ...) are dropped.
 * - A missing `operationId` is derived from method and path (`GET /pets/{petId}` -> `get-pets-pet-id`).
 * - Bounded work ({@link OPENAPI_LIMITS}): the document's size, YAML alias expansion, the depth of
 *   `$ref` chains and schema nesting, and the number of schema nodes that inlining produces are
 *   capped. The node count is checked as each node is produced, so a document whose `$ref`s
 *   expand exponentially (a "$ref bomb") is refused after at most the limit's worth of work, with
 *   the limit named; nothing is expanded first and checked later.
 * - Parsed once: {@link importOpenApi} returns `spec`, a JSON value the connector row keeps
 *   (`Connector.openapiSpec`); {@link importFromSpec} rebuilds the blocks and executable
 *   operations from it without reading the document again.
 */
import { parse as parseYaml } from "yaml";
import { scanNesting } from "@/dsl/parse";
import { SCHEMA_FORMATS, validateBlockDefinition } from "@/dsl/registry/registry";
import type { BlockDefinition, JsonSchema } from "@/dsl/types";
import { blockRefOf, primitiveRegistry } from "./framework/connector";
import { schemaErrors } from "./framework/schema";
import type { HttpMethod, Operation, QueryValues } from "./framework/types";

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
function shortAt(at: string): string {
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
interface OperationData {
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

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);

const METHODS = ["get", "put", "post", "patch", "delete"] as const;
const SKIPPED_METHODS = ["head", "options", "trace"];
export const CONNECTOR_NAME_RE = /^[a-z][a-z0-9_]{1,39}$/;
/** Formats the registry's Ajv knows; others are dropped on import. */
const KNOWN_FORMATS = new Set(SCHEMA_FORMATS);
/** JSON Schema 2020-12 keywords kept as they are (subschemas are converted separately). */
const PLAIN_KEYWORDS = new Set([
  "type",
  "required",
  "enum",
  "const",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "title",
  "description",
  "default",
  "readOnly",
  "writeOnly",
  "deprecated",
  "examples",
  "dependentRequired",
]);
const SUBSCHEMA_MAPS = ["properties", "patternProperties", "$defs"];
const SUBSCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const SUBSCHEMAS = ["items", "additionalProperties", "not", "contains", "propertyNames"];

/** `listPets` -> `list-pets`; `GET /pets/{petId}` -> `get-pets-pet-id`. */
export function kebab(text: string): string {
  const k = text
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return /^[a-z]/.test(k) ? k : `op-${k}`;
}

function pointer(doc: Obj, ref: string): unknown {
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObj(node) && !Array.isArray(node)) return undefined;
    node = (node as Obj)[part];
  }
  return node;
}

class Converter {
  readonly issues: string[] = [];
  /** Schema nodes produced so far, across the whole document (bounded by `schemaNodes`). */
  private nodes = 0;
  constructor(private readonly doc: Obj) {}

  private readonly targets = new Map<string, unknown>();
  private resolve(ref: string): unknown {
    if (!this.targets.has(ref)) this.targets.set(ref, pointer(this.doc, ref));
    return this.targets.get(ref);
  }

  private checkRefDepth(seen: string[], at: string) {
    if (seen.length >= OPENAPI_LIMITS.refDepth) {
      throw new OpenApiLimitError(
        "refDepth",
        `${shortAt(at)}: $ref chains deeper than ${OPENAPI_LIMITS.refDepth} references are refused (limit refDepth = ${OPENAPI_LIMITS.refDepth})`,
      );
    }
  }

  /** Counts a produced schema node; refuses as soon as the document's budget is spent. */
  private produce(at: string, depth: number) {
    if (depth > OPENAPI_LIMITS.schemaDepth) {
      throw new OpenApiLimitError(
        "schemaDepth",
        `${shortAt(at)}: schemas nested deeper than ${OPENAPI_LIMITS.schemaDepth} levels are refused (limit schemaDepth = ${OPENAPI_LIMITS.schemaDepth})`,
      );
    }
    if (++this.nodes > OPENAPI_LIMITS.schemaNodes) {
      throw new OpenApiLimitError(
        "schemaNodes",
        `${shortAt(at)}: inlining the $refs would produce more than ${OPENAPI_LIMITS.schemaNodes.toLocaleString("en-US")} schema nodes (limit schemaNodes = ${OPENAPI_LIMITS.schemaNodes}); the document's references expand too much. Define fewer nested references or split the API.`,
      );
    }
  }

  /** Follows a `$ref` (object-level, e.g. a parameter); reports and returns undefined on error. */
  deref(node: unknown, at: string, seen: string[] = []): Obj | undefined {
    if (!isObj(node)) return undefined;
    const ref = node.$ref;
    if (ref === undefined) return node;
    this.checkRefDepth(seen, at);
    if (typeof ref !== "string" || !ref.startsWith("#/")) {
      this.issues.push(
        `${at}: unsupported $ref "${String(ref)}": only local references such as #/components/schemas/Pet are supported`,
      );
      return undefined;
    }
    if (seen.includes(ref)) {
      this.issues.push(`${at}: recursive $ref "${ref}" is not supported`);
      return undefined;
    }
    const target = this.resolve(ref);
    if (!isObj(target)) {
      this.issues.push(`${at}: $ref "${ref}" does not resolve to an object in this document`);
      return undefined;
    }
    return this.deref(target, at, [...seen, ref]);
  }

  /** OpenAPI schema object -> JSON Schema 2020-12. */
  schema(node: unknown, at: string, seen: string[] = [], depth = 0): JsonSchema {
    if (isObj(node) && typeof node.$ref === "string") {
      const ref = node.$ref;
      this.checkRefDepth(seen, at);
      if (!ref.startsWith("#/")) {
        this.issues.push(
          `${at}: unsupported $ref "${ref}": only local references such as #/components/schemas/Pet are supported`,
        );
        return {};
      }
      if (seen.includes(ref)) {
        this.issues.push(
          `${at}: recursive $ref "${ref}" is not supported (the schema refers to itself)`,
        );
        return {};
      }
      const target = this.resolve(ref);
      if (target === undefined) {
        this.issues.push(`${at}: $ref "${ref}" does not resolve in this document`);
        return {};
      }
      // The reference produces nothing itself: its target is counted as it is converted.
      return this.schema(target, at, [...seen, ref], depth);
    }
    this.produce(at, depth);
    if (node === true || node === false) return node ? {} : { not: {} };
    if (!isObj(node)) return {};
    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(node)) {
      if (PLAIN_KEYWORDS.has(k)) out[k] = v;
      else if (k === "format") {
        if (typeof v === "string" && KNOWN_FORMATS.has(v)) out.format = v;
      } else if (k === "example") out.examples = [v];
      else if (SUBSCHEMA_MAPS.includes(k) && isObj(v)) {
        out[k] = Object.fromEntries(
          Object.entries(v).map(([p, s]) => [
            p,
            this.schema(s, `${at}.${k}.${p}`, seen, depth + 1),
          ]),
        );
      } else if (SUBSCHEMA_LISTS.includes(k) && Array.isArray(v)) {
        out[k] = v.map((s, i) => this.schema(s, `${at}.${k}[${i}]`, seen, depth + 1));
      } else if (SUBSCHEMAS.includes(k)) {
        out[k] = typeof v === "boolean" ? v : this.schema(v, `${at}.${k}`, seen, depth + 1);
      } else if (k === "exclusiveMinimum" || k === "exclusiveMaximum") {
        const base = k === "exclusiveMinimum" ? "minimum" : "maximum";
        if (typeof v === "number") out[k] = v;
        else if (v === true && typeof node[base] === "number") out[k] = node[base];
      }
      // Everything else (nullable, discriminator, xml, externalDocs, x-*) is dropped or handled below.
    }
    for (const k of ["exclusiveMinimum", "exclusiveMaximum"] as const) {
      const base = k === "exclusiveMinimum" ? "minimum" : "maximum";
      if (node[k] === true) delete out[base];
    }
    if (node.nullable === true) {
      if (typeof out.type === "string") out.type = [out.type, "null"];
      if (Array.isArray(out.enum) && !out.enum.includes(null))
        out.enum = [...(out.enum as unknown[]), null];
    }
    return out;
  }
}

const EXAMPLE_MAX_ITEMS = 100;
const EXAMPLE_MAX_CHARS = 1_000;

/** A value that satisfies `schema` in the common cases (used as the block's `example`). */
function exampleOf(schema: JsonSchema, depth = 0): unknown {
  if (depth > 6) return null;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const k of ["oneOf", "anyOf"]) {
    const list = schema[k];
    if (Array.isArray(list) && list.length > 0) return exampleOf(list[0] as JsonSchema, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign(
      {},
      ...schema.allOf.map((s) => exampleOf(s as JsonSchema, depth + 1)).filter(isObj),
    );
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const props = isObj(schema.properties)
        ? (schema.properties as Record<string, JsonSchema>)
        : {};
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      return Object.fromEntries(
        required.filter((k) => props[k]).map((k) => [k, exampleOf(props[k]!, depth + 1)]),
      );
    }
    case "array": {
      const min = typeof schema.minItems === "number" ? schema.minItems : 0;
      // A derived example stays small whatever the schema asks (minItems: 1e9 must not allocate).
      return min > 0 && min <= EXAMPLE_MAX_ITEMS && isObj(schema.items)
        ? Array.from({ length: min }, () => exampleOf(schema.items as JsonSchema, depth + 1))
        : [];
    }
    case "integer":
    case "number":
      return typeof schema.minimum === "number"
        ? Math.max(schema.minimum, type === "integer" ? Math.ceil(schema.minimum) : schema.minimum)
        : 1;
    case "boolean":
      return false;
    case "string": {
      const byFormat: Record<string, string> = {
        email: "user@example.com",
        date: "2025-01-31",
        "date-time": "2025-01-31T12:00:00Z",
        uuid: "00000000-0000-4000-8000-000000000000",
        uri: "https://example.com",
      };
      const s = byFormat[String(schema.format)] ?? "example";
      const min = typeof schema.minLength === "number" ? schema.minLength : 0;
      return s.padEnd(Math.min(min, EXAMPLE_MAX_CHARS), "x");
    }
    default:
      return isObj(schema.properties) ? exampleOf({ ...schema, type: "object" }, depth) : "example";
  }
}

function semverOf(version: unknown): string {
  if (typeof version === "string" && /^\d+\.\d+\.\d+$/.test(version)) return version;
  if (typeof version === "string" && /^\d+\.\d+$/.test(version)) return `${version}.0`;
  return "1.0.0";
}

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

/** Block-id prefixes taken by the built-in registry (`crm`, `billing`, `http`, `agent`, ...). */
export function reservedConnectorNames(): Set<string> {
  return new Set(
    primitiveRegistry()
      .list()
      .map((b) => b.id.split(".")[0]!),
  );
}

/**
 * Imports an OpenAPI document as connector `name`. Throws {@link OpenApiImportError} listing
 * every problem (with its place in the document) when it cannot.
 *
 * @example
 * const imported = importOpenApi("petstore", yamlText);
 * imported.blocks.map((b) => b.id); // ["petstore.list-pets", "petstore.create-pet", ...]
 */
export function importOpenApi(name: string, input: string | Obj): OpenApiImport {
  if (!CONNECTOR_NAME_RE.test(name)) {
    throw new OpenApiImportError([
      `connector name "${name}" must be 2-40 lower-case letters, digits or _, starting with a letter (it prefixes the block ids)`,
    ]);
  }
  if (reservedConnectorNames().has(name)) {
    throw new OpenApiImportError([
      `connector name "${name}" is taken by built-in blocks; choose another`,
    ]);
  }
  const doc = parseOpenApiDocument(input);
  const issues: string[] = [];
  const warnings: string[] = [];
  if (typeof doc.swagger === "string") {
    throw new OpenApiImportError([
      `Swagger ${doc.swagger} is not supported: convert the document to OpenAPI 3.0 or 3.1`,
    ]);
  }
  if (typeof doc.openapi !== "string" || !/^3\.[01]\./.test(doc.openapi)) {
    throw new OpenApiImportError([
      `openapi: expected a version 3.0.x or 3.1.x, got ${JSON.stringify(doc.openapi ?? null)}`,
    ]);
  }
  if (!isObj(doc.paths) || Object.keys(doc.paths).length === 0) {
    throw new OpenApiImportError(["paths: the document has no operations"]);
  }
  const info = isObj(doc.info) ? doc.info : {};
  const version = semverOf(info.version);
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  const baseUrl =
    isObj(servers[0]) && typeof servers[0].url === "string" ? servers[0].url : undefined;
  const conv = new Converter(doc);
  const blocks: BlockDefinition[] = [];
  const operationData: OperationData[] = [];
  const usedIds = new Set<string>();
  let operationCount = 0;

  for (const [path, rawItem] of Object.entries(doc.paths)) {
    const item = conv.deref(rawItem, `paths.${path}`);
    if (!item) continue;
    for (const m of SKIPPED_METHODS)
      if (item[m])
        warnings.push(`paths.${path}.${m}: ${m.toUpperCase()} operations are not imported`);
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const at = `paths.${path}.${method}`;
      if (++operationCount > OPENAPI_LIMITS.operations) {
        throw new OpenApiLimitError(
          "operations",
          `${at}: the document has more than ${OPENAPI_LIMITS.operations} operations (limit operations = ${OPENAPI_LIMITS.operations}); import it as several connectors`,
        );
      }
      const before = conv.issues.length;
      const operationId =
        typeof op.operationId === "string" && op.operationId.trim()
          ? op.operationId
          : `${method} ${path}`;
      let id = `${name}.${kebab(operationId)}`;
      for (let n = 2; usedIds.has(id); n++) id = `${name}.${kebab(operationId)}-${n}`;
      usedIds.add(id);

      // Parameters: path-level, overridden by operation-level with the same name and location.
      const params = new Map<string, Obj>();
      for (const [list, where] of [
        [item.parameters, `paths.${path}.parameters`],
        [op.parameters, `${at}.parameters`],
      ] as const) {
        if (!Array.isArray(list)) continue;
        list.forEach((p, i) => {
          const param = conv.deref(p, `${where}[${i}]`);
          if (!param) return;
          if (typeof param.name !== "string" || typeof param.in !== "string") {
            issues.push(`${where}[${i}]: a parameter needs "name" and "in"`);
            return;
          }
          params.set(`${param.in}:${param.name}`, param);
        });
      }
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      const queryNames: string[] = [];
      const headerNames: string[] = [];
      for (const param of params.values()) {
        const pname = param.name as string;
        const where = param.in as string;
        if (where === "cookie") {
          warnings.push(`${at}: cookie parameter "${pname}" is not supported and was skipped`);
          continue;
        }
        let raw: unknown = param.schema;
        if (raw === undefined && isObj(param.content))
          raw = Object.values(param.content).find(isObj)?.schema;
        const schema = conv.schema(raw ?? { type: "string" }, `${at}.parameters.${pname}`);
        if (typeof param.description === "string" && schema.description === undefined)
          schema.description = param.description;
        properties[pname] = schema;
        if (where === "path" || param.required === true) required.push(pname);
        if (where === "query") queryNames.push(pname);
        if (where === "header") headerNames.push(pname);
      }
      let bodyKey: string | undefined;
      const requestBody =
        op.requestBody === undefined ? undefined : conv.deref(op.requestBody, `${at}.requestBody`);
      if (requestBody && isObj(requestBody.content)) {
        const mediaType = Object.keys(requestBody.content).find((k) =>
          /^application\/([\w.+-]+\+)?json/.test(k),
        );
        if (mediaType) {
          bodyKey = properties.body ? "requestBody" : "body";
          const media = (requestBody.content as Obj)[mediaType];
          properties[bodyKey] = conv.schema(
            isObj(media) ? (media.schema ?? {}) : {},
            `${at}.requestBody.content.${mediaType}.schema`,
          );
          if (requestBody.required === true) required.push(bodyKey);
        } else {
          warnings.push(
            `${at}: request body types ${Object.keys(requestBody.content).join(", ")} are not JSON and were skipped`,
          );
        }
      }

      // Output: the first 2xx response with a JSON schema.
      let outputSchema: JsonSchema = { type: "object" };
      let wrap = false;
      const responses = isObj(op.responses) ? op.responses : {};
      const success = Object.keys(responses)
        .filter((code) => /^2(\d\d|XX)$/i.test(code))
        .sort();
      const first = success[0];
      if (first) {
        const resp = conv.deref(responses[first], `${at}.responses.${first}`);
        const content = resp && isObj(resp.content) ? resp.content : undefined;
        const mediaType =
          content && Object.keys(content).find((k) => /^application\/([\w.+-]+\+)?json/.test(k));
        const media = mediaType ? (content as Obj)[mediaType] : undefined;
        if (isObj(media) && media.schema !== undefined) {
          const schema = conv.schema(
            media.schema,
            `${at}.responses.${first}.content.${mediaType}.schema`,
          );
          const isObject =
            schema.type === "object" || (schema.type === undefined && isObj(schema.properties));
          if (isObject) outputSchema = schema;
          else {
            wrap = true;
            outputSchema = { type: "object", properties: { data: schema }, required: ["data"] };
          }
        }
      } else {
        warnings.push(`${at}: no 2xx response is documented; the output is an open object`);
      }
      if (conv.issues.length > before) continue;

      const inputSchema: JsonSchema = {
        type: "object",
        properties,
        required,
        additionalProperties: false,
      };
      const example = exampleOf(inputSchema);
      const summary = typeof op.summary === "string" ? op.summary.trim() : "";
      const description = typeof op.description === "string" ? op.description.trim() : "";
      const upper = method.toUpperCase() as HttpMethod;
      const definition: BlockDefinition = {
        id,
        version,
        kind: "connector",
        system: name,
        title: (summary || operationId).slice(0, 120),
        docs: `${description || summary || `Calls ${upper} ${path}.`}\n\nImported from OpenAPI: \`${upper} ${path}\`${wrap ? "; the response is under `data`" : ""}.`,
        inputSchema,
        outputSchema,
        sideEffect: method === "get" ? "read" : "write",
        baselineTrust: 0.9,
        example: isObj(example) ? example : {},
        tags: [
          "openapi",
          name,
          ...(Array.isArray(op.tags)
            ? op.tags.filter((t): t is string => typeof t === "string")
            : []),
        ],
      };
      const checked = validateBlockDefinition(definition);
      if (!checked.ok) {
        const exampleProblem = schemaErrors(inputSchema, definition.example, "example");
        issues.push(
          ...checked.errors.map((e) => `${at} (${id}): ${e}`),
          ...(exampleProblem
            ? [`${at}: add an \`example\` to the parameters; one could not be derived`]
            : []),
        );
        continue;
      }
      blocks.push(definition);
      operationData.push({
        block: blocks.length - 1,
        method: upper,
        path,
        query: [...queryNames],
        headers: [...headerNames],
        ...(bodyKey ? { body: bodyKey } : {}),
        wrap,
      });
    }
  }
  issues.unshift(...conv.issues);
  if (issues.length > 0) throw new OpenApiImportError(issues);
  if (blocks.length === 0)
    throw new OpenApiImportError([
      "paths: the document has no GET, PUT, POST, PATCH or DELETE operations",
    ]);
  return importFromSpec({
    format: OPENAPI_SPEC_FORMAT,
    connector: name,
    title: typeof info.title === "string" ? info.title : name,
    version,
    ...(baseUrl ? { baseUrl } : {}),
    blocks,
    operations: operationData,
    warnings,
  });
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
