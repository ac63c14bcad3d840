/**
 * The OpenAPI 3.1 document of the REST API (`GET /api/v1/openapi.json`), generated from the route
 * table and its zod schemas (zod 4's `z.toJSONSchema`, JSON Schema 2020-12 as OpenAPI 3.1 uses
 * it): every operation with its security (a bearer API token), the role and scope it needs
 * (`x-trustflow-role`, `x-trustflow-scope`, and in its description), parameters, request and
 * response schemas, and its problem responses (`application/problem+json`).
 */
import { z, type ZodType } from "zod";
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, PROBLEM_TYPES, ZProblem } from "./problem";
import { API_BASE, type RestRoute } from "./route";

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: Json;
  servers: Json[];
  security: Json[];
  tags: Json[];
  paths: Record<string, Record<string, Json>>;
  components: {
    schemas: Record<string, Json>;
    responses: Record<string, Json>;
    securitySchemes: Json;
  };
  [key: string]: unknown;
}

/** Every response of every operation: no token, not allowed, and our own failure. */
const ALWAYS = [401, 403, 500] as const;

const SCOPE_TEXT = {
  read: "read (any scope)",
  run: "run (or admin)",
  approve: "approve (or admin)",
  admin: "admin",
} as const;

const TAGS = [
  { name: "Workflows", description: "Flows of the workspace, addressed by id or slug." },
  { name: "Runs", description: "Start runs, read them, and request replays of finished ones." },
  {
    name: "Approvals",
    description: "The approvals inbox and its decisions, under the four-eyes rule.",
  },
  { name: "Dead letters", description: "Steps that failed for good, and their reprocessing." },
  {
    name: "Trust",
    description: "Trust scores earned from run history, with their uncertainty.",
  },
  {
    name: "Guardian",
    description: "Failed runs grouped and triaged, and the fixes proposed as flow patches.",
  },
];

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Collects named schemas as components, turning zod's `$defs` into component references. */
class Components {
  readonly schemas: Record<string, Json> = {};

  /** A `$ref` to `schema` (named by its `meta({ id })`, else `name`), converted for `io`. */
  ref(schema: ZodType, io: "input" | "output", name: string): Json {
    const js = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
    const {
      $defs,
      $schema: _s,
      id,
      $id: _i,
      ...root
    } = js as Json & { $defs?: Record<string, Json> };
    for (const [key, def] of Object.entries($defs ?? {})) this.put(key, rewrite(def) as Json);
    // A schema with a `meta({ id })` comes back as a reference to its own definition.
    if (Object.keys(root).length === 1 && typeof root.$ref === "string")
      return rewrite(root) as Json;
    const key = typeof id === "string" ? id : name;
    this.put(key, rewrite(root) as Json);
    return { $ref: `#/components/schemas/${key}` };
  }

  /** The schema of one parameter: inline (parameters are plain values). */
  inline(schema: ZodType, io: "input" | "output"): Json {
    const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
    return rewrite(rest) as Json;
  }

  private put(key: string, schema: Json) {
    const { id: _id, ...clean } = schema;
    const existing = this.schemas[key];
    if (existing && JSON.stringify(existing) !== JSON.stringify(clean))
      throw new Error(`Two different schemas are named ${key} in the OpenAPI document.`);
    this.schemas[key] = clean;
  }
}

/** `#/$defs/X` (zod's local references) as `#/components/schemas/X`. */
function rewrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite);
  if (value && typeof value === "object") {
    const out: Json = {};
    for (const [k, v] of Object.entries(value as Json)) {
      out[k] =
        k === "$ref" && typeof v === "string" && v.startsWith("#/$defs/")
          ? `#/components/schemas/${v.slice("#/$defs/".length)}`
          : rewrite(v);
    }
    return out;
  }
  return value;
}

/** Path and query parameters of an operation, from the JSON Schema of their objects. */
function parameters(c: Components, route: RestRoute): Json[] {
  const out: Json[] = [];
  const add = (schema: ZodType | undefined, where: "path" | "query") => {
    if (!schema) return;
    const js = c.inline(schema, "input") as {
      properties?: Record<string, Json>;
      required?: string[];
    };
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      const { description, ...rest } = prop;
      out.push({
        name,
        in: where,
        required: where === "path" || (js.required ?? []).includes(name),
        ...(typeof description === "string" ? { description } : {}),
        schema: rest,
      });
    }
  };
  add(route.params, "path");
  add(route.query, "query");
  return out;
}

function operation(c: Components, route: RestRoute): Json {
  const name = capitalize(route.operationId);
  const statuses = [...new Set([...route.problems, ...ALWAYS])].sort((a, b) => a - b);
  const responses: Json = {
    [route.success.status]: {
      description: route.success.description,
      ...(route.success.status !== 200
        ? {
            headers: {
              Location: { description: "The created resource's path.", schema: { type: "string" } },
            },
          }
        : {}),
      content: {
        "application/json": { schema: c.ref(route.success.schema, "output", `${name}Response`) },
      },
    },
  };
  for (const s of statuses) responses[s] = { $ref: `#/components/responses/Problem${s}` };
  const needs =
    `**Needs** the ${route.role} role (or higher) in the workspace; an API token needs the ` +
    `${SCOPE_TEXT[route.scope]} scope, and acts with its creator's current role.`;
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    description: `${route.description}\n\n${needs}`,
    "x-trustflow-role": route.role,
    "x-trustflow-scope": route.scope,
    ...(route.approves ? { "x-trustflow-approves": true } : {}),
    security: [{ bearerToken: [] }],
    parameters: parameters(c, route),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: c.ref(route.body, "input", `${name}Body`) } },
          },
        }
      : {}),
    responses,
  };
}

/** The document of `routes`. */
export function openApiDocument(routes: readonly RestRoute[]): OpenApiDocument {
  const c = new Components();
  c.ref(ZProblem, "output", "Problem");
  const paths: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(c, route);
  }
  const responses: Record<string, Json> = {};
  for (const [slug, t] of Object.entries(PROBLEM_TYPES)) {
    responses[`Problem${t.status}`] = {
      description: `${t.title} (type ${PROBLEM_TYPE_BASE}${slug}).`,
      ...(t.status === 429 || t.status === 503
        ? {
            headers: {
              "Retry-After": {
                description: "Seconds to wait before retrying.",
                schema: { type: "integer" },
              },
            },
          }
        : {}),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Trustflow REST API",
      version: "1.0.0",
      description:
        "Start runs, read them, request replays and decide approvals from scripts and CI. " +
        "Authenticate with an API token (Settings → API tokens): `Authorization: Bearer tf_…`. " +
        "A token does what its scopes allow (read, run, approve, admin), never more than its " +
        "creator's current role. Errors are `application/problem+json` (RFC 9457). Lists take " +
        "`limit` and `cursor` and answer `{ items, nextCursor }`.",
      // The problem types the `type` member names (anchors of the reference page).
      "x-trustflow-problem-types": Object.entries(PROBLEM_TYPES).map(([slug, t]) => ({
        type: PROBLEM_TYPE_BASE + slug,
        status: t.status,
        title: t.title,
      })),
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [{ url: API_BASE }],
    security: [{ bearerToken: [] }],
    tags: TAGS.filter((t) => routes.some((r) => r.tag === t.name)),
    paths,
    components: {
      schemas: c.schemas,
      responses,
      securitySchemes: {
        bearerToken: {
          type: "http",
          scheme: "bearer",
          description:
            "An API token of the workspace (`tf_…`), with the scope each operation names. A signed-in browser session works too (same-origin requests only).",
        },
      },
    },
  };
}
