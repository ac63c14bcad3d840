/**
 * Hover and go-to-definition: blocks (`uses`, `compensate`, agent `tools`), steps (`id`, `needs`,
 * `steps.<id>` in expressions), step inputs (`with:` keys), and every part of an expression
 * (`inputs.x`, `steps.a.output.b`, `secrets.X`, `run.id`, CEL functions), and a schedule's `cron`
 * (its next fire times).
 */
import { nextCronFires, parseCron } from "../cron";
import { schemaAtPath } from "../expr";
import type { Span } from "../types";
import { celFunctionDoc } from "./cel-functions";
import { celTokenAt, type CelSite } from "./cel-text";
import { contextAt, inputSchemaAt, stepItemOf, type LanguageEnv } from "./context";
import {
  blockMarkdown,
  fieldMarkdown,
  RUN_FIELDS,
  ROOT_DOCS,
  stepMarkdown,
  stepOutputSchema,
} from "./docs";
import { flowItems, flowOutline, type FlowOutline } from "./outline";
import { schemaProperties, typeLabel } from "./schema-docs";
import {
  chainKeys,
  childKeys,
  flowPlaceAt,
  keyChain,
  lineIndex,
  pathAt,
  tokenizeLine,
  unquote,
  type PathNode,
} from "./yaml-structure";

export interface Hover {
  /** The text the hover is about. */
  span: Span;
  markdown: string;
}

export interface Definition {
  /** Where the definition is (a step's id, an input's name). */
  span: Span;
  /** The reference the request was made on. */
  origin: Span;
}

const within = (s: Span, offset: number) => offset >= s.start && offset <= s.end;

/** The CEL site around `offset` (inside `${{ }}` or a bare-CEL input), with its step. */
function celAt(text: string, offset: number, env: LanguageEnv) {
  const ctx = contextAt(text, offset, env);
  return ctx?.kind === "cel" ? ctx : undefined;
}

/** A reference in an expression under `offset`: the chain's segments and the token's index. */
function celRefAt(text: string, site: CelSite, offset: number) {
  const token = celTokenAt(text, site, offset);
  if (!token) return undefined;
  const segs = token.chain.segments;
  const at = segs.findIndex((s) => s.span.start === token.span.start);
  return { token, segs, at };
}

/** The hover at `offset`, if any. */
export function hoverAt(text: string, offset: number, env: LanguageEnv): Hover | undefined {
  const cel = celAt(text, offset, env);
  if (cel) return celHover(text, cel.site, offset, env);
  const index = lineIndex(text);
  const line = index.lineOf(offset);
  const toks = tokenizeLine(index, line);
  for (const tok of toks) {
    if (tok.kind === "key" && within(tok.nameSpan, offset)) return keyHover(text, tok, env);
    if (tok.kind === "key" && tok.value && within(tok.value, offset))
      return valueHover(text, tok.name, tok.value, offset, keyChain(text, tok), env);
    if (tok.kind === "scalar" && within(tok.value, offset)) {
      const chain = pathAt(text, offset).chain;
      const keys = chainKeys(chain);
      if (keys[keys.length - 1] === "-") {
        const parent = chain[chain.length - 2];
        if (parent?.kind === "key")
          return valueHover(text, parent.name, tok.value, offset, chain.slice(0, -2), env);
      }
    }
  }
  return undefined;
}

/** A `with:` key: the block's input. */
function keyHover(
  text: string,
  key: Extract<PathNode, { kind: "key" }>,
  env: LanguageEnv,
): Hover | undefined {
  const chain = keyChain(text, key);
  const keys = chainKeys(chain);
  const item = stepItemOf(chain);
  if (!item || keys[2] !== "with") return undefined;
  // The innermost `with` and the `uses` beside it (nested `do:` steps have their own).
  for (let i = chain.length - 1; i >= 2; i--) {
    const n = chain[i]!;
    if (n.kind !== "key" || n.name !== "with") continue;
    const parent = chain[i - 1]!;
    if (parent.kind === "scalar") return undefined;
    const uses = childKeys(text, parent).find((k) => k.name === "uses");
    if (!uses?.value) return undefined;
    const r = env.registry.resolve(unquote(text.slice(uses.value.start, uses.value.end)));
    if (!r.ok) return undefined;
    const path = [...chainKeys(chain.slice(i + 1)), key.name];
    const schema = inputSchemaAt(r.block, path);
    if (!schema) return undefined;
    const parentSchema = inputSchemaAt(r.block, path.slice(0, -1)) ?? r.block.inputSchema;
    const required =
      Array.isArray(parentSchema.required) &&
      (parentSchema.required as string[]).includes(key.name);
    const label = path.filter((p) => p !== "-").join(".");
    return {
      span: key.nameSpan,
      markdown: fieldMarkdown(
        label,
        schema,
        `${required ? "required" : "optional"} input of \`${r.block.id}@${r.block.version.split(".")[0]}\``,
      ),
    };
  }
  return undefined;
}

/** A value: a block reference, a step id, a `needs` entry. */
function valueHover(
  text: string,
  keyName: string,
  value: Span,
  offset: number,
  chain: PathNode[],
  env: LanguageEnv,
): Hover | undefined {
  const keys = chainKeys(chain);
  if (keyName === "cron" && keys.join("/") === "trigger/schedule")
    return cronHover(text, value, env);
  if (keyName === "trigger" && keys.length === 0 && text[value.start] === "{") {
    // `trigger: { schedule: { cron: "0 9 * * 1-5" } }`, as the Triggers panel writes it.
    const place = flowPlaceAt(text, value.start, value.end, offset);
    return place?.kind === "value" && place.keys.join("/") === "schedule/cron"
      ? cronHover(text, place.span, env)
      : undefined;
  }
  const isStep = keys.length === 2 && keys[0] === "steps";
  if (
    keyName === "uses" ||
    (isStep && keyName === "compensate") ||
    (keyName === "tools" && keys.includes("with"))
  ) {
    const item = flowItems(text, value).find((x) => within(x.span, offset));
    if (!item) return undefined;
    const r = env.registry.resolve(item.id);
    return {
      span: item.span,
      markdown: r.ok
        ? blockMarkdown(r.block, env.registry) +
          (r.deprecated ? `\n\n**Deprecated:** ${r.deprecated}` : "")
        : `${r.message}${r.hint ? `\n\n${r.hint}` : ""}`,
    };
  }
  if (!isStep) return undefined;
  const outline = flowOutline(text);
  if (keyName === "id") {
    const step = outline.steps.find((s) => s.idSpan?.start === value.start);
    return step ? { span: value, markdown: stepMarkdown(outline, step, env.registry) } : undefined;
  }
  if (keyName === "needs") {
    const item = flowItems(text, value).find((x) => within(x.span, offset));
    const step = item ? outline.byId.get(item.id) : undefined;
    if (!item) return undefined;
    return {
      span: item.span,
      markdown: step
        ? stepMarkdown(outline, step, env.registry)
        : `No step \`${item.id}\` in this flow.`,
    };
  }
  return undefined;
}

/** How many fire times a schedule's hover lists. */
export const CRON_HOVER_FIRES = 5;

/**
 * A schedule's `cron`: its next fire times, computed by the scheduler's own parser (`cron.ts`),
 * or what is wrong with it.
 */
function cronHover(text: string, value: Span, env: LanguageEnv): Hover {
  const source = unquote(text.slice(value.start, value.end)).trim();
  let cron;
  try {
    cron = parseCron(source);
  } catch (e) {
    return {
      span: value,
      markdown: `\`${source}\` is not a valid cron expression: ${(e as Error).message}.`,
    };
  }
  const fires = nextCronFires(cron, env.now?.() ?? Date.now(), CRON_HOVER_FIRES);
  const when = (t: number) => `- ${new Date(t).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return {
    span: value,
    markdown:
      fires.length > 0
        ? `Schedule \`${source}\` (UTC). Next runs:\n\n${fires.map(when).join("\n")}`
        : `Schedule \`${source}\` (UTC) has no fire time in the next five years.`,
  };
}

function celHover(
  text: string,
  site: CelSite,
  offset: number,
  env: LanguageEnv,
): Hover | undefined {
  const ref = celRefAt(text, site, offset);
  if (!ref) return undefined;
  const { token, segs, at } = ref;
  if (token.call) {
    const name = text.slice(token.span.start, token.span.end);
    const f = celFunctionDoc(name, token.member);
    if (!f) return undefined;
    const sigs = f.signatures.map((s) => `\`${s}\``).join("  \n");
    return { span: token.span, markdown: `${sigs}\n\n${f.doc}` };
  }
  if (at < 0) return undefined;
  const names = segs.map((s) => s.name);
  const outline = flowOutline(text);
  const markdown = refMarkdown(names, at, outline, env);
  return markdown ? { span: token.span, markdown } : undefined;
}

function refMarkdown(
  names: string[],
  at: number,
  outline: FlowOutline,
  env: LanguageEnv,
): string | undefined {
  const root = names[0]!;
  const rootDoc = ROOT_DOCS[root];
  if (at === 0) {
    if (!rootDoc) return undefined;
    if (root === "inputs" && outline.inputs.length > 0)
      return `${rootDoc.doc}\n\n${outline.inputs.map((i) => `- \`${i.name}\`: ${typeLabel(i.schema)}`).join("\n")}`;
    if (root === "secrets" && env.secrets)
      return `${rootDoc.doc}\n\n${env.secrets.length > 0 ? `This workspace has: ${env.secrets.map((s) => `\`${s}\``).join(", ")}` : "This workspace has no secrets yet."}`;
    return rootDoc.doc;
  }
  const path = names.slice(0, at + 1).join(".");
  if (root === "inputs") {
    const input = outline.inputs.find((i) => i.name === names[1]);
    if (!input) return `\`${names[1]}\` is not declared under \`inputs:\`.`;
    const r = schemaAtPath(input.schema, names.slice(2, at + 1));
    return fieldMarkdown(
      path,
      r.kind === "found" ? r.schema : undefined,
      at === 1 ? "flow input" : "field of a flow input",
    );
  }
  if (root === "steps") {
    const step = outline.byId.get(names[1]!);
    if (!step) return `No step \`${names[1]}\` in this flow.`;
    if (at === 1) return stepMarkdown(outline, step, env.registry);
    const out = stepOutputSchema(outline, step, env.registry);
    if (at === 2) return fieldMarkdown(path, out, `output of \`${step.uses ?? step.id}\``);
    const r = schemaAtPath(out, names.slice(3, at + 1));
    if (r.kind === "unknown") {
      const parent = schemaAtPath(out, names.slice(3, 3 + r.at));
      const known = parent.kind === "found" ? schemaProperties(parent.schema) : [];
      return `\`${names[3 + r.at]}\` is not an output field of \`${step.uses ?? step.id}\`${known.length > 0 ? `; known: ${known.map((k) => `\`${k.name}\``).join(", ")}` : ""}.`;
    }
    return fieldMarkdown(
      path,
      r.kind === "found" ? r.schema : undefined,
      `output of \`${step.uses ?? step.id}\``,
    );
  }
  if (root === "secrets" && at === 1) {
    const name = names[1]!;
    const known = env.secrets;
    const status =
      known === undefined
        ? ""
        : known.includes(name)
          ? " It is set in this workspace."
          : " **It is not set in this workspace**: add it in Settings → Secrets, or runs that read it fail.";
    return `Workspace secret \`${name}\`: ${rootDoc!.doc}${status}`;
  }
  if (root === "run" && at === 1) {
    const f = RUN_FIELDS[names[1]!];
    return f
      ? `\`run.${names[1]}\`: ${f.type} — ${f.doc}`
      : `\`run\` has no field \`${names[1]}\`.`;
  }
  return undefined;
}

/** Go to definition at `offset`: a step reference to the step's id, an input reference to its declaration. */
export function definitionAt(
  text: string,
  offset: number,
  env: LanguageEnv,
): Definition | undefined {
  const cel = celAt(text, offset, env);
  const outline = () => flowOutline(text);
  if (cel) {
    const ref = celRefAt(text, cel.site, offset);
    if (!ref || ref.at < 1 || ref.token.call) return undefined;
    const names = ref.segs.map((s) => s.name);
    if (names[0] === "steps") {
      const step = outline().byId.get(names[1]!);
      return step?.idSpan ? { span: step.idSpan, origin: ref.token.span } : undefined;
    }
    if (names[0] === "inputs") {
      const input = outline().inputs.find((i) => i.name === names[1]);
      return input ? { span: input.span, origin: ref.token.span } : undefined;
    }
    return undefined;
  }
  // `needs: [a, b]` or a `- a` item under `needs:`.
  const index = lineIndex(text);
  const toks = tokenizeLine(index, index.lineOf(offset));
  for (const tok of toks) {
    let value: Span | undefined;
    if (tok.kind === "key" && tok.name === "needs" && tok.value && within(tok.value, offset)) {
      if (chainKeys(keyChain(text, tok)).join("/") !== "steps/-") return undefined;
      value = tok.value;
    } else if (tok.kind === "scalar" && within(tok.value, offset)) {
      if (chainKeys(pathAt(text, offset).chain).join("/") !== "steps/-/needs/-") return undefined;
      value = tok.value;
    }
    if (!value) continue;
    const item = flowItems(text, value).find((x) => within(x.span, offset));
    const step = item ? outline().byId.get(item.id) : undefined;
    return step?.idSpan && item ? { span: step.idSpan, origin: item.span } : undefined;
  }
  return undefined;
}
