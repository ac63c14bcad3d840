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
 *
 * Modules (under `openapi/`): `limits.ts` (the bounds and the import errors), `document.ts`
 * (reading JSON or YAML), `schema.ts` (schema conversion and `$ref` inlining), `example.ts` (the
 * block's derived example), `spec.ts` (the stored form and the operations rebuilt from it). This
 * file walks the document's operations into block definitions.
 */
import { validateBlockDefinition, type BlockDefinition, type JsonSchema } from "@/dsl";
import { primitiveRegistry } from "./framework/connector";
import { schemaErrors } from "./framework/schema";
import type { HttpMethod } from "./framework/types";
import { isObj, parseOpenApiDocument, type Obj } from "./openapi/document";
import { exampleOf } from "./openapi/example";
import { OPENAPI_LIMITS, OpenApiImportError, OpenApiLimitError } from "./openapi/limits";
import { Converter } from "./openapi/schema";
import {
  importFromSpec,
  OPENAPI_SPEC_FORMAT,
  type OpenApiImport,
  type OperationData,
} from "./openapi/spec";

export { parseOpenApiDocument } from "./openapi/document";
export { OPENAPI_LIMITS, OpenApiImportError, OpenApiLimitError } from "./openapi/limits";
export {
  importFromSpec,
  isOpenApiSpec,
  OPENAPI_SPEC_FORMAT,
  type OpenApiImport,
  type OpenApiSpec,
} from "./openapi/spec";

const METHODS = ["get", "put", "post", "patch", "delete"] as const;
const SKIPPED_METHODS = ["head", "options", "trace"];
export const CONNECTOR_NAME_RE = /^[a-z][a-z0-9_]{1,39}$/;

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

function semverOf(version: unknown): string {
  if (typeof version === "string" && /^\d+\.\d+\.\d+$/.test(version)) return version;
  if (typeof version === "string" && /^\d+\.\d+$/.test(version)) return `${version}.0`;
  return "1.0.0";
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
