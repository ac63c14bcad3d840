/** Completion inside `${{ }}` and bare-CEL inputs: roots, inputs, step outputs, secrets, `run`, functions. */
import { schemaAtPath, schemaTypes } from "../expr";
import type { BlockDefinition, JsonSchema, Span } from "../types";
import { CEL_GLOBAL_FUNCTIONS, celMethodsFor, type CelFunctionDoc } from "./cel-functions";
import type { CelCompletionPlace, MemberChain } from "./cel-text";
import type { LanguageEnv } from "./context";
import { blockRefOf, RUN_FIELDS, ROOT_DOCS, stepMarkdown, stepOutputSchema } from "./docs";
import type { FlowOutline, StepOutline } from "./outline";
import { schemaMarkdown, schemaProperties, typeLabel } from "./schema-docs";
import {
  type CompletionItem,
  limitSteps,
  CEL_IDENT,
  pad,
  candidateSteps,
} from "./completion-items";

interface CelEnv {
  text: string;
  outline: FlowOutline;
  step?: StepOutline;
  allowItem: boolean;
  env: LanguageEnv;
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

export function celItems(place: CelCompletionPlace, c: CelEnv): CelItems {
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
