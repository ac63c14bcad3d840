/**
 * Completion for flow YAML: block ids after `uses:`, a block's inputs inside `with:` (types,
 * defaults, allowed values), step ids in `needs`, and inside `${{ }}` (or bare-CEL inputs) the
 * flow's inputs, `steps.<id>.output.<field>` from the blocks' output schemas, the workspace's
 * secrets, `run` and the CEL functions the runtime supports.
 */
import { schemaAtPath, schemaTypes } from "../expr";
import { SUPPORTED_MAJORS_BEHIND } from "../registry/registry";
import { isAgentToolBlock } from "../registry/primitives/agent";
import type { BlockDefinition, JsonSchema, Span } from "../types";
import { CEL_GLOBAL_FUNCTIONS, celMethodsFor, type CelFunctionDoc } from "./cel-functions";
import { celPlace, type CelCompletionPlace, type MemberChain } from "./cel-text";
import { contextAt, inputSchemaAt, type LanguageContext, type LanguageEnv } from "./context";
import {
  blockMarkdown,
  blockRefOf,
  RUN_FIELDS,
  ROOT_DOCS,
  stepMarkdown,
  stepOutputSchema,
} from "./docs";
import {
  dependentsOf,
  flowOutline,
  stepAtLine,
  type FlowOutline,
  type StepOutline,
} from "./outline";
import { inlineYaml, schemaMarkdown, schemaProperties, typeLabel } from "./schema-docs";
import { childKeys, lineIndex, type ItemToken, type KeyToken } from "./yaml-structure";

export type CompletionKind =
  | "block"
  | "input"
  | "value"
  | "step"
  | "field"
  | "variable"
  | "secret"
  | "function"
  | "method"
  | "keyword"
  | "snippet";

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  /** One line beside the label (type, block title). */
  detail?: string;
  /**
   * Markdown shown in the details pane; a function when it costs something to build (a step's
   * output fields): the editor calls it for the item the user looks at.
   */
  documentation?: string | (() => string);
  /** What is inserted in place of the result's span (or the item's own `span`). */
  insertText: string;
  /** `insertText` is a snippet (`$1`, `${1:default}`, `${1|a,b|}`). */
  snippet?: boolean;
  /** Replaces this span instead of the result's (e.g. from the `.` before a quoted step id). */
  span?: Span;
  filterText?: string;
  sortText?: string;
  deprecated?: boolean;
  /** Open the suggestions again after inserting (the item ends where more can be chosen). */
  retrigger?: boolean;
}

export interface CompletionResult {
  /** The text the items replace (what has been typed of the word so far). */
  span: Span;
  items: CompletionItem[];
  /** What was completed (an editor may, say, not open CEL suggestions on a typed space). */
  context: LanguageContext["kind"];
  /**
   * The list is cut (a flow with more steps than {@link STEP_LIST_LIMIT}): ask again as more
   * is typed, rather than filtering these items.
   */
  incomplete?: boolean;
}

/**
 * Most steps listed at once: the nearest ones, narrowed by what has been typed. Listing every
 * step of a 500-step flow cost the studio ~100 ms per `steps.` (the editor scores, sorts and
 * lays out each item) on a shared 2-core machine.
 */
export const STEP_LIST_LIMIT = 50;

/** Whether the letters of `typed` appear in `id` in order (case-insensitive). */
function fuzzy(typed: string, id: string): boolean {
  let j = 0;
  const t = typed.toLowerCase();
  const s = id.toLowerCase();
  for (let i = 0; i < s.length && j < t.length; i++) if (s[i] === t[j]) j++;
  return j === t.length;
}

/** The candidates to list for what has been typed, and whether that is all of them. */
function limitSteps(steps: StepOutline[], typed: string): { steps: StepOutline[]; cut: boolean } {
  if (steps.length <= STEP_LIST_LIMIT) return { steps, cut: false };
  const word = typed.replace(/^[.'"[]+/, "").toLowerCase();
  if (!word) return { steps: steps.slice(0, STEP_LIST_LIMIT), cut: true };
  // Ids starting with what was typed first, then those containing its letters in order.
  const prefix = steps.filter((s) => s.id.toLowerCase().startsWith(word));
  const rest = steps.filter((s) => !s.id.toLowerCase().startsWith(word) && fuzzy(word, s.id));
  return { steps: [...prefix, ...rest].slice(0, STEP_LIST_LIMIT), cut: true };
}

const CEL_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const pad = (n: number) => String(n).padStart(4, "0");

/** Completion items at `offset`, or undefined where the flow language has nothing to offer. */
export function completionsAt(
  text: string,
  offset: number,
  env: LanguageEnv,
): CompletionResult | undefined {
  const ctx = contextAt(text, offset, env);
  if (!ctx) return undefined;
  const done = (span: Span, items: CompletionItem[], incomplete = false): CompletionResult =>
    incomplete
      ? { span, items, context: ctx.kind, incomplete }
      : { span, items, context: ctx.kind };
  switch (ctx.kind) {
    case "block":
      return done(ctx.span, blockItems(env, ctx.purpose));
    case "input-key":
      return done(
        ctx.span,
        inputKeyItems(text, ctx.block, ctx.keys, ctx.container, lineIndex(text).lineOf(offset)),
      );
    case "input-value":
      return done(ctx.span, inputValueItems(text, ctx.block, ctx.keys, ctx.stepItem, env));
    case "needs": {
      const r = needsItems(text, ctx.stepItem, ctx.bracket, ctx.span);
      return done(ctx.span, r.items, r.incomplete);
    }
    case "cel": {
      const place = celPlace(text, ctx.site, offset);
      if (!place) return undefined;
      const outline = flowOutline(text);
      const step = ctx.stepItem ? stepAtLine(outline, ctx.stepItem.line) : undefined;
      const r = celItems(place, { outline, step, allowItem: ctx.allowItem, env, text });
      return done(r.span, r.items, r.incomplete);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Blocks

/** Every block id with its supported majors: the newest first, older majors marked deprecated. */
function blockItems(env: LanguageEnv, purpose: "uses" | "compensate" | "tool"): CompletionItem[] {
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

// ---------------------------------------------------------------------------------------------
// Step inputs

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

function inputKeyItems(
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

function inputValueItems(
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

// ---------------------------------------------------------------------------------------------
// needs

function needsItems(
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

// ---------------------------------------------------------------------------------------------
// CEL

interface CelEnv {
  text: string;
  outline: FlowOutline;
  step?: StepOutline;
  allowItem: boolean;
  env: LanguageEnv;
}

/**
 * Steps an expression of `self` may read: every other step except those that depend on it
 * (reading them would close a cycle). Nearest above first, then the ones below.
 */
function candidateSteps(outline: FlowOutline, self: StepOutline | undefined): StepOutline[] {
  const steps = outline.steps.filter((s) => s.id && s !== self);
  if (!self?.id) return steps;
  const after = dependentsOf(outline, self.id);
  const ok = steps.filter((s) => !after.has(s.id));
  const above = ok.filter((s) => s.line < self.line).reverse();
  const below = ok.filter((s) => s.line > self.line);
  return [...above, ...below];
}

/** `steps.<id>` as CEL writes it (`steps['credit-check']` when the id is not an identifier). */
function stepRef(id: string): string {
  return CEL_IDENT.test(id) ? `steps.${id}` : `steps['${id}']`;
}

function functionItem(f: CelFunctionDoc, i: number): CompletionItem {
  return {
    label: f.name,
    kind: f.on ? "method" : "function",
    detail: f.signatures[0],
    documentation: `${f.doc}\n\n${f.signatures.map((s) => `\`${s}\``).join("  \n")}`,
    insertText: f.snippet,
    snippet: true,
    sortText: `5${pad(i)}`,
  };
}

function fieldItems(schema: JsonSchema | undefined, prefix: string): CompletionItem[] {
  const out: CompletionItem[] = schemaProperties(schema).map((p, i) => ({
    label: p.name,
    kind: "field" as const,
    detail: `${typeLabel(p.schema)}${p.required ? "" : " · optional"}`,
    documentation: [`\`${prefix}.${p.name}\``, schemaMarkdown(p.schema, { fields: true })]
      .filter(Boolean)
      .join("\n\n"),
    insertText: CEL_IDENT.test(p.name) ? p.name : `['${p.name}']`,
    sortText: `1${pad(i)}`,
  }));
  const types = schema ? schemaTypes(schema) : [];
  // Objects have fields, not methods worth listing; anything else gets its member functions.
  if (!(types.length === 1 && types[0] === "object"))
    out.push(...celMethodsFor(types).map(functionItem));
  return out;
}

type CelItems = { span: Span; items: CompletionItem[]; incomplete?: boolean };

function celItems(place: CelCompletionPlace, c: CelEnv): CelItems {
  if (place.kind === "top") return { span: place.word, items: topItems(c) };
  if (place.kind === "index") return indexItems(place, c);
  return memberItems(place, c);
}

function topItems(c: CelEnv): CompletionItem[] {
  const roots: Array<[string, boolean]> = [
    ["inputs", c.outline.inputs.length > 0],
    ["steps", true],
    ["secrets", (c.env.secrets?.length ?? 0) > 0],
    ["run", true],
  ];
  const out: CompletionItem[] = roots.map(([name, hasMembers], i) => ({
    label: name,
    kind: "variable" as const,
    detail: ROOT_DOCS[name]!.detail,
    documentation: ROOT_DOCS[name]!.doc,
    insertText: hasMembers ? `${name}.` : name,
    retrigger: hasMembers,
    sortText: `0${i}`,
  }));
  if (c.allowItem) {
    for (const name of ["item", "index"]) {
      out.push({
        label: name,
        kind: "variable",
        detail: ROOT_DOCS[name]!.detail,
        documentation: ROOT_DOCS[name]!.doc,
        insertText: name,
        sortText: "0" + name,
      });
    }
  }
  out.push(...CEL_GLOBAL_FUNCTIONS.map(functionItem));
  for (const k of ["true", "false", "null"])
    out.push({ label: k, kind: "keyword", insertText: k, sortText: `9${k}` });
  return out;
}

function inputItems(c: CelEnv): CompletionItem[] {
  return c.outline.inputs.map((input, i) => ({
    label: input.name,
    kind: "variable" as const,
    detail: typeLabel(input.schema),
    documentation: [
      `Flow input \`inputs.${input.name}\``,
      schemaMarkdown(input.schema, { fields: true }),
    ]
      .filter(Boolean)
      .join("\n\n"),
    insertText: input.name,
    sortText: pad(i),
  }));
}

function secretItems(c: CelEnv): CompletionItem[] {
  return (c.env.secrets ?? []).map((name) => ({
    label: name,
    kind: "secret" as const,
    detail: "workspace secret",
    documentation: ROOT_DOCS.secrets!.doc,
    insertText: name,
  }));
}

function runItems(): CompletionItem[] {
  return Object.entries(RUN_FIELDS).map(([name, f], i) => ({
    label: name,
    kind: "field" as const,
    detail: f.type,
    documentation: f.doc,
    insertText: name,
    sortText: pad(i),
  }));
}

/** The schema a chain (`inputs.x.y`, `steps.a.output.b`) reads, when known. */
function chainSchema(chain: MemberChain, c: CelEnv): { schema?: JsonSchema; known: boolean } {
  const segs = chain.segments.map((s) => s.name);
  if (chain.opaque || segs.length === 0) return { known: false };
  if (segs[0] === "inputs" && segs.length >= 2) {
    const input = c.outline.inputs.find((x) => x.name === segs[1]);
    if (!input) return { known: false };
    const r = schemaAtPath(input.schema, segs.slice(2));
    return r.kind === "found" ? { schema: r.schema, known: true } : { known: false };
  }
  if (segs[0] === "steps" && segs.length >= 3 && segs[2] === "output") {
    const step = c.outline.byId.get(segs[1]!);
    if (!step) return { known: false };
    const out = stepOutputSchema(c.outline, step, c.env.registry);
    const r = schemaAtPath(out, segs.slice(3));
    return r.kind === "found" ? { schema: r.schema, known: true } : { known: false };
  }
  return { known: false };
}

function memberItems(place: Extract<CelCompletionPlace, { kind: "member" }>, c: CelEnv): CelItems {
  const span = place.word;
  const segs = place.chain.segments.map((s) => s.name);
  const allMethods = () => celMethodsFor([]).map(functionItem);
  if (place.chain.opaque || segs.length === 0) return { span, items: allMethods() };
  const root = segs[0];
  if (root === "inputs" && segs.length === 1) return { span, items: inputItems(c) };
  if (root === "secrets" && segs.length === 1) return { span, items: secretItems(c) };
  if (root === "run" && segs.length === 1) return { span, items: runItems() };
  if (root === "steps") {
    if (segs.length === 1) return stepItems(place, c);
    if (segs.length === 2) {
      const step = c.outline.byId.get(segs[1]!);
      const out = step ? stepOutputSchema(c.outline, step, c.env.registry) : undefined;
      const hasFields = schemaProperties(out).length > 0;
      return {
        span,
        items: [
          {
            label: "output",
            kind: "field",
            detail: step?.uses ? `output of ${step.uses}` : "the step's output",
            documentation: out ? schemaMarkdown(out, { fields: true }) : undefined,
            insertText: hasFields ? "output." : "output",
            retrigger: hasFields,
          },
        ],
      };
    }
  }
  if ((root === "inputs" || root === "steps") && segs.length >= 2) {
    const { schema, known } = chainSchema(place.chain, c);
    if (!known) return { span, items: allMethods() };
    return { span, items: fieldItems(schema, segs.join(".")) };
  }
  return { span, items: allMethods() };
}

/**
 * Whether a step's output has named fields (then `output.` is followed by a field). Cheap: no
 * parse; an agent without fields of its own may declare them in a literal `with.output`.
 */
function hasOutputFields(
  outline: FlowOutline,
  s: StepOutline,
  block: BlockDefinition | undefined,
): boolean {
  if (!block) return false;
  if (schemaProperties(block.outputSchema).length > 0) return true;
  return (
    block.kind === "agent" &&
    /\n\s+output:[ \t]*(?:#.*)?(?:\n|\{)/.test(outline.text.slice(s.start, s.end))
  );
}

function stepItems(place: Extract<CelCompletionPlace, { kind: "member" }>, c: CelEnv): CelItems {
  const typed = c.text.slice(place.word.start, place.word.end);
  const { steps, cut } = limitSteps(candidateSteps(c.outline, c.step), typed);
  const items = steps.map((s, i): CompletionItem => {
    const block = blockRefOf(s, c.env.registry);
    const tail = hasOutputFields(c.outline, s, block) ? ".output." : ".output";
    const plain = CEL_IDENT.test(s.id);
    return {
      label: s.id,
      kind: "step",
      detail: s.uses ? `${s.uses}${block ? ` — ${block.title}` : ""}` : "step",
      documentation: () => stepMarkdown(c.outline, s, c.env.registry, { readers: false }),
      // An id that is not a CEL identifier is written as an index, from the dot on.
      insertText: plain ? `${s.id}${tail}` : `['${s.id}']${tail}`,
      span: plain ? undefined : { start: place.dot, end: place.word.end },
      filterText: plain ? s.id : `.${s.id}`,
      sortText: pad(i),
      retrigger: tail.endsWith("."),
    };
  });
  return cut ? { span: place.word, items, incomplete: true } : { span: place.word, items };
}

function indexItems(place: Extract<CelCompletionPlace, { kind: "index" }>, c: CelEnv): CelItems {
  const span = place.word;
  const segs = place.chain.segments.map((s) => s.name);
  if (segs.length === 1 && segs[0] === "steps") {
    const typed = c.text.slice(span.start, span.end);
    const { steps, cut } = limitSteps(candidateSteps(c.outline, c.step), typed);
    const items = steps.map((s, i) => ({
      label: s.id,
      kind: "step" as const,
      detail: s.uses,
      documentation: () => stepMarkdown(c.outline, s, c.env.registry, { readers: false }),
      insertText: s.id,
      sortText: pad(i),
    }));
    return cut ? { span, items, incomplete: true } : { span, items };
  }
  if (segs.length === 1 && segs[0] === "inputs") return { span, items: inputItems(c) };
  if (segs.length === 1 && segs[0] === "secrets") return { span, items: secretItems(c) };
  const { schema, known } = chainSchema(place.chain, c);
  if (!known) return { span, items: [] };
  const items = fieldItems(schema, segs.join("."))
    .filter((i) => i.kind === "field")
    .map((i) => ({ ...i, insertText: i.label }));
  return { span, items };
}
