/** Completion in the YAML: block ids (`uses`, `compensate`, `tools`), a block's inputs and values, `needs`. */
import { schemaTypes } from "../expr";
import { SUPPORTED_MAJORS_BEHIND } from "../registry/registry";
import { isAgentToolBlock } from "../registry/primitives/agent";
import type { BlockDefinition, JsonSchema, Span } from "../types";
import { inputSchemaAt, type LanguageEnv } from "./context";
import { blockMarkdown, stepOutputSchema } from "./docs";
import { flowOutline, stepAtLine } from "./outline";
import { inlineYaml, schemaMarkdown, schemaProperties, typeLabel } from "./schema-docs";
import { childKeys, type ItemToken, type KeyToken } from "./yaml-structure";
import { type CompletionItem, limitSteps, pad, candidateSteps, stepRef } from "./completion-items";

/** Every block id with its supported majors: the newest first, older majors marked deprecated. */
export function blockItems(
  env: LanguageEnv,
  purpose: "uses" | "compensate" | "tool",
): CompletionItem[] {
  const out: CompletionItem[] = [];
  env.registry.list().forEach((newest, rank) => {
    if (purpose === "tool" && !isAgentToolBlock(newest)) return;
    const newestMajor = Number(newest.version.split(".")[0]);
    const majors = env.registry
      .majors(newest.id)
      .filter((m) => newestMajor - m <= SUPPORTED_MAJORS_BEHIND);
    majors.forEach((major, i) => {
      const b = env.registry.get(newest.id, major);
      if (!b) return;
      const ref = `${b.id}@${major}`;
      // A compensation undoes a write: writes first.
      const group = purpose === "compensate" && b.sideEffect !== "write" ? 1 : 0;
      out.push({
        label: ref,
        kind: "block",
        detail: `${b.title} · ${b.kind}${b.system ? ` · ${b.system}` : ""} · v${b.version}${i > 0 ? " · older major" : ""}`,
        documentation: () => blockMarkdown(b, env.registry),
        insertText: ref,
        filterText: ref,
        sortText: `${group}${pad(rank)}${i}`,
        deprecated: i > 0 || b.deprecated !== undefined,
      });
    });
  });
  return out;
}

/** Escapes text for a snippet placeholder or choice. */
const snippetText = (s: string) => s.replace(/[\\$}|,]/g, (c) => `\\${c}`);

function inputSnippet(name: string, schema: JsonSchema): string {
  const types = schemaTypes(schema);
  const values = Array.isArray(schema.enum)
    ? schema.enum
    : types.length === 1 && types[0] === "boolean"
      ? [true, false]
      : undefined;
  if (values && values.length > 0) {
    // The default first, so accepting the choice keeps it.
    const ordered =
      schema.default !== undefined
        ? [schema.default, ...values.filter((v) => v !== schema.default)]
        : values;
    return `${name}: \${1|${ordered.map((v) => snippetText(inlineYaml(v))).join(",")}|}`;
  }
  if (schema.default !== undefined && typeof schema.default !== "object")
    return `${name}: \${1:${snippetText(inlineYaml(schema.default))}}`;
  const isObject =
    types.includes("object") || (types.length === 0 && schema.properties !== undefined);
  if (types.length === 1 && types[0] === "array") {
    const items = schema.items as JsonSchema | undefined;
    const objItems = items?.type === "object" || items?.properties !== undefined;
    return objItems ? `${name}:\n  - $0` : `${name}: [$0]`;
  }
  if (isObject && schema.properties !== undefined) return `${name}:\n  $0`;
  return `${name}: $0`;
}

export function inputKeyItems(
  text: string,
  block: BlockDefinition,
  keys: string[],
  container: KeyToken | ItemToken,
  cursorLine: number,
): CompletionItem[] {
  const schema = keys.length === 0 ? block.inputSchema : inputSchemaAt(block, keys);
  const props = schemaProperties(schema);
  if (props.length === 0) return [];
  // The key being typed (on the cursor's line) is not one of those already there.
  const present = new Set(
    childKeys(text, container)
      .filter((k) => k.line !== cursorLine)
      .map((k) => k.name),
  );
  const example = keys.length === 0 ? block.example : undefined;
  const out: CompletionItem[] = [];
  props.forEach((p, i) => {
    if (present.has(p.name)) return;
    const doc = [schemaMarkdown(p.schema, { fields: true })];
    if (example && example[p.name] !== undefined)
      doc.push(`Example: \`${p.name}: ${inlineYaml(example[p.name])}\``);
    out.push({
      label: p.name,
      kind: "input",
      detail: `${typeLabel(p.schema)}${p.required ? " · required" : ""} — ${block.id}`,
      documentation: doc.filter(Boolean).join("\n\n"),
      insertText: inputSnippet(p.name, p.schema),
      snippet: true,
      sortText: `${p.required ? 0 : 1}${pad(i)}`,
    });
  });
  return out;
}

export function inputValueItems(
  text: string,
  block: BlockDefinition,
  keys: string[],
  stepItem: ItemToken,
  env: LanguageEnv,
): CompletionItem[] {
  const schema = inputSchemaAt(block, keys);
  const out: CompletionItem[] = [];
  const values: unknown[] = [];
  if (schema) {
    if (Array.isArray(schema.enum)) values.push(...schema.enum);
    else if (schema.const !== undefined) values.push(schema.const);
    else if (schemaTypes(schema).includes("boolean")) values.push(true, false);
    // The default first.
    if (schema.default !== undefined) {
      const at = values.indexOf(schema.default);
      if (at >= 0) values.splice(at, 1);
      values.unshift(schema.default);
    }
  }
  values.forEach((v, i) => {
    out.push({
      label: inlineYaml(v),
      kind: "value",
      detail: v === schema?.default ? "default" : typeLabel(schema),
      insertText: inlineYaml(v),
      sortText: `0${pad(i)}`,
    });
  });
  out.push({
    label: "${{ }}",
    kind: "snippet",
    detail: "expression",
    documentation: "A CEL expression over `inputs`, `steps.<id>.output`, `secrets` and `run`.",
    insertText: "\\${{ $0 }}",
    snippet: true,
    filterText: "${{",
    sortText: "2",
    retrigger: true,
  });
  // References with the input's own name: a flow input, or an upstream step's output field.
  const name = keys[keys.length - 1];
  if (name && name !== "-") {
    const outline = flowOutline(text);
    const self = stepAtLine(outline, stepItem.line);
    const input = outline.inputs.find((x) => x.name === name);
    if (input)
      out.push({
        label: `\${{ inputs.${name} }}`,
        kind: "variable",
        detail: `flow input · ${typeLabel(input.schema)}`,
        insertText: `\${{ inputs.${name} }}`,
        sortText: "1",
      });
    for (const s of candidateSteps(outline, self).slice(0, 50)) {
      const out0 = stepOutputSchema(outline, s, env.registry);
      const field = schemaProperties(out0).find((p) => p.name === name);
      if (!field) continue;
      const ref = `${stepRef(s.id)}.output.${name}`;
      out.push({
        label: `\${{ ${ref} }}`,
        kind: "field",
        detail: `${typeLabel(field.schema)} · output of ${s.uses ?? s.id}`,
        insertText: `\${{ ${ref} }}`,
        sortText: "1",
      });
    }
  }
  return out;
}

export function needsItems(
  text: string,
  stepItem: ItemToken,
  bracket: boolean,
  word: Span,
): { items: CompletionItem[]; incomplete: boolean } {
  const outline = flowOutline(text);
  const self = stepAtLine(outline, stepItem.line);
  const typed = text.slice(word.start, word.end);
  // Listed already: the other entries (the one being typed is not).
  const listed = new Set(
    self?.needs.filter((n) => n.span.end < word.start || n.span.start > word.end).map((n) => n.id),
  );
  const { steps, cut } = limitSteps(
    candidateSteps(outline, self).filter((s) => !listed.has(s.id)),
    typed,
  );
  const items = steps.map((s, i) => ({
    label: s.id,
    kind: "step" as const,
    detail: s.uses,
    insertText: bracket ? s.id : `[${s.id}]`,
    filterText: s.id,
    sortText: pad(i),
  }));
  return { items, incomplete: cut };
}
