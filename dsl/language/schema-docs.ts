/**
 * JSON Schemas as people read them in a completion list or a hover: a short type label and a
 * few lines of Markdown (description, default, allowed values, pattern, fields).
 */
import { schemaTypes } from "../expr";
import type { JsonSchema } from "../types";

/** `string`, `number | null`, `string (date-time)`, `"a" | "b"`, `array of string`, `any`. */
export function typeLabel(schema: JsonSchema | undefined): string {
  if (!schema) return "any";
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0 && schema.enum.length <= 6)
    return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const types = schemaTypes(schema);
  if (types.length === 0) return "any";
  return types
    .map((t) => {
      if (t === "array") {
        const items = schema.items;
        return items && typeof items === "object" && !Array.isArray(items)
          ? `array of ${typeLabel(items as JsonSchema)}`
          : "array";
      }
      if (t === "string" && typeof schema.format === "string") return `string (${schema.format})`;
      return t;
    })
    .join(" | ");
}

/** The properties of an object schema, in order, and which are required. */
export function schemaProperties(
  schema: JsonSchema | undefined,
): Array<{ name: string; schema: JsonSchema; required: boolean }> {
  const props = schema?.properties;
  if (!props || typeof props !== "object") return [];
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(props as Record<string, JsonSchema>).map(([name, s]) => ({
    name,
    schema: s && typeof s === "object" ? s : {},
    required: required.has(name),
  }));
}

/** A value as YAML writes it inline (flow style), for defaults, examples and inserted text. */
export function inlineYaml(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") {
    const plain =
      /^[A-Za-z_/][A-Za-z0-9_ ./@+-]*$/.test(value) &&
      !/\s$/.test(value) &&
      !/^(true|false|null|yes|no|on|off|~)$/i.test(value);
    return plain ? value : JSON.stringify(value);
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(inlineYaml).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    return `{ ${entries.map(([k, v]) => `${/^[A-Za-z_][\w-]*$/.test(k) ? k : JSON.stringify(k)}: ${inlineYaml(v)}`).join(", ")} }`;
  }
  return JSON.stringify(value);
}

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** Markdown lines describing a schema: description, default, allowed values, format, fields. */
export function schemaMarkdown(
  schema: JsonSchema | undefined,
  opts: { fields?: boolean } = {},
): string {
  if (!schema) return "";
  const lines: string[] = [];
  if (typeof schema.description === "string") lines.push(schema.description);
  const facts: string[] = [];
  if (schema.default !== undefined) facts.push(`default ${code(inlineYaml(schema.default))}`);
  if (Array.isArray(schema.enum))
    facts.push(`one of ${schema.enum.map((v) => code(inlineYaml(v))).join(", ")}`);
  if (typeof schema.pattern === "string") facts.push(`pattern ${code(schema.pattern)}`);
  if (typeof schema.format === "string") facts.push(`format ${code(schema.format)}`);
  for (const [k, label] of [
    ["minimum", "minimum"],
    ["maximum", "maximum"],
    ["minLength", "at least %s characters"],
    ["maxLength", "at most %s characters"],
    ["minItems", "at least %s items"],
    ["maxItems", "at most %s items"],
  ] as const) {
    const v = schema[k];
    if (typeof v === "number")
      facts.push(label.includes("%s") ? label.replace("%s", String(v)) : `${label} ${v}`);
  }
  if (facts.length > 0) lines.push(facts.join(" · "));
  if (opts.fields) {
    const props = schemaProperties(schema);
    if (props.length > 0)
      lines.push(
        props
          .map(
            (p) =>
              `- ${code(p.name)}: ${typeLabel(p.schema)}${p.required ? "" : " (optional)"}${typeof p.schema.description === "string" ? ` — ${p.schema.description}` : ""}`,
          )
          .join("\n"),
      );
  }
  return lines.join("\n\n");
}
