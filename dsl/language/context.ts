/**
 * What a position in a flow text is about, for completion: a block reference, a step input key or
 * value, a `needs` entry, or CEL (inside `${{ }}`, or a bare-CEL slot such as `policy.check`'s
 * `rule` and a step's `if`). Shared by completion and hover.
 */
import { schemaAtPath } from "../expr";
import type { BlockRegistry } from "../registry/registry";
import type { BlockDefinition, JsonSchema, Span } from "../types";
import { BARE_CEL_IN_LISTS, isBareCel } from "../validate";
import { delimitedSiteAt, type CelSite } from "./cel-text";
import {
  chainKeys,
  childKeys,
  flowPlaceAt,
  lineIndex,
  pathAt,
  type ItemToken,
  type KeyToken,
  type PathNode,
  type YamlPath,
} from "./yaml-structure";

/** What the language features need besides the text. */
export interface LanguageEnv {
  /** The block registry the flow compiles against. */
  registry: BlockRegistry;
  /** Names of the workspace's secrets (`secrets.<name>`), when known. */
  secrets?: readonly string[];
  /** The current time (epoch ms) for a schedule's next fire times; default: the clock's. */
  now?: () => number;
}

/** The step (sequence item under the top-level `steps:`) a chain is inside, if any. */
export function stepItemOf(chain: readonly PathNode[]): ItemToken | undefined {
  const first = chain[0];
  const second = chain[1];
  return first?.kind === "key" &&
    first.name === "steps" &&
    first.col === 0 &&
    second?.kind === "item"
    ? second
    : undefined;
}

/** The inline value of a step's own key (`uses`, `id`), unquoted. */
export function stepKeyValue(text: string, item: ItemToken, name: string): string | undefined {
  const k = childKeys(text, item).find((t) => t.name === name);
  if (!k?.value) return undefined;
  const raw = text.slice(k.value.start, k.value.end);
  return /^["'].*["']$/.test(raw) ? raw.slice(1, -1) : raw;
}

/** A `with:` path (keys and `-` for items) as schema path segments (`-` -> an index). */
export function schemaPath(keys: readonly string[]): string[] {
  return keys.map((k) => (k === "-" ? "0" : k));
}

/** The input schema at a `with:` path, or undefined when the schema does not say. */
export function inputSchemaAt(
  block: BlockDefinition,
  keys: readonly string[],
): JsonSchema | undefined {
  const r = schemaAtPath(block.inputSchema, schemaPath(keys));
  return r.kind === "found" ? r.schema : undefined;
}

/**
 * Whether a `with:` input holds CEL: the compiler's bare-CEL inputs (`policy.check`'s `rule`,
 * `data.transform`'s `fields.*`, `format: cel`) and inputs whose schema describes them as CEL
 * (`control.branch`'s `condition`), evaluated by the block at run time; `control.switch`'s
 * `cases[].when` (the compiler's bare CEL in list items).
 */
export function isCelInput(block: BlockDefinition, keys: readonly string[]): boolean {
  const schema = inputSchemaAt(block, keys);
  if (isBareCel(block, [...keys], schema)) return true;
  if (keys.length === 2 && isBareCel(block, [keys[0]!, "*"], undefined)) return true;
  if (
    keys.length === 3 &&
    keys[1] === "-" &&
    BARE_CEL_IN_LISTS[block.id]?.some(([list, key]) => list === keys[0] && key === keys[2])
  )
    return true;
  return typeof schema?.description === "string" && /^CEL\b/.test(schema.description);
}

/**
 * The bare-CEL site around `offset` in a one-line flow collection starting at `start` (say
 * `- { label: big, when: inputs.seats > 500 }` under `control.switch`'s `cases`), where `keys`
 * is the `with:` path of the collection.
 */
function flowCelSite(
  text: string,
  start: number,
  lineEnd: number,
  offset: number,
  block: BlockDefinition,
  keys: readonly string[],
): CelSite | undefined {
  if (text[start] !== "{" && text[start] !== "[") return undefined;
  const place = flowPlaceAt(text, start, lineEnd, offset);
  if (place?.kind !== "value" || !isCelInput(block, [...keys, ...place.keys])) return undefined;
  return valueSite(text, place.span, offset, lineEnd);
}

/** A site of bare CEL: a value on one line, quotes excluded. */
function valueSite(text: string, value: Span | undefined, at: number, lineEnd: number): CelSite {
  if (!value) return { start: at, end: lineEnd, delimited: false };
  const q = text[value.start];
  if ((q === '"' || q === "'") && value.end - value.start >= 1) {
    const closed = value.end - value.start >= 2 && text[value.end - 1] === q;
    return { start: value.start + 1, end: closed ? value.end - 1 : lineEnd, delimited: false };
  }
  return { start: value.start, end: Math.max(value.end, at), delimited: false };
}

export type LanguageContext =
  | {
      kind: "cel";
      site: CelSite;
      /** The step the expression belongs to (undefined for flow `outputs`). */
      stepItem?: ItemToken;
      /** `item` and `index` are defined (a `control.foreach` input other than `items`). */
      allowItem: boolean;
    }
  | { kind: "block"; span: Span; purpose: "uses" | "compensate" | "tool" }
  | {
      kind: "input-key";
      stepItem: ItemToken;
      block: BlockDefinition;
      /** The `with:` path of the mapping the key goes into (`[]`: `with` itself). */
      keys: string[];
      /** The container (the `with` key, a nested key or a sequence item). */
      container: KeyToken | ItemToken;
      span: Span;
    }
  | {
      kind: "input-value";
      stepItem: ItemToken;
      block: BlockDefinition;
      /** The `with:` path of the value (the key's path). */
      keys: string[];
      span: Span;
    }
  | { kind: "needs"; stepItem: ItemToken; span: Span; bracket: boolean };

/** The word around/before `offset` made of step-id characters. */
function idWord(text: string, offset: number, min: number): Span {
  let s = offset;
  while (s > min && /[A-Za-z0-9_-]/.test(text[s - 1]!)) s--;
  return { start: s, end: offset };
}

/** The innermost `with:` of a chain and the block of the mapping that holds it (`uses`). */
interface WithScope {
  /** Resolved block, when the sibling `uses` resolves. */
  block?: BlockDefinition;
  /** Keys below `with` (`-` for items). */
  keys: string[];
}

function innerWith(
  text: string,
  chain: readonly PathNode[],
  registry: BlockRegistry,
): WithScope | undefined {
  for (let i = chain.length - 1; i >= 1; i--) {
    const n = chain[i]!;
    if (n.kind !== "key" || n.name !== "with") continue;
    const parent = chain[i - 1]!;
    if (parent.kind === "scalar") return undefined;
    const uses = childKeys(text, parent).find((k) => k.name === "uses");
    const raw = uses?.value ? text.slice(uses.value.start, uses.value.end) : undefined;
    const r = raw ? registry.resolve(raw.replace(/^["']|["']$/g, "")) : undefined;
    return { block: r?.ok ? r.block : undefined, keys: chainKeys(chain.slice(i + 1)) };
  }
  return undefined;
}

/** Classifies `offset` for completion. */
export function contextAt(
  text: string,
  offset: number,
  env: LanguageEnv,
): LanguageContext | undefined {
  const index = lineIndex(text);
  const line = index.lineOf(offset);
  const lineStart = index.start(line);
  const lineEnd = index.end(line);
  const delimited = delimitedSiteAt(text, offset, lineStart, lineEnd);
  const { chain, position } = pathAt(text, offset);
  const keys = chainKeys(chain);
  const stepItem = stepItemOf(chain);
  if (delimited) {
    return {
      kind: "cel",
      site: delimited,
      stepItem,
      allowItem: foreachItem(text, chain, position, env),
    };
  }

  if (position.kind === "text") {
    // A block scalar or continuation line: CEL when its owner is a CEL slot.
    const owner = position.owner;
    if (owner.kind !== "key" || !stepItem) return undefined;
    const scope = innerWith(text, chain, env.registry);
    const isIf = keys.length === 2 && owner.name === "if";
    if (isIf || (scope?.block && isCelInput(scope.block, [...scope.keys, owner.name]))) {
      let s = lineStart;
      while (s < lineEnd && text[s] === " ") s++;
      return {
        kind: "cel",
        site: { start: s, end: lineEnd, delimited: false },
        stepItem,
        allowItem: foreachItem(text, chain, position, env),
      };
    }
    return undefined;
  }

  if (position.kind === "value") {
    const key = position.key;
    if (key.name === "uses" && keys[0] === "steps") {
      return { kind: "block", span: position.span, purpose: "uses" };
    }
    if (!stepItem) return undefined;
    if (keys.length === 2) {
      if (key.name === "compensate")
        return { kind: "block", span: position.span, purpose: "compensate" };
      if (key.name === "needs") {
        const raw = text.slice(position.span.start, offset);
        return {
          kind: "needs",
          stepItem,
          span: idWord(text, offset, position.span.start),
          bracket: raw.trimStart().startsWith("["),
        };
      }
      if (key.name === "if") {
        return {
          kind: "cel",
          site: valueSite(text, key.value, offset, lineEnd),
          stepItem,
          allowItem: false,
        };
      }
      return undefined;
    }
    const scope = innerWith(text, chain, env.registry);
    if (!scope?.block) return undefined;
    const valueKeys = [...scope.keys, key.name];
    const inFlow =
      key.value && flowCelSite(text, key.value.start, lineEnd, offset, scope.block, valueKeys);
    if (inFlow)
      return {
        kind: "cel",
        site: inFlow,
        stepItem,
        allowItem: foreachItem(text, chain, position, env),
      };
    const cel = isCelInput(scope.block, valueKeys);
    // Values are offered for the first word only: not while prose is being written.
    if (!cel && /\s/.test(text.slice(position.span.start, offset))) return undefined;
    if (cel) {
      return {
        kind: "cel",
        site: valueSite(text, key.value, offset, lineEnd),
        stepItem,
        allowItem: foreachItem(text, chain, position, env),
      };
    }
    return {
      kind: "input-value",
      stepItem,
      block: scope.block,
      keys: valueKeys,
      span: position.span,
    };
  }

  // A key being written, or a scalar item.
  if (!stepItem) return undefined;
  if (keys.length === 4 && keys[2] === "needs" && position.kind === "item-value") {
    return {
      kind: "needs",
      stepItem,
      span: idWord(text, offset, position.span.start),
      bracket: true,
    };
  }
  const scope = innerWith(text, chain, env.registry);
  if (!scope?.block) return undefined;
  const block = scope.block;
  if (position.kind === "item-value") {
    const inFlow = flowCelSite(text, position.span.start, lineEnd, offset, block, scope.keys);
    if (inFlow)
      return {
        kind: "cel",
        site: inFlow,
        stepItem,
        allowItem: foreachItem(text, chain, position, env),
      };
    // In a flow mapping item (`- { a: 1, b: 2 }`): its keys (the values are not CEL here).
    if (text[position.span.start] === "{") {
      const place = flowPlaceAt(text, position.span.start, lineEnd, offset);
      if (place?.kind !== "key" || place.keys.length > 0) return undefined;
      return {
        kind: "input-key",
        stepItem,
        block,
        keys: scope.keys,
        container: chain[chain.length - 1] as KeyToken | ItemToken,
        span: place.span,
      };
    }
    if (block.kind === "agent" && scope.keys.length === 2 && scope.keys[0] === "tools")
      return { kind: "block", span: position.span, purpose: "tool" };
    const itemSchema = inputSchemaAt(block, scope.keys);
    const isObject =
      itemSchema?.type === "object" ||
      (itemSchema !== undefined && itemSchema.properties !== undefined);
    if (!isObject)
      return { kind: "input-value", stepItem, block, keys: scope.keys, span: position.span };
  }
  return {
    kind: "input-key",
    stepItem,
    block,
    keys: scope.keys,
    container: chain[chain.length - 1] as KeyToken | ItemToken,
    span: position.kind === "key" ? position.span : { start: position.span.start, end: offset },
  };
}

/**
 * Whether `item`/`index` are in scope: inside the `with` of a `control.foreach` step, except its
 * `items`.
 */
function foreachItem(
  text: string,
  chain: readonly PathNode[],
  position: YamlPath["position"],
  env: LanguageEnv,
): boolean {
  const item = stepItemOf(chain);
  if (!item) return false;
  const keys = chainKeys(chain);
  if (keys[2] !== "with") return false;
  const first =
    keys[3] ??
    (position.kind === "value"
      ? position.key.name
      : position.kind === "text" && position.owner.kind === "key"
        ? position.owner.name
        : undefined);
  if (first === "items") return false;
  const uses = stepKeyValue(text, item, "uses");
  const r = uses ? env.registry.resolve(uses) : undefined;
  return r?.ok === true && r.block.id === "control.foreach";
}
