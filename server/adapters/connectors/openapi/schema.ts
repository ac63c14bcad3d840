/**
 * OpenAPI schema objects to JSON Schema 2020-12: local `$ref`s (`#/...`) are inlined; other
 * `$ref` forms (files, URLs) and recursive references are refused with a message naming the
 * place; 3.0's `nullable` and boolean `exclusiveMinimum/Maximum` are translated; `example` becomes
 * `examples`; vendor extensions, `discriminator`, `xml` and formats Ajv does not know (`int32`,
 * `binary`, ...) are dropped. One {@link Converter} per document counts the schema nodes it
 * produces and refuses as soon as a bound of {@link OPENAPI_LIMITS} is passed (a "$ref bomb" costs
 * at most the limit's worth of work).
 */
import { SCHEMA_FORMATS, type JsonSchema } from "@/dsl";
import { isObj, type Obj } from "./document";
import { OPENAPI_LIMITS, OpenApiLimitError, shortAt } from "./limits";

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

function pointer(doc: Obj, ref: string): unknown {
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObj(node) && !Array.isArray(node)) return undefined;
    node = (node as Obj)[part];
  }
  return node;
}

/** Converts the schemas of one document; `issues` collects what it refused, with the place. */
export class Converter {
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
