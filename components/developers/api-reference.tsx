import type { ReactNode } from "react";
import { Badge } from "@/components/ui/badge";

/**
 * The REST API's reference, rendered from its OpenAPI 3.1 document (`/api/v1/openapi.json`):
 * operations grouped by tag, each with its method and path, the role and token scope it needs,
 * its parameters, request and response schemas, its problem responses and an example `curl`.
 * Nothing is fetched: the page hands the document in.
 */

type Json = Record<string, unknown>;
type Schema = Json & {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  description?: string;
  oneOf?: Schema[];
  anyOf?: Schema[];
  additionalProperties?: boolean | Schema;
  format?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
};

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema: Schema;
}

interface Operation {
  operationId: string;
  tags: string[];
  summary: string;
  description: string;
  "x-trustflow-role": string;
  "x-trustflow-scope": string;
  "x-trustflow-approves"?: boolean;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, Json>;
}

export interface ApiDocument {
  openapi: string;
  info: Json & {
    title?: string;
    description?: string;
    version?: string;
    "x-trustflow-problem-types"?: Array<{ type: string; status: number; title: string }>;
  };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, Json> };
}

const METHOD_TONE: Record<string, string> = {
  get: "bg-sky-50 text-sky-800 ring-sky-200",
  post: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  put: "bg-amber-50 text-amber-800 ring-amber-200",
  patch: "bg-amber-50 text-amber-800 ring-amber-200",
  delete: "bg-red-50 text-red-700 ring-red-200",
};

const anchor = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** Inline `code` spans and **bold** of the document's descriptions. */
function Text({ children }: { children: string }) {
  const parts = children.split(/(`[^`]+`|\*\*[^*]+\*\*)/g);
  return (
    <>
      {parts.map((p, i) =>
        p.startsWith("`") ? (
          <code key={i} className="rounded bg-zinc-100 px-1 font-mono text-[12px]">
            {p.slice(1, -1)}
          </code>
        ) : p.startsWith("**") ? (
          <strong key={i}>{p.slice(2, -2)}</strong>
        ) : (
          p
        ),
      )}
    </>
  );
}

function Paragraphs({ text }: { text: string }) {
  return (
    <>
      {text.split(/\n\n+/).map((p, i) => (
        <p key={i} className="mt-1.5 text-sm text-zinc-700">
          <Text>{p}</Text>
        </p>
      ))}
    </>
  );
}

const refName = (ref: string) => ref.split("/").at(-1) ?? ref;

function resolve(schema: Schema, schemas: ApiDocument["components"]["schemas"]): Schema {
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) s = schemas[refName(s.$ref)] ?? {};
  return s;
}

/** A schema's type in a few words: `string (uuid)`, `array of Run`, `"a" | "b"`. */
function typeOf(schema: Schema, schemas: ApiDocument["components"]["schemas"]): string {
  if (schema.$ref) return refName(schema.$ref);
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((e) => JSON.stringify(e)).join(" | ");
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) return variants.map((v) => typeOf(v, schemas)).join(" | ");
  if (schema.type === "array")
    return `array of ${schema.items ? typeOf(schema.items, schemas) : "any"}`;
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "any");
  return schema.format ? `${type} (${schema.format})` : type;
}

function limits(s: Schema): string {
  const out: string[] = [];
  if (s.minimum !== undefined && s.minimum > -1e15) out.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum < 1e15) out.push(`≤ ${s.maximum}`);
  if (s.minLength) out.push(`min ${s.minLength} chars`);
  if (s.maxLength) out.push(`max ${s.maxLength} chars`);
  if (s.maxItems) out.push(`max ${s.maxItems} items`);
  if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
  return out.join(", ");
}

/** The properties of an object schema as a nested list (named schemas expand once per path). */
function SchemaView({
  schema,
  schemas,
  depth = 0,
  seen = [],
}: {
  schema: Schema;
  schemas: ApiDocument["components"]["schemas"];
  depth?: number;
  seen?: string[];
}): ReactNode {
  const name = schema.$ref ? refName(schema.$ref) : null;
  if (name && seen.includes(name)) return null;
  const s = resolve(schema, schemas);
  const target = s.type === "array" && s.items ? resolve(s.items, schemas) : s;
  const props = target.properties;
  if (!props || depth > 3) return null;
  const required = new Set(target.required ?? []);
  const nextSeen = name ? [...seen, name] : seen;
  return (
    <ul className={depth ? "ml-4 border-l border-zinc-200 pl-3" : ""}>
      {Object.entries(props).map(([key, prop]) => {
        const resolved = resolve(prop, schemas);
        const description = prop.description ?? resolved.description;
        const extra = limits(resolved);
        return (
          <li key={key} className="py-0.5 text-[13px]">
            <code className="font-mono text-zinc-900">{key}</code>
            {required.has(key) && <span className="ml-1 text-[11px] text-red-700">required</span>}
            <span className="ml-2 font-mono text-[12px] text-zinc-500">
              {typeOf(prop, schemas)}
            </span>
            {extra && <span className="ml-2 text-[11px] text-zinc-500">{extra}</span>}
            {description && (
              <span className="ml-2 text-zinc-600">
                — <Text>{description}</Text>
              </span>
            )}
            <SchemaView
              schema={prop.$ref || prop.type === "array" ? prop : resolved}
              schemas={schemas}
              depth={depth + 1}
              seen={nextSeen}
            />
          </li>
        );
      })}
    </ul>
  );
}

/** An example value of a schema: its example, default, first enum value, else by type. */
function exampleOf(
  schema: Schema,
  schemas: ApiDocument["components"]["schemas"],
  depth = 0,
): unknown {
  const s = resolve(schema, schemas);
  if (s.examples?.length) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const variants = s.oneOf ?? s.anyOf;
  if (variants?.length) return exampleOf(variants[0]!, schemas, depth + 1);
  if (depth > 4) return null;
  switch (Array.isArray(s.type) ? s.type[0] : s.type) {
    case "object": {
      const out: Json = {};
      for (const key of s.required ?? []) {
        const prop = s.properties?.[key];
        if (prop) out[key] = exampleOf(prop, schemas, depth + 1);
      }
      return out;
    }
    case "array":
      return [];
    case "integer":
    case "number":
      return s.minimum !== undefined && s.minimum > -1e15 ? s.minimum : 1;
    case "boolean":
      return true;
    case "string":
      return s.format === "uuid" ? "00000000-0000-4000-8000-000000000000" : "…";
    default:
      return {};
  }
}

function curlOf(method: string, path: string, op: Operation, doc: ApiDocument): string {
  const base = doc.servers[0]?.url ?? "";
  const lines = [
    `curl -X ${method.toUpperCase()} "$TRUSTFLOW_URL${base}${path}"`,
    `  -H "Authorization: Bearer $TRUSTFLOW_TOKEN"`,
  ];
  const body = op.requestBody?.content["application/json"]?.schema;
  if (body) {
    lines.push(`  -H "Content-Type: application/json"`);
    lines.push(`  -d '${JSON.stringify(exampleOf(body, doc.components.schemas))}'`);
  }
  return lines.join(" \\\n");
}

function OperationView({
  method,
  path,
  op,
  doc,
}: {
  method: string;
  path: string;
  op: Operation;
  doc: ApiDocument;
}) {
  const body = op.requestBody?.content["application/json"]?.schema;
  const params = op.parameters ?? [];
  return (
    <section
      id={`op-${anchor(op.operationId)}`}
      aria-labelledby={`op-${anchor(op.operationId)}-title`}
      className="rounded-lg border border-zinc-200 bg-white p-4"
    >
      <h3 id={`op-${anchor(op.operationId)}-title`} className="flex flex-wrap items-center gap-2">
        <span
          className={`rounded px-1.5 py-0.5 font-mono text-[11px] font-semibold uppercase ring-1 ring-inset ${METHOD_TONE[method] ?? ""}`}
        >
          {method}
        </span>
        <code className="font-mono text-sm text-zinc-900">{path}</code>
        <span className="text-sm text-zinc-600">{op.summary}</span>
      </h3>
      <div className="mt-2 flex flex-wrap gap-1.5">
        <Badge>role: {op["x-trustflow-role"]}</Badge>
        <Badge tone="accent">scope: {op["x-trustflow-scope"]}</Badge>
        {op["x-trustflow-approves"] && <Badge tone="warning">four-eyes guard</Badge>}
      </div>
      <Paragraphs text={op.description} />
      {params.length > 0 && (
        <>
          <h4 className="mt-3 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
            Parameters
          </h4>
          <ul>
            {params.map((p) => (
              <li key={`${p.in}-${p.name}`} className="py-0.5 text-[13px]">
                <code className="font-mono text-zinc-900">{p.name}</code>
                <span className="ml-1 text-[11px] text-zinc-500">in {p.in}</span>
                {p.required && <span className="ml-1 text-[11px] text-red-700">required</span>}
                <span className="ml-2 font-mono text-[12px] text-zinc-500">
                  {typeOf(p.schema, doc.components.schemas)}
                </span>
                {limits(p.schema) && (
                  <span className="ml-2 text-[11px] text-zinc-500">{limits(p.schema)}</span>
                )}
                {p.description && (
                  <span className="ml-2 text-zinc-600">
                    — <Text>{p.description}</Text>
                  </span>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {body && (
        <>
          <h4 className="mt-3 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
            Request body (application/json)
          </h4>
          <SchemaView schema={body} schemas={doc.components.schemas} />
        </>
      )}
      <h4 className="mt-3 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        Responses
      </h4>
      <ul>
        {Object.entries(op.responses).map(([status, raw]) => {
          const res = (
            typeof raw.$ref === "string" ? doc.components.responses[refName(raw.$ref)] : raw
          ) as { description?: string; content?: Record<string, { schema: Schema }> } | undefined;
          const [type, media] = Object.entries(res?.content ?? {})[0] ?? [];
          const ok = status.startsWith("2");
          return (
            <li key={status} className="py-0.5 text-[13px]">
              <span className={`font-mono ${ok ? "text-emerald-700" : "text-zinc-700"}`}>
                {status}
              </span>
              <span className="ml-2 text-zinc-600">
                <Text>{res?.description ?? ""}</Text>
              </span>
              {type && media && (
                <span className="ml-2 font-mono text-[12px] text-zinc-500">
                  {type} · {typeOf(media.schema, doc.components.schemas)}
                </span>
              )}
              {ok && media && (
                <details className="mt-1">
                  <summary className="cursor-pointer text-[12px] text-zinc-600">
                    Response schema
                  </summary>
                  <SchemaView schema={media.schema} schemas={doc.components.schemas} />
                </details>
              )}
            </li>
          );
        })}
      </ul>
      <h4 className="mt-3 text-xs font-semibold tracking-wide text-zinc-500 uppercase">Example</h4>
      <pre className="mt-1 overflow-x-auto rounded bg-zinc-900 p-3 font-mono text-[12px] text-zinc-100">
        {curlOf(method, path, op, doc)}
      </pre>
    </section>
  );
}

export function ApiReference({ doc }: { doc: ApiDocument }) {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op: op as Operation })),
  );
  const problems = doc.info["x-trustflow-problem-types"] ?? [];
  return (
    <div className="space-y-8">
      <section aria-labelledby="api-overview" className="space-y-2">
        <h2 id="api-overview" className="text-base font-semibold text-zinc-900">
          Overview
        </h2>
        {doc.info.description && <Paragraphs text={doc.info.description} />}
        <p className="text-sm text-zinc-700">
          Base URL: <code className="font-mono">{doc.servers[0]?.url}</code> on this studio. The
          machine-readable document (OpenAPI {doc.openapi}):{" "}
          <a className="text-accent-700 underline" href="/api/v1/openapi.json">
            /api/v1/openapi.json
          </a>
          .
        </p>
        <nav aria-label="Operations" className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
          {operations.map(({ method, path, op }) => (
            <a
              key={op.operationId}
              href={`#op-${anchor(op.operationId)}`}
              className="text-accent-700 hover:underline"
            >
              <span className="font-mono text-[11px] uppercase">{method}</span> {path}
            </a>
          ))}
        </nav>
      </section>
      {doc.tags.map((tag) => (
        <section key={tag.name} aria-labelledby={`tag-${anchor(tag.name)}`} className="space-y-3">
          <h2 id={`tag-${anchor(tag.name)}`} className="text-base font-semibold text-zinc-900">
            {tag.name}
          </h2>
          {tag.description && <p className="text-sm text-zinc-600">{tag.description}</p>}
          {operations
            .filter(({ op }) => op.tags.includes(tag.name))
            .map(({ method, path, op }) => (
              <OperationView key={op.operationId} method={method} path={path} op={op} doc={doc} />
            ))}
        </section>
      ))}
      <section aria-labelledby="api-problems" className="space-y-2">
        <h2 id="api-problems" className="text-base font-semibold text-zinc-900">
          Errors (application/problem+json)
        </h2>
        <p className="text-sm text-zinc-700">
          Every error is an RFC 9457 problem: <code className="font-mono">type</code>,{" "}
          <code className="font-mono">title</code>, <code className="font-mono">status</code>,{" "}
          <code className="font-mono">detail</code>, <code className="font-mono">instance</code>; a
          400 lists each field in <code className="font-mono">errors</code> (
          <code className="font-mono">in</code>, <code className="font-mono">field</code>,{" "}
          <code className="font-mono">pointer</code>, <code className="font-mono">detail</code>).
        </p>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          {problems.map((p) => (
            <div key={p.type} id={p.type.split("#")[1]} className="contents">
              <dt className="font-mono text-zinc-900">{p.status}</dt>
              <dd className="text-zinc-700">
                {p.title} <code className="ml-1 font-mono text-[12px] text-zinc-500">{p.type}</code>
              </dd>
            </div>
          ))}
        </dl>
      </section>
    </div>
  );
}
